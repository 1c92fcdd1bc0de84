package org.ternary4j.ptq.calibrate;

/**
 * Coordinate descent over ternary codes with the scales fixed: visits each weight in turn and
 * moves it to whichever of its three levels lowers the output error (w − q)ᵀ H (w − q) most,
 * keeping the gradient g = H (q − w) up to date (each move costs one column of H). Sweeps in index
 * order until a sweep changes nothing or {@code maxSweeps} is reached; the error never rises.
 */
public final class CodeDescent {
    private CodeDescent() {}

    /** Improves {@code codes} in place; returns the number of codes changed. */
    public static int improve(LayerProblem p, byte[] codes, float[] pos, float[] neg, int maxSweeps) {
        int k = p.k();
        double[] h = p.h();
        int[] groupOf = p.groupOf();
        double[] e = new double[k], g = new double[k];
        int changed = 0;
        for (int r = 0; r < p.rows(); r++) {
            int base = r * k;
            for (int j = 0; j < k; j++) e[j] = LayerProblem.value(codes[base + j], groupOf[base + j], pos, neg) - p.w()[base + j];
            for (int i = 0; i < k; i++) {
                double s = 0;
                for (int j = 0; j < k; j++) s += h[i * k + j] * e[j];
                g[i] = s;
            }
            for (int sweep = 0; sweep < maxSweeps; sweep++) {
                int moves = 0;
                for (int j = 0; j < k; j++) {
                    int q = base + j;
                    double current = LayerProblem.value(codes[q], groupOf[q], pos, neg);
                    byte best = codes[q];
                    double bestDelta = 0, bestGain = 0;
                    for (byte c = -1; c <= 1; c++) {
                        if (c == codes[q]) continue;
                        double d = LayerProblem.value(c, groupOf[q], pos, neg) - current;
                        if (d == 0) continue;
                        double gain = 2 * d * g[j] + d * d * h[j * k + j]; // change of the error
                        if (gain < bestGain - 1e-12 * Math.abs(bestGain)) {
                            bestGain = gain;
                            best = c;
                            bestDelta = d;
                        }
                    }
                    if (best != codes[q]) {
                        codes[q] = best;
                        for (int i = 0; i < k; i++) g[i] += h[i * k + j] * bestDelta;
                        moves++;
                    }
                }
                changed += moves;
                if (moves == 0) break;
            }
        }
        return changed;
    }
}
