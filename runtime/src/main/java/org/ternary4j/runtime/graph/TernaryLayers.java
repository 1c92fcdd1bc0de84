package org.ternary4j.runtime.graph;

import java.util.Arrays;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.runtime.kernel.Buffers;
import org.ternary4j.runtime.kernel.ConvGeometry;
import org.ternary4j.runtime.kernel.PackedTernaryMatrix;
import org.ternary4j.runtime.kernel.Parallel;
import org.ternary4j.runtime.kernel.TernaryConv2d;
import org.ternary4j.runtime.kernel.WeightBytes;

/** Conv, Gemm and MatMul nodes whose weight is a packed ternary tensor (canonical [out, in, ...]). */
sealed interface TernaryLayers {

    Tensor run(OnnxNode n, Tensor[] in, boolean exact, Parallel par);

    /** Bytes of packed codes, scales and layout tables (and a conv's bias) this layer keeps in memory. */
    default long residentBytes() {
        return weightBytes().total();
    }

    WeightBytes weightBytes();

    /**
     * The packed layer for node n with ternary weight t; {@code onnxWeight} is the float
     * initializer's shape if the model still has one; {@code onePixel}: a conv's input is always
     * one pixel per image ({@link OnePixel}).
     */
    static TernaryLayers of(OnnxNode n, TernaryTensor t, int[] onnxWeight, Tensor bias, boolean onePixel) {
        int[] s = t.shape();
        String where = n.opType() + " node '" + n.label() + "' weight '" + n.inputs().get(1) + "'";
        switch (n.opType()) {
            case "Conv" -> {
                if (s.length != 4) throw new IllegalArgumentException(where + ": ternary conv weight must be [O, I/g, kh, kw], got " + Arrays.toString(s));
                requireShape(where, onnxWeight, s);
                WindowSpec window = WindowSpec.conv(n, s[2], s[3]);
                float[] b = bias == null ? null : bias.floats();
                return new Conv(TernaryConv2d.of(t, b, window.groups(), onePixel), window);
            }
            case "Gemm", "MatMul" -> {
                if (s.length != 2) throw new IllegalArgumentException(where + ": ternary weight must be [out, in], got " + Arrays.toString(s));
                boolean transB = n.opType().equals("Gemm") && n.intAttr("transB", 0) != 0;
                // ONNX stores MatMul / Gemm(transB=0) weights [in, out]: the canonical tensor is their transpose.
                requireShape(where, onnxWeight, transB ? s : new int[] {s[1], s[0]});
                return new Linear(PackedTernaryMatrix.of(t));
            }
            default -> throw new IllegalArgumentException(where + ": " + n.opType() + " cannot take a ternary weight");
        }
    }

    private static void requireShape(String where, int[] onnx, int[] expected) {
        if (onnx != null && !Arrays.equals(onnx, expected)) {
            throw new IllegalArgumentException(where + ": ternary tensor implies ONNX shape " + Arrays.toString(expected) + " but the model's initializer is " + Arrays.toString(onnx));
        }
    }

    record Conv(TernaryConv2d conv, WindowSpec window) implements TernaryLayers {
        public WeightBytes weightBytes() {
            return conv.weightBytes();
        }

        public Tensor run(OnnxNode n, Tensor[] in, boolean exact, Parallel par) {
            Tensor x = in[0];
            NeuralOps.Window w = window.resolve(x);
            ConvGeometry geo = new ConvGeometry(w.sh(), w.sw(), w.padT(), w.padL(), w.padB(), w.padR(), w.dh(), w.dw(), window.groups());
            int[] xs = x.shape();
            float[] y = conv.forward(x.floats(), xs[0], xs[1], xs[2], xs[3], geo, exact, par);
            return new Tensor.F32(new int[] {xs[0], conv.outChannels(), geo.outH(xs[2], conv.kernelH()), geo.outW(xs[3], conv.kernelW())}, y);
        }
    }

    record Linear(PackedTernaryMatrix m) implements TernaryLayers {
        public WeightBytes weightBytes() {
            return m.weightBytes();
        }

        public Tensor run(OnnxNode n, Tensor[] in, boolean exact, Parallel par) {
            return run(n, in, null, exact, par);
        }

        /** The product plus {@code bias} along its last axis (a MatMul's fused Add; null: none). */
        public Tensor run(OnnxNode n, Tensor[] in, float[] bias, boolean exact, Parallel par) {
            Tensor a = in[0];
            boolean gemm = n.opType().equals("Gemm");
            if (gemm && n.intAttr("transA", 0) != 0) a = ShapeOps.transpose(a, null);
            int[] as = a.shape();
            if (as.length == 0 || as[as.length - 1] != m.cols()) {
                throw new IllegalArgumentException(n.opType() + " node '" + n.label() + "': input " + Arrays.toString(as) + " does not end in " + m.cols());
            }
            int rows = a.size() / m.cols();
            float[] y = Buffers.floats(rows * m.rows());
            RowSplit.gemm(m, a.floats(), rows, y, bias, exact, par);
            int[] shape = as.clone();
            shape[shape.length - 1] = m.rows();
            if (gemm) {
                float alpha = n.floatAttr("alpha", 1f);
                if (alpha != 1f) for (int i = 0; i < y.length; i++) y[i] *= alpha;
                NeuralOps.addBias(y, rows, m.rows(), in.length > 2 ? in[2] : null, n.floatAttr("beta", 1f));
            }
            return new Tensor.F32(shape, y);
        }
    }
}
