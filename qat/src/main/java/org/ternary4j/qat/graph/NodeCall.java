package org.ternary4j.qat.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.ternary4j.formats.onnx.OnnxNode;

/**
 * One node about to run: the node, its input arrays (null for an absent optional input), the
 * model's opset (attributes moved to inputs across versions) and the manager that owns new arrays.
 */
record NodeCall(OnnxNode node, List<NDArray> inputs, long opset, NDManager manager) {

    /** Input {@code i}; refuses an absent one. */
    NDArray in(int i) {
        NDArray a = i < inputs.size() ? inputs.get(i) : null;
        if (a == null) throw fail("needs input " + i);
        return a;
    }

    /** Input {@code i}, or null when absent. */
    NDArray optional(int i) {
        return i < inputs.size() ? inputs.get(i) : null;
    }

    /** An integer input (shapes, axes, indices) read back to the host, or null when absent. */
    long[] longs(int i) {
        NDArray a = optional(i);
        if (a == null) return null;
        return a.toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
    }

    float floatAttr(String name, float dflt) {
        return node.floatAttr(name, dflt);
    }

    long intAttr(String name, long dflt) {
        return node.intAttr(name, dflt);
    }

    long[] intsAttr(String name) {
        return node.intsAttr(name);
    }

    IllegalArgumentException fail(String problem) {
        return new IllegalArgumentException("node '" + node.label() + "' (" + node.opType() + "): " + problem);
    }

    /** A non-negative axis for an array of {@code rank} dimensions. */
    int axis(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw fail("axis " + axis + " is out of range for rank " + rank);
        return (int) a;
    }
}
