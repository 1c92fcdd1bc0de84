package org.ternary4j.core.projection;

/**
 * TGA's truncated-Gaussian rule (spec §2.5) for a given δ = deltaRatio·max|w|: μ, σ of the group
 * (population σ), th = min(|δ|, 3σ), codes +1 above μ+th and −1 below μ−th, and one scale, the
 * mean of N(μ, σ²) truncated to (μ+th, ∞): α = μ + σ·λ(th/σ).
 */
public record Tga(double deltaRatio) implements Projection {
    public static final double DEFAULT_DELTA_RATIO = 0.05;

    public Tga {
        if (!(deltaRatio >= 0) || Double.isInfinite(deltaRatio)) throw new IllegalArgumentException("tga delta ratio must be ≥ 0, got " + deltaRatio);
    }

    @Override
    public String spec() {
        return "tga:" + deltaRatio;
    }

    @Override
    public Scales project(float[] w, int n, byte[] codes) {
        double mean = 0;
        for (int i = 0; i < n; i++) mean += w[i];
        mean /= n;
        double var = 0;
        for (int i = 0; i < n; i++) var += (w[i] - mean) * (w[i] - mean);
        double sigma = Math.sqrt(var / n);
        double th = Math.min(deltaRatio * Groups.maxAbs(w, n), 3 * sigma);
        // σ = 0 means constant weights: nothing lies outside μ ± th, so there is no scale to fit.
        if (!writeCodes(w, n, mean, th, codes) || sigma == 0) return Scales.ZERO;
        double alpha = mean + sigma * Gaussian.inverseMills(th / sigma);
        // A strongly negative mean can drive the upper-tail mean below zero; the scale of a
        // code cannot flip sign, so it stops at zero.
        return Scales.of(Math.max(0, alpha));
    }

    /**
     * TGA's codes, shared with training: +1 where w > μ + th, −1 where w < μ − th (strictly,
     * spec §2.5), else 0. Returns whether any code is nonzero.
     */
    public static boolean writeCodes(float[] w, int n, double mean, double th, byte[] codes) {
        boolean any = false;
        for (int i = 0; i < n; i++) {
            codes[i] = w[i] > mean + th ? (byte) 1 : w[i] < mean - th ? (byte) -1 : 0;
            any |= codes[i] != 0;
        }
        return any;
    }
}
