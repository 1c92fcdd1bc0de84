package org.ternary4j.core.projection;

/**
 * BitNet b1.58 "absmean" (spec §2.6): γ = mean|w|, codes clip(round(w/γ), −1, 1), scale γ.
 * Rounding is half-to-even as in PyTorch, so |w| = γ/2 exactly rounds to 0.
 */
public record Absmean() implements Projection {

    @Override
    public String spec() {
        return "absmean";
    }

    @Override
    public Scales project(float[] w, int n, byte[] codes) {
        double gamma = Groups.meanAbs(w, n);
        return Ties.DROP.write(w, n, gamma / 2, codes) > 0 ? Scales.of(gamma) : Scales.ZERO;
    }
}
