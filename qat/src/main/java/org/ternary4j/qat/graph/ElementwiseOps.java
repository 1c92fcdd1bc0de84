package org.ternary4j.qat.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import java.util.Map;
import org.ternary4j.qat.EngineArrays;

/** Element-wise arithmetic and activations, with ONNX's (numpy) broadcasting. */
final class ElementwiseOps {
    private ElementwiseOps() {}

    static void register(Map<String, Op> ops) {
        ops.put("Add", Op.single(c -> c.in(0).add(c.in(1))));
        ops.put("Sub", Op.single(c -> c.in(0).sub(c.in(1))));
        ops.put("Mul", Op.single(c -> c.in(0).mul(c.in(1))));
        ops.put("Div", Op.single(ElementwiseOps::div));
        ops.put("Pow", Op.single(c -> c.in(0).pow(c.in(1).toType(c.in(0).getDataType(), false))));
        ops.put("Sqrt", Op.single(c -> c.in(0).sqrt()));
        ops.put("Exp", Op.single(c -> c.in(0).exp()));
        ops.put("Log", Op.single(c -> c.in(0).log()));
        ops.put("Neg", Op.single(c -> c.in(0).neg()));
        ops.put("Abs", Op.single(c -> c.in(0).abs()));
        ops.put("Tanh", Op.single(c -> c.in(0).tanh()));
        ops.put("Erf", Op.single(c -> c.in(0).erf()));
        ops.put("Reciprocal", Op.single(c -> EngineArrays.pow(c.in(0), -1f)));
        ops.put("Relu", Op.single(c -> Activation.relu(c.in(0))));
        ops.put("Sigmoid", Op.single(c -> Activation.sigmoid(c.in(0))));
        ops.put("HardSigmoid", Op.single(c -> hardSigmoid(c.in(0), c.floatAttr("alpha", 0.2f), c.floatAttr("beta", 0.5f))));
        ops.put("HardSwish", Op.single(c -> c.in(0).mul(hardSigmoid(c.in(0), 1f / 6, 0.5f))));
        ops.put("Clip", Op.single(ElementwiseOps::clip));
        ops.put("Identity", Op.single(c -> c.in(0)));
        // Inference: dropout passes its input through (and the optional mask output is not used by inference graphs).
        ops.put("Dropout", Op.single(c -> c.in(0)));
        ops.put("Max", Op.single(c -> fold(c, true)));
        ops.put("Min", Op.single(c -> fold(c, false)));
    }

    static NDArray hardSigmoid(NDArray x, float alpha, float beta) {
        return EngineArrays.mul(x, alpha).add(beta).clip(0f, 1f);
    }

    /** Integer division truncates (ONNX, C); floats divide as floats. */
    private static NDArray div(NodeCall c) {
        NDArray a = c.in(0), b = c.in(1);
        if (a.getDataType().isFloating() || b.getDataType().isFloating()) return a.div(b);
        DataType t = a.getDataType();
        return a.toType(DataType.FLOAT64, false).div(b.toType(DataType.FLOAT64, false)).toType(t, false);
    }

    /** Opset &lt; 11 takes min and max as attributes, later versions as optional inputs. */
    private static NDArray clip(NodeCall c) {
        NDArray x = c.in(0);
        if (c.opset() < 11) return x.clip(c.floatAttr("min", Float.NEGATIVE_INFINITY), c.floatAttr("max", Float.POSITIVE_INFINITY));
        NDArray lo = c.optional(1), hi = c.optional(2);
        if (lo != null) x = x.maximum(lo.toType(x.getDataType(), false));
        if (hi != null) x = x.minimum(hi.toType(x.getDataType(), false));
        return x;
    }

    private static NDArray fold(NodeCall c, boolean max) {
        NDArray out = c.in(0);
        for (int i = 1; i < c.inputs().size(); i++) out = max ? out.maximum(c.in(i)) : out.minimum(c.in(i));
        return out;
    }
}
