package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Ternary kernels with float activations (the exact path). A row's codes are decoded once into
 * floats — code ∈ {−1, 0, 1}, or for two-scale groups the indicators of +1 and of −1 — and then
 * multiplied in with FMAs: c·x is exact for those c, so a segment's sum is the plain sum of its
 * ±x, and zero codes cost no branch. Codes are read only through
 * {@link PackedTernaryMatrix#stepCodes} (16 codes at a time), so the kernels do not depend on how
 * the bits are laid out.
 *
 * <p>Two shapes of work: {@link #rows} takes activation vectors (one per output row of a matmul,
 * 16 inputs per step); {@link #pixelRows} takes a transposed im2col ([padded input][pixels],
 * pixels contiguous) and vectorizes over output pixels, which suits convolutions at batch 1
 * where the reduction is short and the pixels many. Each output is computed by one thread with a
 * fixed order of operations, so results do not depend on the thread count.
 */
public final class FloatKernels {
    private FloatKernels() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final int STEP = ReductionLayout.STEP;
    /** Pixel vectors per register block in {@link #pixelRows}. */
    private static final int BLOCK = 4;

    /** Steps that hold at least one logical input (the packed row may be padded well beyond them). */
    public static int usedSteps(ReductionLayout l) {
        int[] to = l.toPadded();
        if (to == null) return (l.k() + STEP - 1) / STEP;
        int max = -1;
        for (int p : to) max = Math.max(max, p);
        return max / STEP + 1;
    }

    /**
     * Row r's codes over steps [0, steps) as floats in padded order: the code itself into c, or,
     * when {@code n} is given (two-scale), the +1 indicator into c and the −1 indicator into n.
     */
    static void decodeRow(PackedTernaryMatrix m, int r, int steps, float[] c, float[] n) {
        for (int t = 0; t < steps; t++) {
            ShortVector u = m.stepCodes(r, t).sub((short) 1);
            FloatVector lo = (FloatVector) u.convert(VectorOperators.S2F, 0), hi = (FloatVector) u.convert(VectorOperators.S2F, 1);
            int p = t * STEP;
            if (n == null) {
                lo.intoArray(c, p);
                hi.intoArray(c, p + 8);
            } else {
                lo.max(0f).intoArray(c, p);
                hi.max(0f).intoArray(c, p + 8);
                lo.neg().max(0f).intoArray(n, p);
                hi.neg().max(0f).intoArray(n, p + 8);
            }
        }
    }

    /**
     * y[(yFirst + b)·rows + r] for rows [from, to) and vectors b ∈ [0, count) of xp, which holds
     * activations in padded order (vector b at (xFirst + b)·paddedK).
     */
    static void rows(PackedTernaryMatrix m, float[] xp, int xFirst, int count, int from, int to, float[] y, int yFirst) {
        ReductionLayout l = m.layout();
        int used = usedSteps(l), segs = l.segments(), pk = l.paddedK();
        int[] steps = l.segmentSteps();
        float[] sp = m.scalePos(), sn = m.scaleNeg();
        float[] c = new float[used * STEP], n = sn == null ? null : new float[used * STEP];
        float[] lanes = new float[F.length()];
        boolean[] finite = new boolean[count];
        for (int b = 0; b < count; b++) finite[b] = allFinite(xp, (xFirst + b) * pk, used * STEP);
        for (int r = from; r < to; r++) {
            decodeRow(m, r, used, c, n);
            for (int b = 0; b < count; b++) {
                int base = (xFirst + b) * pk;
                if (!finite[b]) {
                    y[(yFirst + b) * m.rows() + r] = sparseRow(m, r, xp, base, used);
                    continue;
                }
                float acc = 0f;
                for (int s = 0; s < segs; s++) {
                    int t0 = steps[s], t1 = Math.min(steps[s + 1], used);
                    if (t0 >= t1) continue;
                    float pos = dot(c, xp, base, t0, t1, lanes);
                    acc += n == null ? sp[r * segs + s] * pos : sp[r * segs + s] * pos - sn[r * segs + s] * dot(n, xp, base, t0, t1, lanes);
                }
                y[(yFirst + b) * m.rows() + r] = acc;
            }
        }
    }

    /**
     * The lanes added in index order (reduceLanes may use another order in the interpreter than in
     * compiled code); through an array, since lane(i) with a variable i is not compiled to a register read.
     */
    static float laneSum(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float s = 0f;
        for (int i = 0; i < lanes.length; i++) s += lanes[i];
        return s;
    }

    /**
     * A row where the activations hold a NaN or an infinity: zero codes skip their input (0·∞
     * would be NaN), as the packed kernels always have; scalar, since it is rare.
     */
    private static float sparseRow(PackedTernaryMatrix m, int r, float[] xp, int base, int used) {
        ReductionLayout l = m.layout();
        int segs = l.segments();
        int[] steps = l.segmentSteps();
        float[] sp = m.scalePos(), sn = m.scaleNeg();
        short[] u = new short[STEP];
        float acc = 0f;
        for (int s = 0; s < segs; s++) {
            float pos = 0f, neg = 0f;
            for (int t = steps[s]; t < Math.min(steps[s + 1], used); t++) {
                m.stepCodes(r, t).intoArray(u, 0);
                for (int j = 0; j < STEP; j++) {
                    if (u[j] == 2) pos += xp[base + t * STEP + j];
                    else if (u[j] == 0) neg += xp[base + t * STEP + j];
                }
            }
            acc += sn == null ? sp[r * segs + s] * (pos - neg) : sp[r * segs + s] * pos - sn[r * segs + s] * neg;
        }
        return acc;
    }

    static boolean allFinite(float[] x, int from, int n) {
        FloatVector bad = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) bad = bad.add(FloatVector.fromArray(F, x, from + i).mul(0f));
        float b = bad.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) b += x[from + i] * 0f;
        return b == 0f;
    }

    /** Σ c[p]·x[base + p] over padded inputs of steps [t0, t1), in a fixed lane order (lanes is scratch). */
    private static float dot(float[] c, float[] x, int base, int t0, int t1, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int t = t0; t < t1; t++) {
            int p = t * STEP;
            a0 = FloatVector.fromArray(F, c, p).fma(FloatVector.fromArray(F, x, base + p), a0);
            a1 = FloatVector.fromArray(F, c, p + 8).fma(FloatVector.fromArray(F, x, base + p + 8), a1);
        }
        return laneSum(a0.add(a1), lanes);
    }

    /**
     * Convolution rows [from, to) of m over a transposed im2col: cols[p·ld + j] is padded input p
     * of output pixel j (ld a multiple of 8, pad rows and lanes beyond {@code pixels} zero); writes
     * y[yOff + r·pixels + j] for j < pixels.
     */
    public static void pixelRows(PackedTernaryMatrix m, float[] cols, int ld, int pixels, int from, int to, float[] y, int yOff) {
        ReductionLayout l = m.layout();
        int used = usedSteps(l), segs = l.segments();
        int[] steps = l.segmentSteps();
        float[] sp = m.scalePos(), sn = m.scaleNeg();
        float[] c = new float[used * STEP], n = sn == null ? null : new float[used * STEP];
        float[] tail = new float[F.length()];
        for (int r = from; r < to; r++) {
            decodeRow(m, r, used, c, n);
            int out = yOff + r * pixels;
            for (int j0 = 0; j0 < ld; j0 += BLOCK * F.length()) {
                int vecs = Math.min(BLOCK, (ld - j0) / F.length());
                if (vecs == BLOCK) {
                    FloatVector z = FloatVector.zero(F), t0v = z, t1v = z, t2v = z, t3v = z;
                    for (int s = 0; s < segs; s++) {
                        int p0 = steps[s] * STEP, p1 = Math.min(steps[s + 1], used) * STEP;
                        if (p0 >= p1) continue;
                        FloatVector a0 = z, a1 = z, a2 = z, a3 = z;
                        for (int p = p0; p < p1; p++) {
                            FloatVector w = FloatVector.broadcast(F, c[p]);
                            int at = p * ld + j0;
                            a0 = w.fma(FloatVector.fromArray(F, cols, at), a0);
                            a1 = w.fma(FloatVector.fromArray(F, cols, at + 8), a1);
                            a2 = w.fma(FloatVector.fromArray(F, cols, at + 16), a2);
                            a3 = w.fma(FloatVector.fromArray(F, cols, at + 24), a3);
                        }
                        float scale = sp[r * segs + s];
                        if (n == null) {
                            t0v = t0v.add(a0.mul(scale));
                            t1v = t1v.add(a1.mul(scale));
                            t2v = t2v.add(a2.mul(scale));
                            t3v = t3v.add(a3.mul(scale));
                        } else {
                            FloatVector b0 = z, b1 = z, b2 = z, b3 = z;
                            for (int p = p0; p < p1; p++) {
                                FloatVector w = FloatVector.broadcast(F, n[p]);
                                int at = p * ld + j0;
                                b0 = w.fma(FloatVector.fromArray(F, cols, at), b0);
                                b1 = w.fma(FloatVector.fromArray(F, cols, at + 8), b1);
                                b2 = w.fma(FloatVector.fromArray(F, cols, at + 16), b2);
                                b3 = w.fma(FloatVector.fromArray(F, cols, at + 24), b3);
                            }
                            float neg = sn[r * segs + s];
                            t0v = t0v.add(a0.mul(scale).sub(b0.mul(neg)));
                            t1v = t1v.add(a1.mul(scale).sub(b1.mul(neg)));
                            t2v = t2v.add(a2.mul(scale).sub(b2.mul(neg)));
                            t3v = t3v.add(a3.mul(scale).sub(b3.mul(neg)));
                        }
                    }
                    store(t0v, y, out, j0, pixels, tail);
                    store(t1v, y, out, j0 + 8, pixels, tail);
                    store(t2v, y, out, j0 + 16, pixels, tail);
                    store(t3v, y, out, j0 + 24, pixels, tail);
                } else {
                    for (int v = 0; v < vecs; v++) {
                        int j = j0 + v * F.length();
                        store(pixelVector(c, n, sp, sn, r, segs, steps, used, cols, ld, j), y, out, j, pixels, tail);
                    }
                }
            }
        }
    }

    /** One vector of pixels of one row (the tail of {@link #pixelRows}); same order of operations as the blocked loop. */
    private static FloatVector pixelVector(float[] c, float[] n, float[] sp, float[] sn, int r, int segs, int[] steps, int used,
                                           float[] cols, int ld, int j) {
        FloatVector tot = FloatVector.zero(F);
        for (int s = 0; s < segs; s++) {
            int p0 = steps[s] * STEP, p1 = Math.min(steps[s + 1], used) * STEP;
            if (p0 >= p1) continue;
            FloatVector a = FloatVector.zero(F);
            for (int p = p0; p < p1; p++) a = FloatVector.broadcast(F, c[p]).fma(FloatVector.fromArray(F, cols, p * ld + j), a);
            if (n == null) {
                tot = tot.add(a.mul(sp[r * segs + s]));
            } else {
                FloatVector b = FloatVector.zero(F);
                for (int p = p0; p < p1; p++) b = FloatVector.broadcast(F, n[p]).fma(FloatVector.fromArray(F, cols, p * ld + j), b);
                tot = tot.add(a.mul(sp[r * segs + s]).sub(b.mul(sn[r * segs + s])));
            }
        }
        return tot;
    }

    /** Writes the lanes of v that fall before the row end (pixel j + lane < pixels) at y[out + j …]. */
    static void store(FloatVector v, float[] y, int out, int j, int pixels, float[] tail) {
        if (j + F.length() <= pixels) {
            v.intoArray(y, out + j);
        } else if (j < pixels) {
            v.intoArray(tail, 0);
            System.arraycopy(tail, 0, y, out + j, pixels - j);
        }
    }
}
