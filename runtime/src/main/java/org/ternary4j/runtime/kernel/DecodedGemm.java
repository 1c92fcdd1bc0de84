package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exact ternary GEMM for many activation vectors (a transformer's batch × sequence rows, a
 * conv's pixels): a tile of weight rows is decoded once into floats (±scale of its segment, 0),
 * then every activation vector is swept over it with FMAs, two vectors × four rows at a time.
 * Decoding costs one pass over the tile's codes, shared by all rows of the batch, where the
 * per-vector kernels re-read (and for TRIPLES re-build tables from) the codes for every vector.
 * Finite activations only (a zero code times an infinity would be NaN, where the reference skips
 * it). Work splits by row tiles, so results do not depend on the thread count.
 */
final class DecodedGemm {
    private DecodedGemm() {}

    /** Activation vectors from which decoding a tile pays for itself. */
    static final int MIN_BATCH = 8;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int TILE = 16;

    /** y[b, r] = Σ_p w[r, p]·xp[b, p] over the padded inputs; xp is [batch, paddedK]. */
    static void run(PackedTernaryMatrix m, float[] xp, int batch, float[] y, Parallel par) {
        int kp = m.layout().paddedK(), rows = m.rows();
        Parallel p = (long) batch * rows * kp < TernaryMatmul.SERIAL_WORK ? Parallel.serial() : par;
        p.forRange(rows, TILE, (from, to) -> {
            float[] w = new float[TILE * kp];
            short[] u = new short[ReductionLayout.STEP];
            for (int r0 = from; r0 < to; r0 += TILE) {
                int nr = Math.min(TILE, to - r0);
                for (int r = 0; r < nr; r++) decode(m, r0 + r, w, r * kp, u);
                int b = 0;
                for (; b + 2 <= batch; b += 2) {
                    int r = 0;
                    for (; r + 4 <= nr; r += 4) block2x4(w, r * kp, xp, b * kp, kp, y, b * rows + r0 + r, rows);
                    for (; r < nr; r++) for (int bb = b; bb < b + 2; bb++) y[bb * rows + r0 + r] = dot(w, r * kp, xp, bb * kp, kp);
                }
                for (; b < batch; b++) for (int r = 0; r < nr; r++) y[b * rows + r0 + r] = dot(w, r * kp, xp, b * kp, kp);
            }
        });
    }

    /** Row r's padded weights as floats: +scale, −scale (the negative scale for two-scale groups) or 0. */
    private static void decode(PackedTernaryMatrix m, int row, float[] w, int off, short[] u) {
        ReductionLayout l = m.layout();
        int segs = l.segments();
        int[] steps = l.segmentSteps();
        float[] sp = m.scalePos(), sn = m.twoScales() ? m.scaleNeg() : sp;
        java.util.Arrays.fill(w, off, off + l.paddedK(), 0f);
        if (m instanceof TriplesMatrix t) {
            t.decodeRow(row, sp[row], -sn[row], w, off);
            return;
        }
        for (int s = 0; s < segs; s++) {
            float pos = sp[row * segs + s], neg = -sn[row * segs + s];
            for (int step = steps[s]; step < steps[s + 1]; step++) {
                m.stepCodes(row, step).intoArray(u, 0);
                int o = off + step * ReductionLayout.STEP;
                for (int i = 0; i < u.length; i++) w[o + i] = u[i] == 2 ? pos : u[i] == 0 ? neg : 0f;
            }
        }
    }

    private static float dot(float[] w, int wo, float[] x, int xo, int k) {
        FloatVector a = FloatVector.zero(F);
        int p = 0, bound = F.loopBound(k);
        for (; p < bound; p += F.length()) a = FloatVector.fromArray(F, w, wo + p).fma(FloatVector.fromArray(F, x, xo + p), a);
        float s = Fp32Matrix.sum(a);
        for (; p < k; p++) s = Math.fma(w[wo + p], x[xo + p], s);
        return s;
    }

    /**
     * Two activation vectors × four weight rows (eight accumulators: larger blocks exceeded C2's
     * inlining budget and ran with boxed vectors, 100× slower).
     */
    private static void block2x4(float[] w, int wo, float[] x, int xo, int k, float[] y, int yo, int rows) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        int p = 0, bound = F.loopBound(k);
        for (; p < bound; p += F.length()) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + p), x1 = FloatVector.fromArray(F, x, xo + k + p);
            FloatVector w0 = FloatVector.fromArray(F, w, wo + p);
            a00 = w0.fma(x0, a00);
            a10 = w0.fma(x1, a10);
            FloatVector w1 = FloatVector.fromArray(F, w, wo + k + p);
            a01 = w1.fma(x0, a01);
            a11 = w1.fma(x1, a11);
            FloatVector w2 = FloatVector.fromArray(F, w, wo + 2 * k + p);
            a02 = w2.fma(x0, a02);
            a12 = w2.fma(x1, a12);
            FloatVector w3 = FloatVector.fromArray(F, w, wo + 3 * k + p);
            a03 = w3.fma(x0, a03);
            a13 = w3.fma(x1, a13);
        }
        store(y, yo, rows, 0, a00, a01, a02, a03, w, wo, x, xo, k, p);
        store(y, yo, rows, 1, a10, a11, a12, a13, w, wo, x, xo, k, p);
    }

    /** Activation vector b's four row results, with the inputs past the last whole vector added in order. */
    private static void store(float[] y, int yo, int rows, int b, FloatVector r0, FloatVector r1, FloatVector r2, FloatVector r3,
                              float[] w, int wo, float[] x, int xo, int k, int from) {
        y[yo + b * rows] = tail(Fp32Matrix.sum(r0), w, wo, x, xo + b * k, k, from);
        y[yo + b * rows + 1] = tail(Fp32Matrix.sum(r1), w, wo + k, x, xo + b * k, k, from);
        y[yo + b * rows + 2] = tail(Fp32Matrix.sum(r2), w, wo + 2 * k, x, xo + b * k, k, from);
        y[yo + b * rows + 3] = tail(Fp32Matrix.sum(r3), w, wo + 3 * k, x, xo + b * k, k, from);
    }

    private static float tail(float s, float[] w, int wo, float[] x, int xo, int k, int from) {
        for (int q = from; q < k; q++) s = Math.fma(w[wo + q], x[xo + q], s);
        return s;
    }
}
