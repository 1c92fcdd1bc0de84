package org.ternary4j.core.projection;

/** Small loops the projections share. */
final class Groups {
    private Groups() {}

    static float[] magnitudes(float[] w, int n) {
        float[] mags = new float[n];
        for (int i = 0; i < n; i++) mags[i] = Math.abs(w[i]);
        return mags;
    }

    /**
     * Writes sign(w) where the support keeps |w| and zero elsewhere; only the rare ties at the cut
     * take a second, branching pass.
     */
    static void writeSigns(float[] w, int n, ExactSupport.Support support, byte[] codes) {
        int thr = support.thresholdBits();
        GroupPasses.signsAbove(w, n, thr, codes);
        int ties = support.tiesTaken();
        for (int i = 0; i < n && ties > 0; i++) {
            if ((Float.floatToRawIntBits(w[i]) & 0x7fffffff) == thr) {
                codes[i] = (byte) ((Float.floatToRawIntBits(w[i]) >> 31) | 1);
                ties--;
            }
        }
    }

    /**
     * The least-squares scale of a support, the mean of the kept magnitudes, as the float that
     * {@link #meanOfKept(float[], int, byte[], int)} gives (its index-order double sum), but
     * mostly without that sum's latency-bound pass: from the search's exact sum when that decides
     * the float.
     */
    static Scales meanOfKept(float[] mags, int n, byte[] codes, ExactSupport.Support support) {
        int kept = support.size();
        if (kept == 0) return Scales.ZERO;
        float mean = roundedMean(support.exactSum(), kept);
        return Float.isNaN(mean) ? meanOfKept(mags, n, codes, kept) : new Scales(mean, mean);
    }

    /**
     * (float) (s / k) for every double s that an index-order sum of k positive terms with this
     * exact sum can give, or NaN when those do not all round to one float. Such a sum is within
     * (k−1)·2^-53 of the exact one (relative), the exact sum's double and the division add 2^-53
     * each; the margin below is twice their total.
     */
    static float roundedMean(double exactSum, int k) {
        if (!(exactSum > 0)) return Float.NaN;
        double q = exactSum / k;
        double r = (k + 8) * 0x1p-52;
        float lo = (float) (q * (1 - r)), hi = (float) (q * (1 + r));
        return lo == hi ? lo : Float.NaN;
    }

    /** The least-squares scale of a support: the mean of the kept magnitudes. */
    static Scales meanOfKept(float[] mags, int n, byte[] codes, int kept) {
        if (kept == 0) return Scales.ZERO;
        double s = 0;
        for (int i = 0; i < n; i++) s += Float.intBitsToFloat(Float.floatToRawIntBits(mags[i]) & -(codes[i] & 1));
        return Scales.of(s / kept);
    }

    static double meanAbs(float[] w, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.abs(w[i]);
        return n == 0 ? 0 : s / n;
    }

    static double maxAbs(float[] w, int n) {
        float m = 0f;
        for (int i = 0; i < n; i++) m = Math.max(m, Math.abs(w[i]));
        return m;
    }

    /** The least-squares single scale for fixed codes: mean |w| over the kept entries. */
    static Scales leastSquares(float[] w, int n, byte[] codes) {
        double s = 0;
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (codes[i] != 0) {
                s += Math.abs(w[i]);
                k++;
            }
        }
        return k == 0 ? Scales.ZERO : Scales.of(s / k);
    }

    /** TNT's scalar tuning: per sign, the mean magnitude of the kept entries of that sign. */
    static Scales perSignMeans(float[] w, int n, byte[] codes) {
        double sp = 0, sn = 0;
        int kp = 0, kn = 0;
        for (int i = 0; i < n; i++) {
            if (codes[i] > 0) {
                sp += w[i];
                kp++;
            } else if (codes[i] < 0) {
                sn -= w[i];
                kn++;
            }
        }
        return Scales.of(kp == 0 ? 0 : sp / kp, kn == 0 ? 0 : sn / kn);
    }
}
