package org.ternary4j.core.projection;

/**
 * The exact joint optimum over codes and two non-negative scales (spec §1.2): the problem splits
 * into one exact support search on the positive weights and one on the negative weights'
 * magnitudes; each scale is the mean of its kept side.
 */
public record TwoScale() implements Projection {

    @Override
    public String spec() {
        return "two-scale";
    }

    @Override
    public boolean twoScales() {
        return true;
    }

    @Override
    public Scales project(float[] w, int n, byte[] codes) {
        ExactSupport.Cut pos = ExactSupport.select(side(w, n, 1f), countSide(w, n, 1f)).cut();
        ExactSupport.Cut neg = ExactSupport.select(side(w, n, -1f), countSide(w, n, -1f)).cut();
        for (int i = 0; i < n; i++) {
            float v = w[i];
            if (v > 0) codes[i] = pos.keep(v) ? (byte) 1 : 0;
            else if (v < 0) codes[i] = neg.keep(-v) ? (byte) -1 : 0;
            else codes[i] = 0;
        }
        return Groups.perSignMeans(w, n, codes);
    }

    /** The magnitudes of one sign's entries, in index order (so ties still break by index). */
    private static float[] side(float[] w, int n, float sign) {
        float[] out = new float[countSide(w, n, sign)];
        int k = 0;
        for (int i = 0; i < n; i++) {
            float v = w[i] * sign;
            if (v > 0) out[k++] = v;
        }
        return out;
    }

    private static int countSide(float[] w, int n, float sign) {
        int k = 0;
        for (int i = 0; i < n; i++) if (w[i] * sign > 0) k++;
        return k;
    }
}
