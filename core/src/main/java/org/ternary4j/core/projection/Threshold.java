package org.ternary4j.core.projection;

/**
 * The TTQ/SYQ projection (spec §2.3, §2.4): Δ = ratio·max|w|, codes sign(w)·[|w| ≥ Δ] (SYQ's tie
 * rule; training's TTQ and SYQ take their codes from here). Without training there is no learned
 * scale, so the scale is the least-squares one for those codes.
 */
public record Threshold(double ratio) implements Projection {
    public static final double DEFAULT_RATIO = 0.05;

    public Threshold {
        if (!(ratio >= 0 && ratio <= 1)) throw new IllegalArgumentException("threshold ratio must be in [0, 1], got " + ratio);
    }

    @Override
    public String spec() {
        return "threshold:" + ratio;
    }

    @Override
    public Scales project(float[] w, int n, byte[] codes) {
        Ties.KEEP.write(w, n, ratio * Groups.maxAbs(w, n), codes);
        return Groups.leastSquares(w, n, codes);
    }
}
