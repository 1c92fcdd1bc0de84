/** ternary4j runtime. */
package org.ternary4j.runtime;
