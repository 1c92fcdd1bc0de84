package org.ternary4j.core.projection;

/** Small loops the projections share. */
final class Groups {
    private Groups() {}

    static float[] magnitudes(float[] w, int n) {
        float[] mags = new float[n];
        for (int i = 0; i < n; i++) mags[i] = Math.abs(w[i]);
        return mags;
    }

    /** Writes sign(w) where the cut keeps |w|, zero elsewhere; returns the number kept. */
    static int writeSigns(float[] w, float[] mags, int n, ExactSupport.Cut cut, byte[] codes) {
        int kept = 0;
        for (int i = 0; i < n; i++) {
            boolean keep = cut.keep(mags[i]);
            codes[i] = keep ? (byte) (w[i] > 0 ? 1 : -1) : 0;
            if (keep) kept++;
        }
        return kept;
    }

    /** Codes sign(w)·[|w| > threshold]. */
    static void writeAbove(float[] w, int n, double threshold, byte[] codes) {
        for (int i = 0; i < n; i++) {
            codes[i] = Math.abs(w[i]) > threshold ? (byte) (w[i] > 0 ? 1 : -1) : 0;
        }
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
