package org.ternary4j.formats.onnx;

/**
 * A node whose weight operand is a constant tensor: where the node and the tensor are, how the op
 * lays the weight out, its group count (1 but for grouped Conv/ConvTranspose), and its position
 * among the model's weight layers in graph order.
 */
record WeightLayer(int order, String op, String nodeName, String weightName, TensorSource source,
                   WeightLayout layout, GraphPath graph, int node, FloatType type, int[] storedShape, int group) {

    boolean embedding() {
        return op.equals("Gather");
    }
}
