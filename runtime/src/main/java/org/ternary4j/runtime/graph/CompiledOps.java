package org.ternary4j.runtime.graph;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.runtime.kernel.ConvGeometry;
import org.ternary4j.runtime.kernel.ConvOutput;
import org.ternary4j.runtime.kernel.Fp32Conv2d;
import org.ternary4j.runtime.kernel.Fp32Matrix;
import org.ternary4j.runtime.kernel.PackedTernaryMatrix;
import org.ternary4j.runtime.kernel.Parallel;
import org.ternary4j.runtime.kernel.TernaryMatmul;

/**
 * The executable form of a graph node (or of a Conv/Gemm with the BatchNormalization and Relu
 * fused into it): attributes resolved and constant weights prepared when the graph is compiled,
 * so a run only computes.
 */
final class CompiledOps {
    private CompiledOps() {}

    /** One step of a compiled graph; {@code in} holds null for absent inputs and for packed weights. */
    interface Op {
        Tensor[] run(Tensor[] in, boolean exact, Parallel par);
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;

    private static Tensor[] one(Tensor t) {
        return new Tensor[] {t};
    }

    /** Any node through the reference operators. */
    record Generic(OnnxNode node, int opset) implements Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            return Operators.run(node, in, opset);
        }
    }

    /** A ternary layer without anything fused (MatMul, Gemm with transA). */
    record Ternary(OnnxNode node, TernaryLayers layer) implements Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            return one(layer.run(node, in, exact, par));
        }
    }

    private static ConvGeometry geometry(NeuralOps.Window w, int groups) {
        return new ConvGeometry(w.sh(), w.sw(), w.padT(), w.padL(), w.padB(), w.padR(), w.dh(), w.dw(), groups);
    }

    private static void requireRank4(Tensor x) {
        if (x.rank() != 4) throw new IllegalArgumentException("only 2-D convolution (rank-4 input) is supported, got rank " + x.rank());
    }

    /** Conv with packed ternary weights and a fused epilogue (which adds the conv's bias). */
    record TernaryConv(TernaryLayers.Conv layer, Epilogue epilogue) implements Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            Tensor x = in[0];
            requireRank4(x);
            ConvGeometry geo = geometry(layer.window().resolve(x), layer.window().groups());
            int[] s = x.shape();
            return one(ConvFinish.apply(epilogue, layer.conv().forwardRaw(x.floats(), s[0], s[1], s[2], s[3], geo, exact, par)));
        }
    }

    /** Conv with constant float weights; the bias is part of the epilogue. */
    record FloatConv(Fp32Conv2d conv, WindowSpec window, Epilogue epilogue) implements Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            Tensor x = in[0];
            requireRank4(x);
            ConvGeometry geo = geometry(window.resolve(x), window.groups());
            int[] s = x.shape();
            return one(ConvFinish.apply(epilogue, conv.forwardRaw(x.floats(), s[0], s[1], s[2], s[3], geo, par)));
        }
    }

    private static int rowsOf(Tensor a, int k) {
        if (a.rank() != 2 || a.shape()[1] != k) throw new IllegalArgumentException("Gemm: input " + Arrays.toString(a.shape()) + " is not [rows, " + k + "]");
        return a.shape()[0];
    }

    /** Gemm (transA = 0) with a packed ternary B and a fused epilogue. */
    record TernaryGemm(PackedTernaryMatrix m, Epilogue epilogue) implements Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            int rows = rowsOf(in[0], m.cols());
            float[] y = new float[rows * m.rows()];
            if (exact) TernaryMatmul.gemmExact(m, in[0].floats(), rows, y, par);
            else TernaryMatmul.gemm(m, in[0].floats(), rows, y, par);
            epilogue.apply(y, rows, m.rows(), 1);
            return one(new Tensor.F32(new int[] {rows, m.rows()}, y));
        }
    }

    /** Gemm (transA = 0) with a constant float B, stored as [out, in] rows for the FMA kernel. */
    record FloatGemm(Fp32Matrix w, Epilogue epilogue) implements Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            int rows = rowsOf(in[0], w.cols());
            float[] y = new float[rows * w.rows()];
            if (rows == 1) w.gemv(in[0].floats(), y, par);
            else w.gemm(in[0].floats(), rows, y, par);
            epilogue.apply(y, rows, w.rows(), 1);
            return one(new Tensor.F32(new int[] {rows, w.rows()}, y));
        }
    }

    /** MatMul by a constant float matrix (stored [out, in]): every leading dimension of A is a row. */
    record FloatMatMul(Fp32Matrix w) implements Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            int[] as = in[0].shape();
            if (as.length < 2 || as[as.length - 1] != w.cols()) return one(NeuralOps.matMul(in[0], new Tensor.F32(new int[] {w.cols(), w.rows()}, transposed())));
            int rows = in[0].size() / w.cols();
            float[] y = new float[rows * w.rows()];
            if (rows == 1) w.gemv(in[0].floats(), y, par);
            else w.gemm(in[0].floats(), rows, y, par);
            int[] shape = as.clone();
            shape[shape.length - 1] = w.rows();
            return one(new Tensor.F32(shape, y));
        }

        /** The weight back in ONNX's [in, out] order, for inputs the row kernel does not take (the reference reports their shape errors). */
        private float[] transposed() {
            float[] t = new float[w.rows() * w.cols()];
            for (int r = 0; r < w.rows(); r++) for (int c = 0; c < w.cols(); c++) t[c * w.rows() + r] = w.get(r, c);
            return t;
        }
    }

    record Relu() implements Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            if (!(in[0] instanceof Tensor.F32 x)) return Operators.run(RELU, in, 13);
            float[] a = x.data(), out = new float[a.length];
            int i = 0;
            for (int bound = F.loopBound(a.length); i < bound; i += F.length()) FloatVector.fromArray(F, a, i).max(0f).intoArray(out, i);
            for (; i < a.length; i++) out[i] = Epilogue.relu(a[i]);
            return one(new Tensor.F32(x.shape(), out));
        }

        private static final OnnxNode RELU = new OnnxNode("", "Relu", "", List.of(), List.of(), Map.of());
    }

    /**
     * MaxPool without padding (windows never leave the image): per output row, the window's rows
     * are reduced with vector max over contiguous input (Math.max semantics: NaN wins, +0 above
     * −0; order-free), then shifted copies of that row likewise, and each output picks its column.
     * The common 2×2 stride-2 window goes to {@link ConvFinish} (lane picks, no per-output scalar work).
     */
    record MaxPool(WindowSpec window) implements Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            Tensor x = in[0];
            NeuralOps.Window w = window.resolve(x);
            if (w.padT() != 0 || w.padL() != 0 || w.padB() != 0 || w.padR() != 0 || w.ceil()) return one(NeuralOps.pool(x, w, true, false));
            int n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], wd = x.shape()[3], oh = w.outH(h), ow = w.outW(wd);
            float[] a = x.floats();
            if (w.plainTwoByTwo()) return one(ConvFinish.apply(POOL, new ConvOutput(a, n, c, h, wd, wd)));
            int spanW = wd - (w.kw() - 1) * w.dw();
            float[] out = new float[n * c * oh * ow], row = new float[wd], span = new float[spanW];
            for (int p = 0; p < n * c; p++) {
                int plane = p * h * wd;
                for (int oy = 0; oy < oh; oy++) {
                    int first = plane + oy * w.sh() * wd;
                    System.arraycopy(a, first, row, 0, wd);
                    for (int ky = 1; ky < w.kh(); ky++) maxInto(row, a, first + ky * w.dh() * wd, wd);
                    // span[i] = max over the window's columns starting at column i
                    System.arraycopy(row, 0, span, 0, spanW);
                    for (int kx = 1; kx < w.kw(); kx++) maxInto(span, row, kx * w.dw(), spanW);
                    int o = (p * oh + oy) * ow;
                    for (int ox = 0; ox < ow; ox++) out[o + ox] = span[ox * w.sw()];
                }
            }
            return one(new Tensor.F32(new int[] {n, c, oh, ow}, out));
        }

        private static final Epilogue POOL = Epilogue.NONE.withPool();

        private static void maxInto(float[] row, float[] a, int from, int n) {
            int i = 0;
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                FloatVector.fromArray(F, row, i).max(FloatVector.fromArray(F, a, from + i)).intoArray(row, i);
            }
            for (; i < n; i++) row[i] = Math.max(row[i], a[from + i]);
        }
    }
}
