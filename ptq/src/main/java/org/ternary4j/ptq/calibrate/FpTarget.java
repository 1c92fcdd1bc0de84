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
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) {
                double s = w[r * k + j];
                for (int i = 0; i < k; i++) s += w[r * k + i] * d[i * k + j];
                out[r * k + j] = (float) s;
            }
        }
        return out;
    }
}
