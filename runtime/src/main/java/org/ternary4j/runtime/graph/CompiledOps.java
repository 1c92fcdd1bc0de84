package org.ternary4j.runtime.graph;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.runtime.kernel.Buffers;
import org.ternary4j.runtime.kernel.ConvGeometry;
import org.ternary4j.runtime.kernel.ConvOutput;
import org.ternary4j.runtime.kernel.Fp32Conv2d;
import org.ternary4j.runtime.kernel.Fp32Matrix;
import org.ternary4j.runtime.kernel.PackedTernaryMatrix;
import org.ternary4j.runtime.kernel.PanelGemm;
import org.ternary4j.runtime.kernel.Parallel;
import org.ternary4j.runtime.kernel.TapConv;

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

        /** The step under the run's activations: float ones where {@link Activations#floatIn} says so. */
        default Tensor[] run(Tensor[] in, Activations activations, Parallel par) {
            return run(in, activations.floatIn(int8Pays()), par);
        }

        /** Whether {@link Activations#AUTO} gives this step int8 activations. */
        default boolean int8Pays() {
            return false;
        }

        /** Whether this step multiplies by packed ternary weights (and so takes int8 or float activations). */
        default boolean ternary() {
            return false;
        }

        /** The packed layers this step runs, if {@link #ternary} (several for {@link SharedInputMatMuls}). */
        default int layers() {
            return 1;
        }
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private static Tensor[] one(Tensor t) {
        return new Tensor[] {t};
    }

    /** Any node through the reference operators. */
    record Generic(OnnxNode node, int opset) implements Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            return Operators.run(node, in, opset, par);
        }
    }

    /** A ternary layer without anything fused (MatMul, Gemm with transA). */
    record Ternary(OnnxNode node, TernaryLayers layer) implements Op {
        @Override
        public boolean ternary() {
            return true;
        }

        @Override
        public boolean int8Pays() {
            return layer instanceof TernaryLayers.Linear l && l.m().tableLookup();
        }

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

    /** The epilogue as {@link TapConv} finishes a conv's rows, or null when it has parts the taps leave to {@link ConvFinish} (α, HardSwish). */
    private static TapConv.Finish taps(Epilogue e) {
        if (e.alpha() != 1f || e.swish() != null) return null;
        return new TapConv.Finish(e.bias(), e.scale(), e.shift(), e.relu(), e.pool());
    }

    /** A conv's output shape [n, channels, outH, outW], halved by the epilogue's 2×2 pool. */
    private static int[] finishedShape(int[] in, int channels, ConvGeometry geo, int kh, int kw, Epilogue e) {
        int oh = geo.outH(in[2], kh), ow = geo.outW(in[3], kw);
        return e.pool() ? new int[] {in[0], channels, oh / 2, ow / 2} : new int[] {in[0], channels, oh, ow};
    }

    /** Conv with packed ternary weights and a fused epilogue (which adds the conv's bias). */
    record TernaryConv(TernaryLayers.Conv layer, Epilogue epilogue) implements Op {
        @Override
        public boolean ternary() {
            return true;
        }

        /** {@link Activations#AUTO} takes a 3×3 conv's Winograd form where it applies. */
        @Override
        public Tensor[] run(Tensor[] in, Activations activations, Parallel par) {
            return run(in, activations.floatIn(int8Pays()), activations.winograd(), par);
        }

        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            return run(in, exact, false, par);
        }

        private Tensor[] run(Tensor[] in, boolean exact, boolean winograd, Parallel par) {
            Tensor x = in[0];
            requireRank4(x);
            ConvGeometry geo = geometry(layer.window().resolve(x), layer.window().groups());
            int[] s = x.shape();
            TapConv.Finish f = exact ? taps(epilogue) : null;
            float[] y = f == null || !winograd ? null : layer.conv().forwardTiles(x.floats(), s[0], s[1], s[2], s[3], geo, f, par);
            if (f != null && y == null) y = layer.conv().forwardFinished(x.floats(), s[0], s[1], s[2], s[3], geo, f, par);
            if (y != null) return one(new Tensor.F32(finishedShape(s, layer.conv().outChannels(), geo, layer.conv().kernelH(), layer.conv().kernelW(), epilogue), y));
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
            TapConv.Finish f = taps(epilogue);
            float[] y = f == null ? null : conv.forwardFinished(x.floats(), s[0], s[1], s[2], s[3], geo, f, par);
            if (y != null) return one(new Tensor.F32(finishedShape(s, conv.outChannels(), geo, conv.kernelH(), conv.kernelW(), epilogue), y));
            return one(ConvFinish.apply(epilogue, conv.forwardRaw(x.floats(), s[0], s[1], s[2], s[3], geo, par)));
        }
    }

    private static int rowsOf(Tensor a, int k) {
        if (a.rank() != 2 || a.shape()[1] != k) throw new IllegalArgumentException("Gemm: input " + Arrays.toString(a.shape()) + " is not [rows, " + k + "]");
        return a.shape()[0];
    }

    /** Gemm (transA = 0) with a packed ternary B and a fused epilogue. */
    record TernaryGemm(PackedTernaryMatrix m, Epilogue epilogue) implements Op {
        @Override
        public boolean ternary() {
            return true;
        }

        @Override
        public boolean int8Pays() {
            return m.tableLookup();
        }

        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            int rows = rowsOf(in[0], m.cols());
            float[] y = new float[rows * m.rows()];
            RowSplit.gemm(m, in[0].floats(), rows, y, null, exact, par);
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

    /**
     * MatMul by a constant float matrix [k, n], kept as {@link PanelGemm} panels: every leading
     * dimension of A is a row; threads take their own rows or share the panels ({@link PanelGemm#share}).
     */
    record FloatMatMul(int k, int n, float[] panels, float[] bias) implements Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            int[] as = in[0].shape();
            if (as.length < 2 || as[as.length - 1] != k) return one(addBias(NeuralOps.matMul(in[0], new Tensor.F32(new int[] {k, n}, unpacked())), bias));
            int rows = in[0].size() / k;
            float[] y = Buffers.floats(rows * n);
            Parallel p = (long) rows * k * n < SERIAL_WORK ? Parallel.serial() : par;
            PanelGemm.share(p, new PanelGemm.Rows(in[0].floats(), k, y, n), rows, n, true, this::product);
            int[] shape = as.clone();
            shape[shape.length - 1] = n;
            return one(new Tensor.F32(shape, y));
        }

        /** Output columns [from, to) of {@code count} rows, bias added per panel. */
        private void product(PanelGemm.Rows io, int count, int from, int to) {
            for (int c = from; c < to; c += PanelGemm.NR) {
                PanelGemm.multiply(io, count, k, panels, c * k, c, Math.min(PanelGemm.NR, to - c));
                PanelGemm.addBias(io, count, bias, c, Math.min(PanelGemm.NR, to - c));
            }
        }

        /** The weight back in ONNX's [k, n] order, for inputs the panel kernel does not take (the reference reports their shape errors). */
        private float[] unpacked() {
            float[] b = new float[k * n];
            for (int c = 0; c < n; c++) for (int q = 0; q < k; q++) b[q * n + c] = panels[(c / PanelGemm.NR * k + q) * PanelGemm.NR + c % PanelGemm.NR];
            return b;
        }
    }

    /** A MatMul with packed ternary weights and the bias of the Add after it (null: none) fused in. */
    record TernaryMatMul(OnnxNode node, TernaryLayers.Linear layer, float[] bias) implements Op {
        @Override
        public boolean ternary() {
            return true;
        }

        @Override
        public boolean int8Pays() {
            return layer.m().tableLookup();
        }

        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            return one(layer.run(node, in, bias, exact, par));
        }
    }

    /** t + b along the last axis, in place (t is a product this step allocated); the Add node's float sums. */
    static Tensor addBias(Tensor t, float[] b) {
        if (b == null) return t;
        int n = b.length;
        if (t.rank() == 0 || t.shape()[t.rank() - 1] != n) {
            throw new IllegalArgumentException("Add: bias of " + n + " values for a product of shape " + Arrays.toString(t.shape()));
        }
        PanelGemm.addBias(t.floats(), t.size() / n, b);
        return t;
    }

    /** Multiply-adds below which a float product stays on the calling thread (handing work to a worker costs microseconds). */
    static final long SERIAL_WORK = 1 << 16;

    record Relu() implements Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            if (!(in[0] instanceof Tensor.F32 x)) return Operators.run(RELU, in, 13);
            float[] a = x.data(), out = Buffers.floats(a.length);
            int i = 0;
            for (int bound = F.loopBound(a.length); i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromArray(F, a, i);
                v.blend(0f, v.compare(VectorOperators.LE, 0f)).intoArray(out, i); // max(v, 0) without Java max's NaN/−0 sequence: the same values
            }
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
