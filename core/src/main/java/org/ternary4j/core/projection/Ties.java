package org.ternary4j.core.projection;

/**
 * Codes from a magnitude threshold Δ: sign(w) where |w| clears Δ, 0 elsewhere (and always 0 for
 * w = 0). Whether |w| = Δ clears it is the one thing the methods differ on; each names its rule
 * here rather than writing its own comparison.
 */
enum Ties {
    /** |w| ≥ Δ: SYQ's rule (spec §2.4), shared by TTQ and the threshold projection, which use its Δ = r·max|w|. */
    KEEP,
    /** |w| > Δ: TWN (spec §2.2), and absmean, where |w| = γ/2 rounds half to even, to 0. */
    DROP;

    boolean keeps(float w, double delta) {
        double m = Math.abs(w);
        return w != 0 && (this == KEEP ? m >= delta : m > delta);
    }

    /** Writes the codes of w[0..n) and returns how many are nonzero. */
    int write(float[] w, int n, double delta, byte[] codes) {
        int kept = 0;
        for (int i = 0; i < n; i++) {
            boolean keep = keeps(w[i], delta);
            codes[i] = keep ? (byte) (w[i] > 0 ? 1 : -1) : 0;
            if (keep) kept++;
        }
        return kept;
    }
}
