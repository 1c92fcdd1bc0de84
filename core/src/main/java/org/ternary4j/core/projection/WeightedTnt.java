package org.ternary4j.core.projection;

import java.util.Arrays;

/**
 * Spec §1.3: the exact minimiser of Σ d_i (w_i − q_i)² with importances d_i > 0 (LAT-style, or
 * d = E[x²] of the input each weight multiplies). For a fixed scale a the best code keeps
 * exactly the |w_i| > a/2 whatever d is, so the support is still a prefix of |w| sorted
 * descending; the scan maximises A_M²/D_M with A = Σ d|w|, D = Σ d, and a = A_M/D_M. With two
 * scales the same scan runs on each sign. TNT is the case d ≡ 1.
 */
public record WeightedTnt(boolean twoScales) {

    public String spec() {
        return twoScales ? "weighted-two-scale" : "weighted-tnt";
    }

    /** Projects w[0..n) under importances d[0..n) (finite, > 0); writes codes, returns scales. */
    public Scales project(float[] w, float[] d, int n, byte[] codes) {
        Arrays.fill(codes, 0, n, (byte) 0);
        if (!twoScales) {
            double a = keepBest(w, d, n, 0, codes);
            return Scales.of(a);
        }
        return Scales.of(keepBest(w, d, n, 1, codes), keepBest(w, d, n, -1, codes));
    }

    /**
     * Scans the entries of one sign (0 = both) sorted by |w| descending (ties by index), keeps the
     * best prefix and returns its scale A/D.
     */
    private static double keepBest(float[] w, float[] d, int n, int sign, byte[] codes) {
        long[] keys = new long[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (!(d[i] > 0) || Float.isInfinite(d[i])) throw new IllegalArgumentException("importance at element " + i + " must be finite and > 0, got " + d[i]);
            if (w[i] == 0 || (sign > 0 && w[i] < 0) || (sign < 0 && w[i] > 0)) continue;
            keys[m++] = ExactSupport.sortKey(Math.abs(w[i]), i);
        }
        Arrays.sort(keys, 0, m);
        double[] run = new double[2]; // A and D of the prefix
        int bestM = ExactSupport.bestPrefix(keys, m, (i, length) -> {
            run[0] += (double) d[i] * Math.abs(w[i]);
            run[1] += d[i];
            return run[0] * run[0] / run[1];
        });
        // Sums again over the chosen prefix, in the same order, so the scale is the scan's A/D exactly.
        double a = 0, dsum = 0;
        for (int j = 0; j < bestM; j++) {
            int i = ExactSupport.keyIndex(keys[j]);
            codes[i] = (byte) (w[i] > 0 ? 1 : -1);
            a += (double) d[i] * Math.abs(w[i]);
            dsum += d[i];
        }
        return bestM == 0 ? 0 : a / dsum;
    }
}
