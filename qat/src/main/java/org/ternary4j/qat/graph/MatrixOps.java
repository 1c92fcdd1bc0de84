package org.ternary4j.qat.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.ternary4j.qat.EngineArrays;

/** Matrix products and the (log-)softmax, with ONNX's per-version axis rules. */
final class MatrixOps {
    private MatrixOps() {}

    static void register(Map<String, Op> ops) {
        ops.put("MatMul", Op.single(c -> c.in(0).matMul(c.in(1))));
        ops.put("Gemm", Op.single(MatrixOps::gemm));
        ops.put("Softmax", Op.single(c -> softmax(c, false)));
        ops.put("LogSoftmax", Op.single(c -> softmax(c, true)));
    }

    private static NDArray gemm(NodeCall c) {
        NDArray a = c.in(0), b = c.in(1), bias = c.optional(2);
        if (c.intAttr("transA", 0) != 0) a = a.transpose();
        if (c.intAttr("transB", 0) != 0) b = b.transpose();
        NDArray y = a.matMul(b);
        float alpha = c.floatAttr("alpha", 1f), beta = c.floatAttr("beta", 1f);
        if (alpha != 1f) y = EngineArrays.mul(y, alpha);
        if (bias != null) y = y.add(beta == 1f ? bias : EngineArrays.mul(bias, beta));
        return y;
    }

    /**
     * Opset 13 normalises along {@code axis} (default −1); earlier versions flatten the input to 2-D
     * at {@code axis} (default 1) and normalise each row, which differs unless axis is the last.
     */
    private static NDArray softmax(NodeCall c, boolean log) {
        NDArray x = c.in(0);
        int rank = x.getShape().dimension();
        int axis = c.axis(c.intAttr("axis", c.opset() >= 13 ? -1 : 1), rank);
        if (c.opset() >= 13 || axis == rank - 1) return log ? x.logSoftmax(axis) : x.softmax(axis);
        Shape s = x.getShape();
        NDArray flat = x.reshape(s.slice(0, axis).size(), s.slice(axis).size());
        return (log ? flat.logSoftmax(1) : flat.softmax(1)).reshape(s);
    }
}
