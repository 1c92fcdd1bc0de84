package org.ternary4j.core.metrics;

/**
 * One line of a quantization report: which tensor, how it was ternarized and what it cost.
 * {@code op} and {@code layerIndex} come from graph formats (ONNX); a plain tensor file leaves
 * them null and −1.
 */
public record TensorReport(String name, int[] shape, String method, String grouping, TensorMetrics metrics,
                           String op, int layerIndex, long params) {

    public static TensorReport of(String name, int[] shape, String method, String grouping, TensorMetrics metrics) {
        long params = 1;
        for (int d : shape) params *= d;
        return new TensorReport(name, shape.clone(), method, grouping, metrics, null, -1, params);
    }
}
