package org.ternary4j.runtime.graph;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.core.grouping.Shapes;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.runtime.kernel.Buffers;
import org.ternary4j.runtime.kernel.Parallel;

/**
 * The steps {@link TransformerFusion} makes of several nodes. Each computes, per element, the
 * float operations of the nodes it replaces in their order (means summed in double like
 * ReduceMean's reference, multiplies and adds never contracted to FMAs), rows shared among the
 * threads.
 */
final class FusedOps {
    private FusedOps() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Rows of work (of about {@code rowCost} element operations each) below which a step stays on the calling thread. */
    private static Parallel split(Parallel par, int rows, int rowCost) {
        return (long) rows * rowCost < CompiledOps.SERIAL_WORK ? Parallel.serial() : par;
    }

    /** y = (x − mean) / sqrt(var + ε) · γ + β over the last axis (var the mean of (x − mean)²). */
    record LayerNorm(float eps, float[] gamma, float[] beta) implements CompiledOps.Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            Tensor x = in[0];
            int len = gamma.length;
            if (x.rank() == 0 || x.shape()[x.rank() - 1] != len) {
                throw new IllegalArgumentException("LayerNorm: input " + java.util.Arrays.toString(x.shape()) + " does not end in " + len);
            }
            float[] a = x.floats(), y = Buffers.floats(a.length);
            int rows = a.length / len;
            split(par, rows, 8 * len).forEachPart(rows, 1, (from, to) -> {
                float[] d = new float[len];
                for (int r = from; r < to; r++) row(a, r, d, y);
            });
            return new Tensor[] {new Tensor.F32(x.shape(), y)};
        }

        /** Row r of a normalized into the same row of y (y may be a); d is scratch of one row. */
        void row(float[] a, int r, float[] d, float[] y) {
            int len = gamma.length, bound = F.loopBound(len), o = r * len, i = 0;
            float mean = (float) (DoubleSums.of(a, o, len, false) / len);
            for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, o + i).sub(mean).intoArray(d, i);
            for (; i < len; i++) d[i] = a[o + i] - mean;
            float sd = (float) Math.sqrt((float) (DoubleSums.of(d, 0, len, true) / len) + eps);
            for (i = 0; i < bound; i += F.length()) {
                FloatVector.fromArray(F, d, i).div(sd).mul(FloatVector.fromArray(F, gamma, i)).add(FloatVector.fromArray(F, beta, i)).intoArray(y, o + i);
            }
            for (; i < len; i++) y[o + i] = d[i] / sd * gamma[i] + beta[i];
        }
    }

    /** y = (x · (erf(x / root) + 1)) · half: GELU as exporters write it (root √2, half ½). */
    record Gelu(float root, float half) implements CompiledOps.Op {
        private static final int CHUNK = 4096;

        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            float[] a = in[0].floats(), y = Buffers.floats(a.length);
            int chunks = (a.length + CHUNK - 1) / CHUNK;
            split(par, chunks, 30 * CHUNK).forEachPart(chunks, 1, (from, to) -> {
                int start = from * CHUNK, end = Math.min(a.length, to * CHUNK), bound = start + F.loopBound(end - start);
                // y holds x / √2, then erf of it, then the GELU: each pass one loop of whole vectors
                for (int i = start; i < bound; i += F.length()) FloatVector.fromArray(F, a, i).div(root).intoArray(y, i);
                VectorOps.erf(y, y, start, bound);
                for (int i = start; i < bound; i += F.length()) {
                    FloatVector x = FloatVector.fromArray(F, a, i);
                    x.mul(FloatVector.fromArray(F, y, i).add(1f)).mul(half).intoArray(y, i);
                }
                if (bound < end) { // the last few, as lanes of one vector
                    float[] e = new float[F.length()];
                    for (int i = bound; i < end; i++) e[i - bound] = a[i] / root;
                    VectorOps.erf(e, e, 0, e.length);
                    for (int i = bound; i < end; i++) y[i] = a[i] * (e[i - bound] + 1f) * half;
                }
            });
            return new Tensor[] {new Tensor.F32(in[0].shape(), y)};
        }
    }

    /**
     * LayerNorm(a + b) for a residual Add of two same-shape tensors, the sum formed row by row
     * (the Add's float sum per element) instead of as a tensor; other shapes run the Add, then the
     * LayerNorm.
     */
    record ResidualLayerNorm(OnnxNode add, int opset, LayerNorm norm) implements CompiledOps.Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            Tensor x = in[0], z = in[1];
            int len = norm.gamma().length;
            if (!(x instanceof Tensor.F32 && z instanceof Tensor.F32) || !java.util.Arrays.equals(x.shape(), z.shape()) || x.rank() == 0 || x.shape()[x.rank() - 1] != len) {
                return norm.run(Operators.run(add, in, opset), exact, par);
            }
            float[] a = x.floats(), b = z.floats(), y = Buffers.floats(a.length);
            int rows = a.length / len, bound = F.loopBound(len);
            split(par, rows, 9 * len).forEachPart(rows, 1, (from, to) -> {
                float[] d = new float[len];
                for (int r = from; r < to; r++) {
                    // the sum goes into y's row, which the normalization then reads and overwrites in place
                    int o = r * len, i = 0;
                    for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, o + i).add(FloatVector.fromArray(F, b, o + i)).intoArray(y, o + i);
                    for (; i < len; i++) y[o + i] = a[o + i] + b[o + i];
                    norm.row(y, r, d, y);
                }
            });
            return new Tensor[] {new Tensor.F32(x.shape(), y)};
        }
    }

    /** The nodes a fused step replaces, for inputs outside its fast case (then run one after another, as unfused). */
    record Nodes(OnnxNode div, OnnxNode add, OnnxNode softmax, int opset) {}

    /**
     * Softmax(scores / divisor + mask) over the last axis: attention's scaling, mask and softmax in
     * one pass per row of scores (rows shared among the threads), with the Div's, the Add's and
     * {@link Exponentials#softmaxRows}'s float operations per element. The mask must broadcast into
     * the scores' shape; other shapes, or a Softmax over another axis, run the three nodes.
     *
     * @param divisor the Div's constant, of one element (its rank broadcasts too)
     * @param divSide which operand of the Add the Div is
     */
    record AttentionSoftmax(Tensor divisor, int divSide, Nodes nodes) implements CompiledOps.Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            float c = divisor.floats()[0];
            Tensor x = in[0], m = in[1];
            int[] maskRows = maskRows(x, m);
            if (maskRows == null) return nodeByNode(in);
            int len = x.shape()[x.rank() - 1], rows = x.size() / len;
            float[] a = x.floats(), y = Buffers.floats(a.length);
            ScaledMask sm = new ScaledMask(c, m, len);
            split(par, rows, 30 * len).forRange(rows, 8, (from, to) -> {
                for (int r = from; r < to; r += 2) {
                    int q = Math.min(r + 1, to - 1);
                    sm.softmax(a, r * len, q * len, y, maskRows[r], maskRows[q]);
                }
            });
            return new Tensor[] {new Tensor.F32(x.shape(), y)};
        }

        /**
         * Each score row's offset into the mask, or null outside the fast case: float scores, a
         * mask and divisor that broadcast into their shape, Softmax over the last axis.
         */
        private int[] maskRows(Tensor x, Tensor m) {
            int r = x.rank();
            if (!(x instanceof Tensor.F32) || divisor.rank() > r || x.size() == 0) return null;
            return lastAxis(nodes.softmax(), nodes.opset(), r) ? maskOffsets(x.shape(), m) : null;
        }

        private Tensor[] nodeByNode(Tensor[] in) {
            Tensor divided = Operators.run(nodes.div(), new Tensor[] {in[0], divisor}, nodes.opset())[0];
            Tensor[] operands = divSide == 0 ? new Tensor[] {divided, in[1]} : new Tensor[] {in[1], divided};
            Tensor added = Operators.run(nodes.add(), operands, nodes.opset())[0];
            return Operators.run(nodes.softmax(), new Tensor[] {added}, nodes.opset());
        }
    }

    /** Softmax(scores / c + mask) over rows of len scores, the mask broadcast along a row (one value) or not (len values). */
    record ScaledMask(float c, float[] mask, int len, boolean perColumn) {
        ScaledMask(float c, Tensor m, int len) {
            this(c, m.floats(), len, m.rank() > 0 && m.shape()[m.rank() - 1] == len && len > 1);
        }

        /**
         * The rows at a[oa …] and a[ob …] into y at the same places (y may be a; oa == ob: one
         * row), with their mask rows at mask[ma …] and mask[mb …]: the Div's, the Add's and
         * {@link Exponentials#softmaxRows}'s float operations per element, two rows interleaved
         * ({@link Exponentials#expSums}). Every step reads both rows before it writes either.
         */
        void softmax(float[] a, int oa, int ob, float[] y, int ma, int mb) {
            int bound = F.loopBound(len), i = 0;
            // the rows' maxima found as they are written, by softmaxRows' compare-and-blend chain
            FloatVector va = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), vb = va;
            if (perColumn) {
                for (; i < bound; i += F.length()) {
                    FloatVector sa = FloatVector.fromArray(F, a, oa + i).div(c).add(FloatVector.fromArray(F, mask, ma + i));
                    FloatVector sb = FloatVector.fromArray(F, a, ob + i).div(c).add(FloatVector.fromArray(F, mask, mb + i));
                    sa.intoArray(y, oa + i);
                    sb.intoArray(y, ob + i);
                    va = va.blend(sa, va.lt(sa));
                    vb = vb.blend(sb, vb.lt(sb));
                }
                for (; i < len; i++) {
                    float sa = a[oa + i] / c + mask[ma + i], sb = a[ob + i] / c + mask[mb + i];
                    y[oa + i] = sa;
                    y[ob + i] = sb;
                }
            } else {
                float ka = mask[ma], kb = mask[mb];
                for (; i < bound; i += F.length()) {
                    FloatVector sa = FloatVector.fromArray(F, a, oa + i).div(c).add(ka), sb = FloatVector.fromArray(F, a, ob + i).div(c).add(kb);
                    sa.intoArray(y, oa + i);
                    sb.intoArray(y, ob + i);
                    va = va.blend(sa, va.lt(sa));
                    vb = vb.blend(sb, vb.lt(sb));
                }
                for (; i < len; i++) {
                    float sa = a[oa + i] / c + ka, sb = a[ob + i] / c + kb;
                    y[oa + i] = sa;
                    y[ob + i] = sb;
                }
            }
            float maxA = va.reduceLanes(VectorOperators.MAX), maxB = vb.reduceLanes(VectorOperators.MAX);
            for (i = bound; i < len; i++) {
                maxA = Math.max(maxA, y[oa + i]);
                maxB = Math.max(maxB, y[ob + i]);
            }
            Exponentials.normalizeRows(y, y, oa, ob, len, maxA, maxB);
        }
    }

    /** Whether a Softmax node of this opset normalizes the last axis of a rank-r input. */
    static boolean lastAxis(OnnxNode softmax, int opset, int r) {
        return r > 0 && ShapeOps.axis(softmax.intAttr("axis", opset < 13 ? 1 : -1), r, "Softmax") == r - 1;
    }

    /**
     * Each row's offset into a float mask that broadcasts into scores of shape xs (rows along the
     * last axis), or null when it does not broadcast.
     */
    static int[] maskOffsets(int[] xs, Tensor m) {
        int r = xs.length;
        if (m instanceof Tensor.I64 || r == 0 || m.rank() > r || Shapes.size(xs) == 0) return null;
        int[] ms = m.shape(), stride = new int[r];
        int s = 1;
        for (int d = r - 1, e = ms.length - 1; e >= 0; d--, e--) {
            if (ms[e] != 1 && ms[e] != xs[d]) return null;
            stride[d] = ms[e] == 1 ? 0 : s;
            s *= ms[e];
        }
        int len = xs[r - 1], rows = Shapes.size(xs) / len;
        int[] off = new int[rows], counter = new int[r - 1];
        for (int row = 0, cur = 0; row < rows; row++) {
            off[row] = cur;
            for (int d = r - 2; d >= 0; d--) {
                cur += stride[d];
                if (++counter[d] < xs[d]) break;
                cur -= stride[d] * counter[d];
                counter[d] = 0;
            }
        }
        return off;
    }
}
