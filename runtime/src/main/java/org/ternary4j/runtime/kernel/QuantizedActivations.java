package org.ternary4j.runtime.kernel;

/**
 * Activations quantized to int8 per vector (scale = max|x| / 127, q = round(x / scale), like
 * llama.cpp's Q8_K for TQ2_0), stored as int16 in the padded input order of a {@link ReductionLayout},
 * with each segment's sum of q (the kernels add code+1 times q and subtract that sum once).
 * A vector with a NaN or infinity is flagged, not quantized: the caller computes it exactly.
 */
final class QuantizedActivations {
    static final float LEVELS = 127f;

    final int batch;
    final int paddedK;
    final short[] q;
    /** Telescoped q for the unmasked chunk kernels: qt_j = q_j − 4·q_{j−1} within each chunk (see IntKernels). */
    final short[] qt;
    final float[] scale;
    final int[] segmentSums;
    final boolean[] finite;

    private QuantizedActivations(int batch, int paddedK, int segments) {
        this.batch = batch;
        this.paddedK = paddedK;
        this.q = new short[Math.multiplyExact(batch, paddedK)];
        this.qt = new short[q.length];
        this.scale = new float[batch];
        this.segmentSums = new int[batch * segments];
        this.finite = new boolean[batch];
    }

    /** Quantizes {@code batch} vectors of {@code layout.k()} values stored one after another in x. */
    static QuantizedActivations of(ReductionLayout layout, float[] x, int batch) {
        int k = layout.k(), segs = layout.segments();
        QuantizedActivations a = new QuantizedActivations(batch, layout.paddedK(), segs);
        for (int b = 0; b < batch; b++) {
            float max = maxAbs(x, b * k, k);
            a.finite[b] = Float.isFinite(max);
            if (!a.finite[b] || max == 0f) continue;
            a.scale[b] = max / LEVELS;
            float inv = LEVELS / max;
            int base = b * a.paddedK;
            for (int i = 0; i < k; i++) a.q[base + layout.padded(i)] = (short) quantize(x[b * k + i], inv);
            telescope(a.q, a.qt, base, a.paddedK);
            int[] steps = layout.segmentSteps();
            for (int s = 0; s < segs; s++) {
                int sum = 0;
                for (int p = steps[s] * ReductionLayout.STEP; p < steps[s + 1] * ReductionLayout.STEP; p++) sum += a.q[base + p];
                a.segmentSums[b * segs + s] = sum;
            }
        }
        return a;
    }

    private static void telescope(short[] q, short[] qt, int base, int n) {
        for (int c = base; c < base + n; c += ReductionLayout.CHUNK) {
            System.arraycopy(q, c, qt, c, ReductionLayout.STEP);
            for (int p = c + ReductionLayout.STEP; p < c + ReductionLayout.CHUNK; p++) qt[p] = (short) (q[p] - 4 * q[p - ReductionLayout.STEP]);
        }
    }

    private static int quantize(float v, float inv) {
        return Math.max(-127, Math.min(127, Math.round(v * inv)));
    }

    private static float maxAbs(float[] x, int off, int n) {
        float m = 0f;
        for (int i = 0; i < n; i++) {
            float v = Math.abs(x[off + i]);
            if (!Float.isFinite(v)) return v;
            if (v > m) m = v;
        }
        return m;
    }

    /**
     * What the integer kernels see: each vector replaced by q·scale (same layout as x). Tests use
     * it as the input of a scalar reference, so the kernels are checked exactly on their own input.
     */
    static float[] roundTrip(float[] x, int k, int batch) {
        float[] out = new float[batch * k];
        for (int b = 0; b < batch; b++) {
            float max = maxAbs(x, b * k, k);
            if (!Float.isFinite(max) || max == 0f) {
                System.arraycopy(x, b * k, out, b * k, k);
                continue;
            }
            float scale = max / LEVELS, inv = LEVELS / max;
            for (int i = 0; i < k; i++) out[b * k + i] = quantize(x[b * k + i], inv) * scale;
        }
        return out;
    }
}
