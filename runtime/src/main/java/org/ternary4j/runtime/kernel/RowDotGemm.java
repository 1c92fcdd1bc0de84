package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exact product of a few activation rows (8 up to {@link #BELOW}) with a long-input layer:
 * four weight rows decoded at a time in their own order (±scale or 0, as {@link DecodedGemm}
 * decodes them), then dot products of four rows by four activation vectors, sixteen lane-wise
 * FMA chains, each summed across its lanes at the end by {@link FloatKernels#laneSum}'s fixed
 * tree (reduceLanes may add in another order once compiled: two thread counts gave different bits). {@link DecodedGemm}'s panels put every
 * input's 32 row weights side by side with two vector gathers, a cost shared by every activation
 * row: at VGG's fully connected layer (128 × 1568) and a batch of 16 the gathers took most of the
 * product. The horizontal sums cost about one vector of the row per output, which a long row
 * hides and a short one (k = 384: the panels' reason) does not. Each output is one sum in input
 * order by lanes, whatever the blocking and the thread count.
 */
final class RowDotGemm {
    private RowDotGemm() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Activation rows from which the panels' shared gathers pay for themselves. */
    static final int BELOW = 32;
    /** Inputs from which the dot products' horizontal sums are small beside their FMAs. */
    static final int MIN_K = 1024;

    /** Whether a product of activation rows in the weights' own input order takes the row dots: few of them, and long. */
    static boolean applies(int count, int k) {
        return count < BELOW && k >= MIN_K;
    }

    /**
     * Output columns [from, to) of activation rows [0, count) of io (their first k values, in the
     * layer's padded order up to k), plus bias (null: none).
     */
    static void multiply(PackedTernaryMatrix m, PanelGemm.Rows io, int count, int k, int from, int to, float[] bias) {
        int kp = m.layout().paddedK();
        float[] w = Scratch.floats(Scratch.Slot.DECODED, 4 * kp), t = Scratch.floats(Scratch.Slot.DOT_LANES, 16 * L);
        for (int r0 = from; r0 < to; r0 += 4) {
            int nr = Math.min(4, to - r0);
            for (int r = 0; r < 4; r++) {
                if (r < nr) DecodedGemm.decode(m, r0 + r, w, r * kp);
                else java.util.Arrays.fill(w, r * kp, (r + 1) * kp, 0f);
            }
            int b = 0;
            if (VectorWidth.WIDE) {
                for (; b + 4 <= count; b += 4) four(io, b, 4, k, w, kp, r0, nr, t);
                if (b < count) four(io, b, count - b, k, w, kp, r0, nr, t);
            } else {
                for (; b < count; b += 2) two(io, b, Math.min(2, count - b), k, w, kp, r0, nr, t);
            }
            PanelGemm.addBias(io, count, bias, r0, nr);
        }
    }

    /**
     * {@link #four} for two activation rows (vectors: 1 or 2), where vectors are 256 bits: sixteen
     * registers hold eight sums, the four rows' vectors and an activation vector, where four's
     * sixteen sums spilled.
     */
    private static void two(PanelGemm.Rows io, int b, int vectors, int k, float[] w, int kp, int r0, int nr, float[] t) {
        float[] a = io.a();
        int x0 = io.aOff() + b * io.lda(), x1 = x0 + (vectors - 1) * io.lda();
        FloatVector z = FloatVector.zero(F);
        FloatVector s00 = z, s01 = z, s10 = z, s11 = z, s20 = z, s21 = z, s30 = z, s31 = z;
        int q = 0;
        for (int bound = F.loopBound(k); q < bound; q += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, q), w1 = FloatVector.fromArray(F, w, kp + q);
            FloatVector w2 = FloatVector.fromArray(F, w, 2 * kp + q), w3 = FloatVector.fromArray(F, w, 3 * kp + q);
            FloatVector v = FloatVector.fromArray(F, a, x0 + q);
            s00 = w0.fma(v, s00); s10 = w1.fma(v, s10); s20 = w2.fma(v, s20); s30 = w3.fma(v, s30);
            v = FloatVector.fromArray(F, a, x1 + q);
            s01 = w0.fma(v, s01); s11 = w1.fma(v, s11); s21 = w2.fma(v, s21); s31 = w3.fma(v, s31);
        }
        s00.intoArray(t, 0); s01.intoArray(t, L); s10.intoArray(t, 4 * L); s11.intoArray(t, 5 * L);
        s20.intoArray(t, 8 * L); s21.intoArray(t, 9 * L); s30.intoArray(t, 12 * L); s31.intoArray(t, 13 * L);
        store(io, b, vectors, k, w, kp, r0, nr, t, q);
    }

    /**
     * Four decoded rows (w[i·kp …]) by activation rows b … b + vectors − 1 (at most four; the
     * missing ones repeat the last and are not stored), the first nr rows' outputs stored; t: 16
     * vectors of scratch for the lane sums.
     */
    private static void four(PanelGemm.Rows io, int b, int vectors, int k, float[] w, int kp, int r0, int nr, float[] t) {
        float[] a = io.a();
        int x0 = io.aOff() + b * io.lda(), x1 = x0 + Math.min(1, vectors - 1) * io.lda();
        int x2 = x0 + Math.min(2, vectors - 1) * io.lda(), x3 = x0 + Math.min(3, vectors - 1) * io.lda();
        FloatVector z = FloatVector.zero(F);
        FloatVector s00 = z, s01 = z, s02 = z, s03 = z, s10 = z, s11 = z, s12 = z, s13 = z;
        FloatVector s20 = z, s21 = z, s22 = z, s23 = z, s30 = z, s31 = z, s32 = z, s33 = z;
        int q = 0;
        for (int bound = F.loopBound(k); q < bound; q += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, q), w1 = FloatVector.fromArray(F, w, kp + q);
            FloatVector w2 = FloatVector.fromArray(F, w, 2 * kp + q), w3 = FloatVector.fromArray(F, w, 3 * kp + q);
            FloatVector v = FloatVector.fromArray(F, a, x0 + q);
            s00 = w0.fma(v, s00); s10 = w1.fma(v, s10); s20 = w2.fma(v, s20); s30 = w3.fma(v, s30);
            v = FloatVector.fromArray(F, a, x1 + q);
            s01 = w0.fma(v, s01); s11 = w1.fma(v, s11); s21 = w2.fma(v, s21); s31 = w3.fma(v, s31);
            v = FloatVector.fromArray(F, a, x2 + q);
            s02 = w0.fma(v, s02); s12 = w1.fma(v, s12); s22 = w2.fma(v, s22); s32 = w3.fma(v, s32);
            v = FloatVector.fromArray(F, a, x3 + q);
            s03 = w0.fma(v, s03); s13 = w1.fma(v, s13); s23 = w2.fma(v, s23); s33 = w3.fma(v, s33);
        }
        s00.intoArray(t, 0); s01.intoArray(t, L); s02.intoArray(t, 2 * L); s03.intoArray(t, 3 * L);
        s10.intoArray(t, 4 * L); s11.intoArray(t, 5 * L); s12.intoArray(t, 6 * L); s13.intoArray(t, 7 * L);
        s20.intoArray(t, 8 * L); s21.intoArray(t, 9 * L); s22.intoArray(t, 10 * L); s23.intoArray(t, 11 * L);
        s30.intoArray(t, 12 * L); s31.intoArray(t, 13 * L); s32.intoArray(t, 14 * L); s33.intoArray(t, 15 * L);
        store(io, b, vectors, k, w, kp, r0, nr, t, q);
    }

    /** The lane sums t[(4r + v)·L …] of rows r below nr and vectors v, plus the inputs from q on (the tail past whole vectors), into the outputs. */
    private static void store(PanelGemm.Rows io, int b, int vectors, int k, float[] w, int kp, int r0, int nr, float[] t, int q) {
        float[] a = io.a(), y = io.y();
        int x0 = io.aOff() + b * io.lda(), o = io.yOff() + b * io.ldy() + r0;
        for (int r = 0; r < nr; r++) {
            for (int v = 0; v < vectors; v++) y[o + v * io.ldy() + r] = FloatKernels.laneSum(t, (4 * r + v) * L, L);
        }
        for (; q < k; q++) {
            for (int v = 0; v < vectors; v++) {
                float x = a[x0 + v * io.lda() + q];
                for (int r = 0; r < nr; r++) y[o + v * io.ldy() + r] += w[r * kp + q] * x;
            }
        }
    }
}
