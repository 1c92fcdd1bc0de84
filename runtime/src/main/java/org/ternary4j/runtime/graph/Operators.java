package org.ternary4j.runtime.graph;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** The float operators of the runtime, dispatched by ONNX op type (ternary layers live in {@link TernaryLayers}). */
final class Operators {
    private Operators() {}

    static final Set<String> SUPPORTED = Set.of("Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "Sigmoid", "Tanh", "Erf",
            "MaxPool", "AveragePool", "GlobalAveragePool", "BatchNormalization", "Flatten", "Reshape", "Transpose", "Concat", "Softmax",
            "Gather", "ReduceMean", "Pow", "Sqrt", "Shape", "Unsqueeze", "Squeeze", "Slice", "Constant", "Identity", "Dropout");

    /** Runs one node; {@code in} holds null for absent optional inputs. */
    static Tensor[] run(OnnxMl.NodeProto n, Tensor[] in, int opset) {
        String op = n.getOpType();
        return switch (op) {
            case "Add" -> one(Elementwise.binary(op, in[0], in[1], Float::sum, Long::sum));
            case "Sub" -> one(Elementwise.binary(op, in[0], in[1], (a, b) -> a - b, (a, b) -> a - b));
            case "Mul" -> one(Elementwise.binary(op, in[0], in[1], (a, b) -> a * b, (a, b) -> a * b));
            case "Div" -> one(Elementwise.binary(op, in[0], in[1], (a, b) -> a / b, Operators::divide));
            case "Pow" -> one(Elementwise.binary(op, in[0], in[1], (a, b) -> (float) Math.pow(a, b), null));
            case "Relu" -> one(Elementwise.unary(in[0], v -> v > 0 ? v : (v == v ? 0 : v)));
            case "Sigmoid" -> one(Elementwise.unary(in[0], Elementwise::sigmoid));
            case "Tanh" -> one(Elementwise.unary(in[0], Math::tanh));
            case "Erf" -> one(Elementwise.unary(in[0], Elementwise::erf));
            case "Sqrt" -> one(Elementwise.unary(in[0], Math::sqrt));
            case "Identity", "Dropout" -> one(in[0]);
            case "Flatten" -> one(ShapeOps.flatten(in[0], Protos.intAttr(n, "axis", 1)));
            case "Reshape" -> one(ShapeOps.reshape(in[0], in[1].longs(), Protos.intAttr(n, "allowzero", 0) != 0));
            case "Transpose" -> one(ShapeOps.transpose(in[0], Protos.toInts(Protos.intsAttr(n, "perm"))));
            case "Concat" -> one(ShapeOps.concat(present(in), Protos.intAttr(n, "axis", 0)));
            case "Gather" -> one(ShapeOps.gather(in[0], in[1], Protos.intAttr(n, "axis", 0)));
            case "Shape" -> one(ShapeOps.shape(in[0], Protos.intAttr(n, "start", 0), Protos.intAttr(n, "end", Long.MAX_VALUE)));
            case "Unsqueeze" -> one(ShapeOps.unsqueeze(in[0], axes(n, in, opset, 13)));
            case "Squeeze" -> one(ShapeOps.squeeze(in[0], axes(n, in, opset, 13)));
            case "Slice" -> one(slice(n, in, opset));
            case "Softmax" -> one(softmax(n, in[0], opset));
            case "ReduceMean" -> one(reduceMean(n, in, opset));
            case "BatchNormalization" -> one(NeuralOps.batchNorm(in[0], in[1].floats(), in[2].floats(), in[3].floats(), in[4].floats(),
                    Protos.floatAttr(n, "epsilon", 1e-5f)));
            case "GlobalAveragePool" -> one(NeuralOps.globalAveragePool(in[0]));
            case "MaxPool", "AveragePool" -> one(pool(n, in[0]));
            case "MatMul" -> one(NeuralOps.matMul(in[0], in[1]));
            case "Gemm" -> one(gemm(n, in));
            case "Conv" -> one(conv(n, in));
            default -> throw new IllegalArgumentException("operator " + op + " is not supported by the runtime");
        };
    }

    private static Tensor[] one(Tensor t) {
        return new Tensor[] {t};
    }

    private static long divide(long a, long b) {
        if (b == 0) throw new IllegalArgumentException("Div: integer division by zero");
        return a / b;
    }

    private static List<Tensor> present(Tensor[] in) {
        List<Tensor> l = new ArrayList<>();
        for (Tensor t : in) if (t != null) l.add(t);
        return l;
    }

    /** Axes from the attribute (before {@code inputSince}) or the second input. */
    private static long[] axes(OnnxMl.NodeProto n, Tensor[] in, int opset, int inputSince) {
        if (opset < inputSince) return Protos.intsAttr(n, "axes");
        return in.length > 1 && in[1] != null ? in[1].longs() : null;
    }

    private static Tensor slice(OnnxMl.NodeProto n, Tensor[] in, int opset) {
        if (opset < 10) {
            return ShapeOps.slice(in[0], Protos.intsAttr(n, "starts"), Protos.intsAttr(n, "ends"), Protos.intsAttr(n, "axes"), null);
        }
        return ShapeOps.slice(in[0], in[1].longs(), in[2].longs(), in.length > 3 && in[3] != null ? in[3].longs() : null,
                in.length > 4 && in[4] != null ? in[4].longs() : null);
    }

    private static Tensor softmax(OnnxMl.NodeProto n, Tensor x, int opset) {
        int r = x.rank();
        int axis = ShapeOps.axis(Protos.intAttr(n, "axis", opset < 13 ? 1 : -1), r, "Softmax");
        int outer = 1, len = 1, inner = 1;
        for (int d = 0; d < r; d++) {
            if (d < axis) outer *= x.shape()[d];
            else if (d == axis || opset < 13) len *= x.shape()[d];
            else inner *= x.shape()[d];
        }
        return NeuralOps.softmax(x, outer, len, inner);
    }

    private static Tensor reduceMean(OnnxMl.NodeProto n, Tensor[] in, int opset) {
        long[] axes = axes(n, in, opset, 18);
        boolean keep = Protos.intAttr(n, "keepdims", 1) != 0;
        int r = in[0].rank();
        boolean[] reduce = new boolean[r];
        if (axes == null || axes.length == 0) {
            if (Protos.intAttr(n, "noop_with_empty_axes", 0) != 0) return in[0];
            Arrays.fill(reduce, true);
        } else {
            for (long a : axes) reduce[ShapeOps.axis(a, r, "ReduceMean")] = true;
        }
        return NeuralOps.reduceMean(in[0], reduce, keep);
    }

    private static Tensor pool(OnnxMl.NodeProto n, Tensor x) {
        boolean max = n.getOpType().equals("MaxPool");
        int[] k = Protos.toInts(Protos.intsAttr(n, "kernel_shape"));
        if (k == null || k.length != 2) throw new IllegalArgumentException(n.getOpType() + ": only 2-D kernel_shape is supported");
        if (max && n.getOutputCount() > 1 && !n.getOutput(1).isEmpty()) throw new IllegalArgumentException("MaxPool: the Indices output is not supported");
        return NeuralOps.pool(x, window(n, k, x), max, Protos.intAttr(n, "count_include_pad", 0) != 0);
    }

    /** Strides, dilations, pads (explicit or auto_pad) of a 2-D Conv or pooling node for input x. */
    static NeuralOps.Window window(OnnxMl.NodeProto n, int[] k, Tensor x) {
        return WindowSpec.of(n, k).resolve(x);
    }

    private static Tensor gemm(OnnxMl.NodeProto n, Tensor[] in) {
        Tensor a = in[0], b = in[1];
        if (a.rank() != 2 || b.rank() != 2) throw new IllegalArgumentException("Gemm: A and B must be matrices");
        if (Protos.intAttr(n, "transA", 0) != 0) a = ShapeOps.transpose(a, null);
        boolean tb = Protos.intAttr(n, "transB", 0) != 0;
        int m = a.shape()[0], k = a.shape()[1], nn = tb ? b.shape()[0] : b.shape()[1];
        if ((tb ? b.shape()[1] : b.shape()[0]) != k) throw new IllegalArgumentException("Gemm: inner dimensions differ: " + Arrays.toString(a.shape()) + ", B " + Arrays.toString(b.shape()));
        float[] y = NeuralOps.matmul(a.floats(), 0, b.floats(), 0, m, k, nn, tb);
        float alpha = Protos.floatAttr(n, "alpha", 1f);
        if (alpha != 1f) for (int i = 0; i < y.length; i++) y[i] *= alpha;
        NeuralOps.addBias(y, m, nn, in.length > 2 ? in[2] : null, Protos.floatAttr(n, "beta", 1f));
        return new Tensor.F32(new int[] {m, nn}, y);
    }

    private static Tensor conv(OnnxMl.NodeProto n, Tensor[] in) {
        Tensor x = in[0], w = in[1];
        if (w.rank() != 4) throw new IllegalArgumentException("Conv: only 2-D convolution is supported, weight has rank " + w.rank());
        int groups = (int) Protos.intAttr(n, "group", 1);
        int[] k = {w.shape()[2], w.shape()[3]};
        if (x.rank() == 4 && x.shape()[1] != w.shape()[1] * groups) {
            throw new IllegalArgumentException("Conv: input has " + x.shape()[1] + " channels, weight expects " + w.shape()[1] * groups);
        }
        return NeuralOps.conv(x, w.floats(), w.shape()[0], in.length > 2 && in[2] != null ? in[2].floats() : null, window(n, k, x), groups);
    }
}
