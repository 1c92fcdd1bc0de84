package org.ternary4j.core.metrics;

/**
 * One line of a quantization report: which tensor, how it was ternarized and what it cost.
 * {@code grouping} is what the table shows (for ONNX "kernel→row +bn": the grouping asked for, the
 * one a layer's rank allowed, a BatchNorm folded in), {@code groupingApplied} the spelling of the
 * grouping the scales follow, and {@code batchNormFolded} whether a following BatchNorm's scale was
 * folded in. {@code op} and {@code layerIndex} come from graph formats (ONNX); a plain tensor file
 * leaves them null and −1.
 */
public record TensorReport(String name, int[] shape, String method, String grouping, String groupingApplied, boolean batchNormFolded,
                           TensorMetrics metrics, String op, int layerIndex, long params) {

    /** A tensor of a plain tensor file, ternarized with {@code grouping} as given. */
    public static TensorReport of(String name, int[] shape, String method, String grouping, TensorMetrics metrics) {
        long params = 1;
        for (int d : shape) params *= d;
        return new TensorReport(name, shape.clone(), method, grouping, grouping, false, metrics, null, -1, params);
    }
}
