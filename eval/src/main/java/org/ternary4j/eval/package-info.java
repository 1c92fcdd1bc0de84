/** ternary4j eval. */
package org.ternary4j.eval;
