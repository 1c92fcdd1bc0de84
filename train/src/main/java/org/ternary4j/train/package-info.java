/** ternary4j train. */
package org.ternary4j.train;
