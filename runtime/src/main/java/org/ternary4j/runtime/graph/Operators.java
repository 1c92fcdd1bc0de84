package org.ternary4j.runtime.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.runtime.kernel.Parallel;

/** The float operators of the runtime, dispatched by ONNX op type (ternary layers live in {@link TernaryLayers}). */
final class Operators {
    private Operators() {}

    static final Set<String> SUPPORTED = Set.of("Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "Sigmoid", "Tanh", "Erf",
            "MaxPool", "AveragePool", "GlobalAveragePool", "BatchNormalization", "Flatten", "Reshape", "Transpose", "Concat", "Softmax",
            "Gather", "ReduceMean", "Pow", "Sqrt", "Shape", "Unsqueeze", "Squeeze", "Slice", "Constant", "Identity", "Dropout",
            "Cast", "Clip", "HardSigmoid", "HardSwish", "Neg", "Exp", "Abs", "Where", "Equal", "Less", "Greater", "Not", "Expand",
            "ConstantOfShape", "Resize", "ConvTranspose");

    /** Runs one node on the calling thread; {@code in} holds null for absent optional inputs. */
    static Tensor[] run(OnnxNode n, Tensor[] in, int opset) {
        return run(n, in, opset, Parallel.serial());
    }

    /** As above, the operators that share their work (MatMul, ConvTranspose) among par's threads. */
    static Tensor[] run(OnnxNode n, Tensor[] in, int opset, Parallel par) {
        String op = n.opType();
        return switch (op) {
            case "Add" -> one(arithmetic(VectorOps.Binary.ADD, in[0], in[1], Long::sum));
            case "Sub" -> one(arithmetic(VectorOps.Binary.SUB, in[0], in[1], (a, b) -> a - b));
            case "Mul" -> one(arithmetic(VectorOps.Binary.MUL, in[0], in[1], (a, b) -> a * b));
            case "Div" -> one(arithmetic(VectorOps.Binary.DIV, in[0], in[1], Operators::divide));
            case "Pow" -> one(pow(in[0], in[1]));
            case "Relu" -> one(floatUnary(VectorOps.Unary.RELU, in[0], v -> v > 0 ? v : (v == v ? 0 : v)));
            case "Sigmoid" -> one(floatUnary(VectorOps.Unary.SIGMOID, in[0], null));
            case "Tanh" -> one(floatUnary(VectorOps.Unary.TANH, in[0], null));
            case "Erf" -> one(floatUnary(VectorOps.Unary.ERF, in[0], null));
            case "Sqrt" -> one(floatUnary(VectorOps.Unary.SQRT, in[0], null));
            case "Exp" -> one(floatUnary(VectorOps.Unary.EXP, in[0], null));
            case "Neg" -> one(floatUnary(VectorOps.Unary.NEG, in[0], v -> -v));
            case "Abs" -> one(floatUnary(VectorOps.Unary.ABS, in[0], Math::abs));
            case "Cast" -> one(MoreOps.cast(in[0], n.intAttr("to", 1)));
            case "Clip" -> one(MoreOps.clip(n, in, opset));
            case "HardSigmoid" -> one(new Tensor.F32(in[0].shape(), VectorOps.hardSigmoid(in[0].floats(), n.floatAttr("alpha", 0.2f), n.floatAttr("beta", 0.5f), false)));
            case "HardSwish" -> one(new Tensor.F32(in[0].shape(), VectorOps.hardSigmoid(in[0].floats(), 1f / 6, 0.5f, true)));
            case "Where" -> one(MoreOps.where(in[0], in[1], in[2]));
            case "Equal", "Less", "Greater" -> one(MoreOps.compare(op, in[0], in[1]));
            case "Not" -> one(MoreOps.not(in[0]));
            case "Expand" -> one(MoreOps.expand(in[0], in[1].longs()));
            case "Identity", "Dropout" -> one(in[0]);
            case "Flatten" -> one(ShapeOps.flatten(in[0], n.intAttr("axis", 1)));
            case "Reshape" -> one(ShapeOps.reshape(in[0], in[1].longs(), n.intAttr("allowzero", 0) != 0));
            case "Transpose" -> one(ShapeOps.transpose(in[0], ints(n.intsAttr("perm"))));
            case "Concat" -> one(ShapeOps.concat(present(in), n.intAttr("axis", 0)));
            case "Gather" -> one(ShapeOps.gather(in[0], in[1], n.intAttr("axis", 0)));
            case "Shape" -> one(ShapeOps.shape(in[0], n.intAttr("start", 0), n.intAttr("end", Long.MAX_VALUE)));
            case "Unsqueeze" -> one(ShapeOps.unsqueeze(in[0], axes(n, in, opset, 13)));
            case "Squeeze" -> one(ShapeOps.squeeze(in[0], axes(n, in, opset, 13)));
            case "Slice" -> one(slice(n, in, opset));
            case "Softmax" -> one(softmax(n, in[0], opset));
            case "ReduceMean" -> one(reduceMean(n, in, opset));
            case "BatchNormalization" -> one(NeuralOps.batchNorm(in[0], in[1].floats(), in[2].floats(), in[3].floats(), in[4].floats(),
                    n.floatAttr("epsilon", 1e-5f)));
            case "GlobalAveragePool" -> one(NeuralOps.globalAveragePool(in[0]));
            case "MaxPool", "AveragePool" -> one(pool(n, in[0]));
            case "MatMul" -> one(NeuralOps.matMul(in[0], in[1], par));
            case "Gemm" -> one(gemm(n, in));
            case "Conv" -> one(conv(n, in));
            case "Resize" -> one(Upsampling.resize(n, in, opset));
            case "ConvTranspose" -> one(Upsampling.convTranspose(n, in, par));
            default -> throw new IllegalArgumentException("operator " + op + " is not supported by the runtime");
        };
    }

    /** Add/Sub/Mul/Div: int64 when both operands are, else float through the vector kernels. */
    private static Tensor arithmetic(VectorOps.Binary op, Tensor a, Tensor b, java.util.function.LongBinaryOperator l) {
        if (a instanceof Tensor.I64 && b instanceof Tensor.I64) return Elementwise.binary(op.onnx, a, b, null, l);
        VectorOps.Plan p = VectorOps.Plan.of(op.onnx, a.shape(), b.shape());
        return new Tensor.F32(p.shape(), VectorOps.binary(op, p, a.floats(), b.floats()));
    }

    /** Pow; a scalar exponent 2 is x·x (what float pow(x, 2) rounds to, since x² is exact in double). */
    private static Tensor pow(Tensor a, Tensor b) {
        if (b.size() == 1 && b.rank() <= a.rank() && b.floats()[0] == 2f) {
            float[] x = a.floats();
            VectorOps.Plan p = VectorOps.Plan.of("Pow", a.shape(), a.shape());
            return new Tensor.F32(VectorOps.Plan.of("Pow", a.shape(), b.shape()).shape(), VectorOps.binary(VectorOps.Binary.MUL, p, x, x));
        }
        return Elementwise.binary("Pow", a, b, (x, y) -> (float) Math.pow(x, y), null);
    }

    /** A unary operator on floats; int64 inputs go through {@code onLongs} (float result) where given, else are converted. */
    private static Tensor floatUnary(VectorOps.Unary op, Tensor x, java.util.function.DoubleUnaryOperator onLongs) {
        if (x instanceof Tensor.I64 && onLongs != null) return MoreOps.map(x, onLongs, v -> (long) onLongs.applyAsDouble(v));
        return new Tensor.F32(x.shape(), VectorOps.unary(op, x.floats()));
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
    private static long[] axes(OnnxNode n, Tensor[] in, int opset, int inputSince) {
        if (opset < inputSince) return n.intsAttr("axes");
        return in.length > 1 && in[1] != null ? in[1].longs() : null;
    }

    private static Tensor slice(OnnxNode n, Tensor[] in, int opset) {
        if (opset < 10) {
            return ShapeOps.slice(in[0], n.intsAttr("starts"), n.intsAttr("ends"), n.intsAttr("axes"), null);
        }
        return ShapeOps.slice(in[0], in[1].longs(), in[2].longs(), in.length > 3 && in[3] != null ? in[3].longs() : null,
                in.length > 4 && in[4] != null ? in[4].longs() : null);
    }

    private static Tensor softmax(OnnxNode n, Tensor x, int opset) {
        int r = x.rank();
        int axis = ShapeOps.axis(n.intAttr("axis", opset < 13 ? 1 : -1), r, "Softmax");
        int outer = 1, len = 1, inner = 1;
        for (int d = 0; d < r; d++) {
            if (d < axis) outer *= x.shape()[d];
            else if (d == axis || opset < 13) len *= x.shape()[d];
            else inner *= x.shape()[d];
        }
        if (inner == 1) return new Tensor.F32(x.shape(), Exponentials.softmaxRows(x.floats(), len));
        return NeuralOps.softmax(x, outer, len, inner);
    }

    private static Tensor reduceMean(OnnxNode n, Tensor[] in, int opset) {
        long[] axes = axes(n, in, opset, 18);
        boolean keep = n.intAttr("keepdims", 1) != 0;
        int r = in[0].rank();
        boolean[] reduce = new boolean[r];
        if (axes == null || axes.length == 0) {
            if (n.intAttr("noop_with_empty_axes", 0) != 0) return in[0];
            Arrays.fill(reduce, true);
        } else {
            for (long a : axes) reduce[ShapeOps.axis(a, r, "ReduceMean")] = true;
        }
        int first = 0;
        while (first < r && !reduce[first]) first++;
        boolean trailing = first < r;
        for (int d = first; d < r; d++) trailing &= reduce[d];
        if (trailing && in[0].size() > 0) {
            int len = 1;
            for (int d = first; d < r; d++) len *= in[0].shape()[d];
            int[] shape = keep ? in[0].shape().clone() : Arrays.copyOf(in[0].shape(), first);
            if (keep) Arrays.fill(shape, first, r, 1);
            return new Tensor.F32(shape, VectorOps.meanRows(in[0].floats(), len));
        }
        return NeuralOps.reduceMean(in[0], reduce, keep);
    }

    private static Tensor pool(OnnxNode n, Tensor x) {
        boolean max = n.opType().equals("MaxPool");
        if (max && n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()) {
            throw new IllegalArgumentException("MaxPool: the Indices output is not supported");
        }
        return NeuralOps.pool(x, WindowSpec.pool(n).resolve(x), max, n.intAttr("count_include_pad", 0) != 0);
    }

    /** A perm attribute as ints (absent: null, the reversed axes). */
    private static int[] ints(long[] v) {
        if (v == null) return null;
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] < Integer.MIN_VALUE || v[i] > Integer.MAX_VALUE) throw new IllegalArgumentException("attribute value " + v[i] + " out of range");
            r[i] = (int) v[i];
        }
        return r;
    }

    private static Tensor gemm(OnnxNode n, Tensor[] in) {
        Tensor a = in[0], b = in[1];
        if (a.rank() != 2 || b.rank() != 2) throw new IllegalArgumentException("Gemm: A and B must be matrices");
        if (n.intAttr("transA", 0) != 0) a = ShapeOps.transpose(a, null);
        boolean tb = n.intAttr("transB", 0) != 0;
        int m = a.shape()[0], k = a.shape()[1], nn = tb ? b.shape()[0] : b.shape()[1];
        if ((tb ? b.shape()[1] : b.shape()[0]) != k) throw new IllegalArgumentException("Gemm: inner dimensions differ: " + Arrays.toString(a.shape()) + ", B " + Arrays.toString(b.shape()));
        float[] y = NeuralOps.matmul(a.floats(), 0, b.floats(), 0, m, k, nn, tb);
        float alpha = n.floatAttr("alpha", 1f);
        if (alpha != 1f) for (int i = 0; i < y.length; i++) y[i] *= alpha;
        NeuralOps.addBias(y, m, nn, in.length > 2 ? in[2] : null, n.floatAttr("beta", 1f));
        return new Tensor.F32(new int[] {m, nn}, y);
    }

    private static Tensor conv(OnnxNode n, Tensor[] in) {
        Tensor x = in[0], w = in[1];
        if (w.rank() != 4) throw new IllegalArgumentException("Conv: only 2-D convolution is supported, weight has rank " + w.rank());
        WindowSpec window = WindowSpec.conv(n, w.shape()[2], w.shape()[3]);
        int groups = window.groups();
        if (x.rank() == 4 && x.shape()[1] != w.shape()[1] * groups) {
            throw new IllegalArgumentException("Conv: input has " + x.shape()[1] + " channels, weight expects " + w.shape()[1] * groups);
        }
        return NeuralOps.conv(x, w.floats(), w.shape()[0], in.length > 2 && in[2] != null ? in[2].floats() : null, window.resolve(x), groups);
    }
}
