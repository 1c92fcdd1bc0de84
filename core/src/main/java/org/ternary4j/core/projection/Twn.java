package org.ternary4j.core.projection;

/**
 * TWN (spec §2.2): codes sign(w)·[|w| > Δ] with Δ = factor·mean|w| (0.7 in the paper, 0.75 in its
 * later code); α = mean kept |w|.
 */
public record Twn(double factor) implements Projection {
    public static final double PAPER_FACTOR = 0.7;

    public Twn {
        if (!(factor >= 0) || Double.isInfinite(factor)) throw new IllegalArgumentException("twn factor must be ≥ 0, got " + factor);
    }

    @Override
    public String spec() {
        return "twn:" + factor;
    }

    @Override
    public Scales project(float[] w, int n, byte[] codes) {
        Ties.DROP.write(w, n, factor * Groups.meanAbs(w, n), codes);
        return Groups.leastSquares(w, n, codes);
    }
}
