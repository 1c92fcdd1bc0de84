/** ternary4j model-io. */
package org.ternary4j.modelio;
