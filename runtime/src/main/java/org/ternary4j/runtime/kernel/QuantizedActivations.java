package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Activations quantized to int8 per vector (scale = max|x| / 127, q = round(x / scale), like
 * llama.cpp's Q8_K for TQ2_0), stored as int16 in the padded input order of a {@link ReductionLayout},
 * with each segment's sum of q (the kernels add code+1 times q and subtract that sum once).
 * A vector with a NaN or infinity is flagged, not quantized: the caller computes it exactly.
 * Rounding is q = (int) (x·(127/max) + 128.5f) − 128 (half up, in float), the same in the
 * vector and scalar code, so results do not depend on which path handled an element.
 */
final class QuantizedActivations {
    static final float LEVELS = 127f;

    final int batch;
    final int paddedK;
    final short[] q;
    /** Telescoped q for the unmasked chunk kernels: qt_j = q_j − 4·q_{j−1} within each chunk (see IntKernels); null for base-3 layouts. */
    final short[] qt;
    /** qt with every step of 16 lanes written twice (32 lanes), for the 512-bit chunk kernel; null otherwise. */
    final short[] qt2;
    final float[] scale;
    final int[] segmentSums;
    /**
     * For the block kernel: per segment, 16 lanes of −Σ q over the segment's steps (lane i sums
     * inputs ≡ i mod 16), so accumulators that start there end at Σ code·q per lane. Null otherwise.
     */
    final short[] negLaneSums;
    final boolean[] finite;

    private QuantizedActivations(int batch, int paddedK, int segments, boolean telescoped, boolean wide, boolean blocks) {
        this.batch = batch;
        this.paddedK = paddedK;
        this.q = new short[Math.multiplyExact(batch, paddedK)];
        this.qt = telescoped ? new short[q.length] : null;
        this.qt2 = telescoped && wide ? new short[2 * q.length] : null;
        this.scale = new float[batch];
        this.segmentSums = new int[batch * segments];
        this.negLaneSums = blocks ? new short[batch * segments * ReductionLayout.STEP] : null;
        this.finite = new boolean[batch];
    }

    /** Quantizes {@code batch} vectors of {@code layout.k()} values stored one after another in x. */
    static QuantizedActivations of(ReductionLayout layout, float[] x, int batch, boolean wide) {
        int k = layout.k(), segs = layout.segments();
        QuantizedActivations a = new QuantizedActivations(batch, layout.paddedK(), segs, layout.granule() == ReductionLayout.CHUNK, wide,
                layout.wholeChunkBlocks());
        for (int b = 0; b < batch; b++) {
            float max = maxAbs(x, b * k, k);
            a.finite[b] = Float.isFinite(max);
            if (!a.finite[b] || max == 0f) continue;
            a.scale[b] = max / LEVELS;
            float inv = LEVELS / max;
            int base = b * a.paddedK;
            if (layout.toPadded() == null) quantizeRun(x, b * k, k, inv, a.q, base);
            else for (int i = 0; i < k; i++) a.q[base + layout.padded(i)] = (short) quantize(x[b * k + i], inv);
            if (a.qt != null) telescope(a.q, a.qt, base, a.paddedK);
            if (a.qt2 != null) repeatSteps(a.qt, base, a.qt2, 2 * base, a.paddedK);
            int[] steps = layout.segmentSteps();
            for (int s = 0; s < segs; s++) {
                int sum = 0;
                // a step holds 16 values of |q| ≤ 127: its sum fits a short
                for (int t = steps[s]; t < steps[s + 1]; t++) sum += ShortVector.fromArray(S16, a.q, base + t * ReductionLayout.STEP).reduceLanes(VectorOperators.ADD);
                a.segmentSums[b * segs + s] = sum;
                if (a.negLaneSums != null) {
                    ShortVector lanes = ShortVector.zero(S16);
                    for (int t = steps[s]; t < steps[s + 1]; t++) lanes = lanes.sub(ShortVector.fromArray(S16, a.q, base + t * ReductionLayout.STEP));
                    lanes.intoArray(a.negLaneSums, (b * segs + s) * ReductionLayout.STEP);
                }
            }
        }
        return a;
    }

    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Short> S8 = ShortVector.SPECIES_128;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;

    private static void quantizeRun(float[] x, int off, int n, float inv, short[] q, int dst) {
        int i = 0;
        for (int bound = F8.loopBound(n); i < bound; i += F8.length()) {
            FloatVector v = FloatVector.fromArray(F8, x, off + i).mul(inv).add(128.5f);
            IntVector r = ((IntVector) v.convertShape(VectorOperators.F2I, I8, 0)).sub(128);
            ((ShortVector) r.convertShape(VectorOperators.I2S, S8, 0)).intoArray(q, dst + i);
        }
        for (; i < n; i++) q[dst + i] = (short) quantize(x[off + i], inv);
    }

    private static void telescope(short[] q, short[] qt, int base, int n) {
        int step = ReductionLayout.STEP;
        for (int c = base; c < base + n; c += ReductionLayout.CHUNK) {
            ShortVector prev = ShortVector.fromArray(S16, q, c);
            prev.intoArray(qt, c);
            for (int p = c + step; p < c + ReductionLayout.CHUNK; p += step) {
                ShortVector cur = ShortVector.fromArray(S16, q, p);
                cur.sub(prev.lanewise(VectorOperators.LSHL, 2)).intoArray(qt, p);
                prev = cur;
            }
        }
    }

    private static void repeatSteps(short[] src, int from, short[] dst, int to, int n) {
        for (int i = 0; i < n; i += ReductionLayout.STEP) {
            ShortVector v = ShortVector.fromArray(S16, src, from + i);
            v.intoArray(dst, to + 2 * i);
            v.intoArray(dst, to + 2 * i + ReductionLayout.STEP);
        }
    }

    /** |v·inv| ≤ 127 always (inv = 127 / max|x|), so no clamp is needed. */
    private static int quantize(float v, float inv) {
        return (int) (v * inv + 128.5f) - 128;
    }

    /** max |x|, or a non-finite value if x holds one (MAX propagates NaN; infinity is the max). */
    private static float maxAbs(float[] x, int off, int n) {
        FloatVector m = FloatVector.zero(F8);
        int i = 0;
        for (int bound = F8.loopBound(n); i < bound; i += F8.length()) m = m.max(FloatVector.fromArray(F8, x, off + i).abs());
        float r = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, Math.abs(x[off + i]));
        return r;
    }

    /**
     * The levels q of each of {@code batch} vectors of k values in x, as floats in x's order, into
     * q (which must be zero where a vector is not finite: those are left alone), and each vector's
     * scale (0 for an all-zero vector). Returns which vectors are finite.
     */
    static boolean[] levels(float[] x, int k, int batch, float[] q, float[] scale) {
        boolean[] finite = new boolean[batch];
        for (int b = 0; b < batch; b++) {
            float max = maxAbs(x, b * k, k);
            finite[b] = Float.isFinite(max);
            if (!finite[b] || max == 0f) continue;
            scale[b] = max / LEVELS;
            float inv = LEVELS / max;
            int i = 0, off = b * k;
            for (int bound = F8.loopBound(k); i < bound; i += F8.length()) {
                FloatVector v = FloatVector.fromArray(F8, x, off + i).mul(inv).add(128.5f);
                ((FloatVector) ((IntVector) v.convertShape(VectorOperators.F2I, I8, 0)).sub(128).convertShape(VectorOperators.I2F, F8, 0)).intoArray(q, off + i);
            }
            for (; i < k; i++) q[off + i] = quantize(x[off + i], inv);
        }
        return finite;
    }

    /**
     * What the integer kernels see: each vector replaced by q·scale (same layout as x). Tests use
     * it as the input of a scalar reference, so the kernels are checked exactly on their own input.
     */
    static float[] roundTrip(float[] x, int k, int batch) {
        float[] out = new float[batch * k], scale = new float[batch];
        boolean[] finite = levels(x, k, batch, out, scale);
        for (int b = 0; b < batch; b++) {
            if (!finite[b]) System.arraycopy(x, b * k, out, b * k, k);
            else for (int i = b * k; i < (b + 1) * k; i++) out[i] *= scale[b];
        }
        return out;
    }
}
