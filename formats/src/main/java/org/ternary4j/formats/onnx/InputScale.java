package org.ternary4j.formats.onnx;

import java.util.List;

/**
 * One per-channel scaling of a value as some layers read it: the nodes that read {@code value} and
 * take one of {@code weights} as their second input read {@code value × factor} instead (factor
 * broadcast over the value's last axis), through one new Mul node. With those weights' input rows
 * multiplied by 1/factor the model computes the same function (an equivalent transform).
 */
public record InputScale(String value, List<String> weights, float[] factor) {
    public InputScale {
        if (weights.isEmpty()) throw new IllegalArgumentException("scaling of '" + value + "' for no layer");
        weights = List.copyOf(weights);
        factor = factor.clone();
    }
}
