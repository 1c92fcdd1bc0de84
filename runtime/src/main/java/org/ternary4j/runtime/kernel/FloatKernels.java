package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Ternary kernels with float activations (the exact path). A row's codes are decoded once into
 * floats — code ∈ {−1, 0, 1}, or for two-scale groups the indicators of +1 and of −1 — and then
 * multiplied in with FMAs: c·x is exact for those c, so a segment's sum is the plain sum of its
 * ±x, and zero codes cost no branch. Codes are read only through
 * {@link PackedTernaryMatrix#stepCodes} (16 codes at a time), so the kernels serve any layout
 * that decodes a step at a time (TWO_BIT and BASE3 use them; TRIPLES has its own float tables).
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

    /** Steps that hold at least one logical input (the packed row may be padded well beyond them). */
    public static int usedSteps(ReductionLayout l) {
        int[] to = l.toPadded();
        if (to == null) return (l.k() + STEP - 1) / STEP;
        int max = -1;
        for (int p : to) max = Math.max(max, p);
        return max / STEP + 1;
    }

    /**
     * Row r's codes over steps [0, steps) as floats in padded order from index {@code at}: the
     * code itself into c, or, when {@code n} is given (two-scale), the +1 indicator into c and the
     * −1 indicator into n.
     */
    static void decodeRow(PackedTernaryMatrix m, int r, int steps, float[] c, float[] n, int at) {
        for (int t = 0; t < steps; t++) {
            ShortVector u = m.stepCodes(r, t).sub((short) 1);
            storeCodes((FloatVector) u.convert(VectorOperators.S2F, 0), (FloatVector) u.convert(VectorOperators.S2F, 1), c, n, at + t * STEP);
        }
    }

    /** A step's 16 codes (lo, then hi) at c[p…], or their +1 indicators at c[p…] and −1 indicators at n[p…]. */
    private static void storeCodes(FloatVector lo, FloatVector hi, float[] c, float[] n, int p) {
        if (n == null) {
            lo.intoArray(c, p);
            hi.intoArray(c, p + 8);
            return;
        }
        lo.max(0f).intoArray(c, p);
        hi.max(0f).intoArray(c, p + 8);
        lo.neg().max(0f).intoArray(n, p);
        hi.neg().max(0f).intoArray(n, p + 8);
    }

    /**
     * y[(yFirst + b)·rows + r] for rows [from, to) and vectors b ∈ [0, count) of xp, which holds
     * activations in padded order (vector b at b·paddedK). Inside each step of 16 the activations
     * are reordered even inputs first, then odd ones, which is how the codes come out of an int
     * view of {@link PackedTernaryMatrix#stepCodes} without a short-to-float conversion.
     */
    static void rows(PackedTernaryMatrix m, float[] xp, int count, int from, int to, float[] y, int yFirst) {
        ReductionLayout l = m.layout();
        int used = usedSteps(l), segs = l.segments(), pk = l.paddedK(), len = used * STEP;
        int[] steps = l.segmentSteps();
        ScaleArray sp = m.scalePos(), sn = m.scaleNeg();
        boolean[] finite = new boolean[count];
        float[] lanes = new float[F.length()];
        float[] xs = new float[count * len];
        for (int b = 0; b < count; b++) {
            finite[b] = allFinite(xp, b * pk, len);
            if (finite[b]) split(xp, b * pk, xs, b * len, used);
        }
        float[] c = count == 1 ? null : new float[len], n = count == 1 || sn == null ? null : new float[len];
        for (int r = from; r < to; r++) {
            if (count == 1) {
                y[yFirst * m.rows() + r] = finite[0] ? inlineRow(m, r, xs, used, lanes) : m.exactReference(r, xp, 0);
                continue;
            }
            decodeSplit(m, r, used, c, n);
            for (int b = 0; b < count; b++) {
                if (!finite[b]) {
                    y[(yFirst + b) * m.rows() + r] = m.exactReference(r, xp, b * pk);
                    continue;
                }
                float acc = 0f;
                for (int s = 0; s < segs; s++) {
                    int t0 = steps[s], t1 = Math.min(steps[s + 1], used);
                    if (t0 >= t1) continue;
                    float pos = dot(c, xs, b * len, t0, t1, lanes);
                    acc += n == null ? sp.get(r * segs + s) * pos : sp.get(r * segs + s) * pos - sn.get(r * segs + s) * dot(n, xs, b * len, t0, t1, lanes);
                }
                y[(yFirst + b) * m.rows() + r] = acc;
            }
        }
    }

    /** Step t's 16 activations at dst + 16t: inputs 16t, 16t+2, …, 16t+14, then 16t+1, …, 16t+15. */
    private static void split(float[] xp, int from, float[] xs, int dst, int used) {
        for (int t = 0; t < used; t++) {
            int src = from + t * STEP, d = dst + t * STEP;
            for (int i = 0; i < 8; i++) {
                xs[d + i] = xp[src + 2 * i];
                xs[d + 8 + i] = xp[src + 2 * i + 1];
            }
        }
    }

    /** Step t's codes as two int vectors' worth of floats: lane i of the int view holds codes 2i (low half) and 2i+1 (high half). */
    private static FloatVector evenCodes(IntVector u) {
        return (FloatVector) u.and(3).sub(1).convert(VectorOperators.I2F, 0);
    }

    private static FloatVector oddCodes(IntVector u) {
        return (FloatVector) u.lanewise(VectorOperators.LSHR, 16).sub(1).convert(VectorOperators.I2F, 0);
    }

    /** {@link #decodeRow} in the split order of {@link #split}. */
    private static void decodeSplit(PackedTernaryMatrix m, int r, int used, float[] c, float[] n) {
        for (int t = 0; t < used; t++) {
            IntVector u = m.stepCodes(r, t).reinterpretAsInts();
            storeCodes(evenCodes(u), oddCodes(u), c, n, t * STEP);
        }
    }

    /** One row against one split activation vector, decoding the codes as they are used (batch 1: each code is used once). */
    private static float inlineRow(PackedTernaryMatrix m, int r, float[] xs, int used, float[] lanes) {
        ReductionLayout l = m.layout();
        int segs = l.segments();
        int[] steps = l.segmentSteps();
        ScaleArray sp = m.scalePos(), sn = m.scaleNeg();
        float acc = 0f;
        for (int s = 0; s < segs; s++) {
            int t0 = steps[s], t1 = Math.min(steps[s + 1], used);
            if (t0 >= t1) continue;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
            for (int t = t0; t < t1; t++) {
                IntVector u = m.stepCodes(r, t).reinterpretAsInts();
                FloatVector e = evenCodes(u), o = oddCodes(u);
                FloatVector x0 = FloatVector.fromArray(F, xs, t * STEP), x1 = FloatVector.fromArray(F, xs, t * STEP + 8);
                if (sn == null) {
                    a0 = e.fma(x0, a0);
                    a1 = o.fma(x1, a1);
                } else {
                    a0 = e.max(0f).fma(x0, a0);
                    a1 = o.max(0f).fma(x1, a1);
                    b0 = e.neg().max(0f).fma(x0, b0);
                    b1 = o.neg().max(0f).fma(x1, b1);
                }
            }
            a0.add(a1).intoArray(lanes, 0);
            float pos = laneSum(lanes);
            if (sn == null) {
                acc += sp.get(r * segs + s) * pos;
                continue;
            }
            b0.add(b1).intoArray(lanes, 0);
            acc += sp.get(r * segs + s) * pos - sn.get(r * segs + s) * laneSum(lanes);
        }
        return acc;
    }

    /**
     * A vector's lanes (stored in l, 8 or 16 of them) added as a fixed tree, pairs first, then the
     * two eights: the same order in the interpreter and in compiled code (reduceLanes does not
     * promise that), and a dependency chain four adds deep instead of the sixteen of a sequential
     * sum, which cost a third of a batch-1 LeNet layer. Through an array: shuffle-based versions
     * were compiled out of line, and a vector handed to a method C2 does not inline is boxed.
     */
    static float laneSum(float[] l) {
        return laneSum(l, 0, l.length);
    }

    /** {@link #laneSum(float[])} of the n (8 or 16) lanes stored at l[o …]. */
    static float laneSum(float[] l, int o, int n) {
        float s = ((l[o] + l[o + 1]) + (l[o + 2] + l[o + 3])) + ((l[o + 4] + l[o + 5]) + (l[o + 6] + l[o + 7]));
        if (n == 8) return s;
        return s + (((l[o + 8] + l[o + 9]) + (l[o + 10] + l[o + 11])) + ((l[o + 12] + l[o + 13]) + (l[o + 14] + l[o + 15])));
    }

    /**
     * Whether x[from, from + n) holds no NaN or infinity: x·0 is ±0 for every finite x and NaN
     * otherwise, and a sum of them is 0 only without a NaN, in any order. Four running sums: one
     * waited on each add's latency (4 % of a Winograd conv's time at VGG's batch of 16); on the
     * Zen 3 200 704 floats took 10.1 against 23.3 µs, 12 544 took 0.59 against 1.51.
     */
    public static boolean allFinite(float[] x, int from, int n) {
        FloatVector b0 = FloatVector.zero(F), b1 = b0, b2 = b0, b3 = b0;
        int i = 0, w = F.length();
        for (int bound = n - 4 * w; i <= bound; i += 4 * w) {
            b0 = b0.add(FloatVector.fromArray(F, x, from + i).mul(0f));
            b1 = b1.add(FloatVector.fromArray(F, x, from + i + w).mul(0f));
            b2 = b2.add(FloatVector.fromArray(F, x, from + i + 2 * w).mul(0f));
            b3 = b3.add(FloatVector.fromArray(F, x, from + i + 3 * w).mul(0f));
        }
        for (int bound = F.loopBound(n); i < bound; i += w) b0 = b0.add(FloatVector.fromArray(F, x, from + i).mul(0f));
        float b = b0.add(b1).add(b2.add(b3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) b += x[from + i] * 0f;
        return b == 0f;
    }

    /** Σ c[p]·x[base + p] over padded inputs of steps [t0, t1), in a fixed lane order (lanes: scratch of one vector). */
    private static float dot(float[] c, float[] x, int base, int t0, int t1, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int t = t0; t < t1; t++) {
            int p = t * STEP;
            a0 = FloatVector.fromArray(F, c, p).fma(FloatVector.fromArray(F, x, base + p), a0);
            a1 = FloatVector.fromArray(F, c, p + 8).fma(FloatVector.fromArray(F, x, base + p + 8), a1);
        }
        a0.add(a1).intoArray(lanes, 0);
        return laneSum(lanes);
    }

    /**
     * Convolution rows [from, to) of m over a {@link PixelSource} whose rows are m's padded
     * inputs (rows for pads read finite values: their codes are zero); writes y[yOff + r·pixels + j] for j < pixels, times pixelScale[j] when
     * given (the int8 path's per-pixel activation scale). Rows go four at a time; a last partial
     * block repeats its final row and drops the copies.
     */
    static void pixelRows(PackedTernaryMatrix m, PixelSource src, int pixels, int from, int to, float[] y, int yOff, float[] pixelScale) {
        pixelRows(m, src, pixels, pixels, from, to, y, yOff, pixelScale);
    }

    /** As above with output rows {@code stride} apart and only pixels j < bound written (a slab of a wider output). */
    static void pixelRows(PackedTernaryMatrix m, PixelSource src, int stride, int bound, int from, int to, float[] y, int yOff, float[] pixelScale) {
        ReductionLayout l = m.layout();
        int used = usedSteps(l), segs = l.segments(), len = used * STEP;
        int[] bounds = new int[segs + 1];
        for (int s = 0; s <= segs; s++) bounds[s] = Math.min(l.segmentSteps()[s], used) * STEP;
        int count = to - from;
        float[] c = Scratch.floats(Scratch.Slot.ROW_CODES, count * len), n = m.twoScales() ? new float[count * len] : null;
        for (int r = from; r < to; r++) decodeRow(m, r, used, c, n, (r - from) * len);
        float[] tail = new float[PixelKernel.PIXELS];
        int slab = PixelKernel.slab(bounds[segs]), width = src.width();
        for (int j = 0; j < width; j += slab) {
            for (int r = from; r < to; r += 4) {
                // a last partial block repeats its final row and drops the copies
                int i1 = Math.min(r + 1, to - 1) - from, i2 = Math.min(r + 2, to - 1) - from, i3 = Math.min(r + 3, to - 1) - from;
                PixelKernel.rows4(c, n, (r - from) * len, i1 * len, i2 * len, i3 * len, bounds, m.scalePos(), m.scaleNeg(),
                        r * segs, (from + i1) * segs, (from + i2) * segs, (from + i3) * segs, src.data(), src.off(), j, Math.min(width, j + slab),
                        pixelScale, y, out(yOff, r, 0, to, stride), out(yOff, r, 1, to, stride), out(yOff, r, 2, to, stride),
                        out(yOff, r, 3, to, stride), bound, tail);
            }
        }
    }

    private static int out(int yOff, int r, int i, int to, int pixels) {
        return r + i < to ? yOff + (r + i) * pixels : -1;
    }
}
