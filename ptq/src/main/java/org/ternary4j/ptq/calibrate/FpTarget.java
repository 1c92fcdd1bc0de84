package org.ternary4j.ptq.calibrate;

/**
 * The weight whose output on the partially ternarized model's inputs x best matches the
 * full-precision layer's output on its own inputs x_fp: argmin_V Σ ‖W x_fp − V x‖² gives
 * V H = W M (H = Σ x xᵀ, M = Σ x_fp xᵀ), written W* = W + W (M − H)(H + λI)⁻¹ so that with no
 * earlier error (M = H) W* is exactly W; λ is GPTQ's 1 % of the mean diagonal, which keeps the
 * correction small in directions the calibration inputs barely visit.
 */
final class FpTarget {
    private FpTarget() {}

    static float[] weights(float[] w, int rows, int k, double[] h, double[] m) {
        double mean = 0;
        for (int j = 0; j < k; j++) mean += h[j * k + j];
        mean = mean / k;
        if (!(mean > 0)) return w;
        double[] a = h.clone();
        for (int j = 0; j < k; j++) a[j * k + j] += TernaryGptq.DAMP * mean;
        double[] inv = Linalg.inverse(a, k);
        if (inv == null) return w;
        double[] d = new double[k * k]; // (M − H)(H + λI)⁻¹
        for (int i = 0; i < k; i++) {
            for (int t = 0; t < k; t++) {
                double mi = m[i * k + t] - h[i * k + t];
                if (mi == 0) continue;
                for (int j = 0; j < k; j++) d[i * k + j] += mi * inv[t * k + j];
            }
        }
        float[] out = new float[w.length];
        double[] s = new double[k];
        for (int r = 0; r < rows; r++) {
            // Row of d by row of d (d is k² doubles, far larger than the caches); each s[j] still
            // sums w[r, j] + Σ_i w[r, i]·d[i, j] in order i = 0, 1, …, so the result is the same to the bit.
            for (int j = 0; j < k; j++) s[j] = w[r * k + j];
            for (int i = 0; i < k; i++) {
                double wi = w[r * k + i];
                for (int j = 0, at = i * k; j < k; j++) s[j] += wi * d[at + j];
            }
            for (int j = 0; j < k; j++) out[r * k + j] = (float) s[j];
        }
        return out;
    }
}
