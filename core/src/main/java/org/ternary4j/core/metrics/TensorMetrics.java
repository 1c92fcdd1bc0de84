package org.ternary4j.core.metrics;

/**
 * How far a quantized tensor is from the original: cosine similarity, relative L2 error
 * ‖w − q‖/‖w‖, fraction of zero codes, and storage bits per weight (scales included).
 */
public record TensorMetrics(double cosine, double relL2, double sparsity, double bitsPerWeight) {

    public static TensorMetrics of(float[] w, float[] q, double sparsity, double bitsPerWeight) {
        double ww = 0, qq = 0, wq = 0, dd = 0;
        for (int i = 0; i < w.length; i++) {
            double a = w[i], b = q[i];
            ww += a * a;
            qq += b * b;
            wq += a * b;
            dd += (a - b) * (a - b);
        }
        // An all-zero tensor is reproduced exactly by all-zero codes: call that a perfect match.
        double cosine = ww == 0 && qq == 0 ? 1 : (ww == 0 || qq == 0 ? 0 : wq / Math.sqrt(ww * qq));
        double relL2 = ww == 0 ? (dd == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(dd / ww);
        return new TensorMetrics(cosine, relL2, sparsity, bitsPerWeight);
    }
}
