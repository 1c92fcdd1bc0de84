package org.ternary4j.core.projection;

/**
 * TNT followed by its "scalar tuning" (spec §2.1): TNT's symmetric support, then one scale per
 * sign, each the mean magnitude of that sign's kept weights. Never better than {@link TwoScale}.
 */
public record TntTuned() implements Projection {

    @Override
    public String spec() {
        return "tnt-tuned";
    }

    @Override
    public boolean twoScales() {
        return true;
    }

    @Override
    public Scales project(float[] w, int n, byte[] codes) {
        float[] mags = Groups.magnitudes(w, n);
        Groups.writeSigns(w, n, ExactSupport.select(mags, n), codes);
        return Groups.perSignMeans(w, n, codes);
    }
}
