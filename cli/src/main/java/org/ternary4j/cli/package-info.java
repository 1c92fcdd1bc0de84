/** ternary4j cli. */
package org.ternary4j.cli;
