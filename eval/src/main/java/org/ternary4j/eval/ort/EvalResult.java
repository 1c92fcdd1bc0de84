package org.ternary4j.eval.ort;

/**
 * What an evaluation measured over {@code n} examples. {@code top1} is null without labels;
 * {@code compare} is null unless a second model was given.
 */
public record EvalResult(int n, Double top1, Comparison compare) {

    /**
     * The second model against the first on the same inputs: its own top-1 (null without labels),
     * the fraction of (example, position) pairs whose arg-max over the last axis agrees (for an
     * [N, C] classifier: examples), and the cosine between the two outputs flattened per example
     * (mean and minimum). {@code nonFinite} counts examples where either output held NaN or ±Inf;
     * they are left out of the cosine statistics and count as disagreeing.
     */
    public record Comparison(String model, Double top1, double agreement, double meanCosine, double minCosine, int nonFinite) {}
}
