package org.ternary4j.qat.graph;

import ai.djl.ndarray.NDArray;

/** One ONNX operator over engine arrays: the outputs of a node for its inputs, differentiable where the op is. */
@FunctionalInterface
interface Op {
    NDArray[] apply(NodeCall call);

    /** An op with one output. */
    static Op single(java.util.function.Function<NodeCall, NDArray> f) {
        return c -> new NDArray[] {f.apply(c)};
    }
}
