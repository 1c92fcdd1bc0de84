/** ternary4j bench. */
package org.ternary4j.bench;
