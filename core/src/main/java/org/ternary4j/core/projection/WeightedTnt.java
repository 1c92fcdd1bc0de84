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
        double a = 0, dsum = 0, best = 0, bestA = 0, bestD = 1;
        int bestM = 0;
        for (int j = 0; j < m; j++) {
            int i = ExactSupport.keyIndex(keys[j]);
            a += (double) d[i] * Math.abs(w[i]);
            dsum += d[i];
            double f = a * a / dsum;
            if (f > best) {
                best = f;
                bestM = j + 1;
                bestA = a;
                bestD = dsum;
            }
        }
        for (int j = 0; j < bestM; j++) {
            int i = ExactSupport.keyIndex(keys[j]);
            codes[i] = (byte) (w[i] > 0 ? 1 : -1);
        }
        return bestM == 0 ? 0 : bestA / bestD;
    }
}
