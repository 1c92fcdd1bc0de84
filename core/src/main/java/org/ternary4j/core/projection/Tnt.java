package org.ternary4j.core.projection;

/**
 * TNT (spec §2.1): the exact cosine / least-squares optimal support, sign(w) on the M* largest
 * |w|. Scale is the least-squares one (mean of kept magnitudes) unless {@code normMatch}, which
 * reproduces the authors' ‖w‖/‖t‖ and is kept only for faithful comparisons.
 */
public record Tnt(boolean normMatch) implements Projection {

    /** Per-thread |w| buffer, reused from group to group (as ExactSupport's scratch arrays, and as limited). */
    private static final ThreadLocal<float[]> MAGNITUDES = ThreadLocal.withInitial(() -> new float[0]);

    @Override
    public String spec() {
        return normMatch ? "tnt:norm" : "tnt";
    }

    @Override
    public Scales project(float[] w, int n, byte[] codes) {
        float[] mags = n > ExactSupport.REUSE_LIMIT ? new float[n] : MAGNITUDES.get();
        if (mags.length < n) {
            mags = new float[n];
            MAGNITUDES.set(mags);
        }
        GroupPasses.Summary summary = GroupPasses.magnitudes(w, n, mags);
        ExactSupport.Support support = ExactSupport.select(mags, n, summary.max(), summary.sumAtLeast());
        Groups.writeSigns(w, n, support, codes);
        int kept = support.size();
        if (kept == 0) return Scales.ZERO;
        if (!normMatch) return Groups.meanOfKept(mags, n, codes, support);
        double sq = 0;
        for (int i = 0; i < n; i++) sq += (double) w[i] * w[i];
        return Scales.of(Math.sqrt(sq / kept));
    }
}
