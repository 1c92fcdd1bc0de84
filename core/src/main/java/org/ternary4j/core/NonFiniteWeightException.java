package org.ternary4j.core;

/** A weight is NaN or infinite: no ternary code can stand for it, so the tensor is refused. */
public final class NonFiniteWeightException extends IllegalArgumentException {
    public NonFiniteWeightException(int index, float value) {
        super((Float.isNaN(value) ? "NaN" : "infinite") + " weight at element " + index);
    }
}
