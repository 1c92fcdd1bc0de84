package org.ternary4j.core.projection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The rule-based projections on vectors small enough to work out by hand. */
class HeuristicProjectionsTest {
    private static final float[] W = {0.9f, -0.5f, 0.1f, -0.05f, 0.4f}; // mean|w| = 0.39, max|w| = 0.9

    private static Scales run(Projection p, float[] w, byte[] expected) {
        byte[] codes = new byte[w.length];
        Scales s = p.project(w, w.length, codes);
        assertArrayEquals(expected, codes, p.spec());
        return s;
    }

    @Test
    void twnKeepsAboveSevenTenthsOfMeanAbs() {
        // Δ = 0.7·0.39 = 0.273: keeps 0.9, −0.5, 0.4; α = 0.6
        assertEquals(0.6, run(new Twn(0.7), W, new byte[] {1, -1, 0, 0, 1}).pos(), 1e-6);
        // Δ = 1.5·0.39 = 0.585 keeps only 0.9
        assertEquals(0.9, run(new Twn(1.5), W, new byte[] {1, 0, 0, 0, 0}).pos(), 1e-6);
    }

    @Test
    void thresholdIsRelativeToMax() {
        // Δ = 0.05·0.9 = 0.045: keeps everything
        assertEquals(0.39, run(new Threshold(0.05), W, new byte[] {1, -1, 1, -1, 1}).pos(), 1e-6);
        assertEquals(0.7, run(new Threshold(0.5), W, new byte[] {1, -1, 0, 0, 0}).pos(), 1e-6);
    }

    @Test
    void thresholdKeepsWeightsExactlyAtDeltaAndTwnDropsThem() {
        // max|w| = 20, Δ = 0.05·20 = 1 exactly: SYQ's rule keeps |w| ≥ Δ.
        float[] w = {20, 1, -1, 0.5f, -0.999f, 0, -20};
        run(new Threshold(0.05), w, new byte[] {1, 1, -1, 0, 0, 0, -1});
        // mean|w| = 2, Δ = 0.5·2 = 1 exactly: TWN keeps only |w| > Δ (spec §2.2).
        run(new Twn(0.5), new float[] {4, 1, -1, 2}, new byte[] {1, 0, 0, 1});
        // Δ = 0 (all-zero group) keeps nothing, whichever rule.
        run(new Threshold(0.05), new float[] {0, -0f, 0}, new byte[] {0, 0, 0});
    }

    @Test
    void absmeanRoundsHalfToEven() {
        // γ = 0.39: |w|/γ = 2.31, 1.28, 0.26, 0.13, 1.03
        assertEquals(0.39, run(new Absmean(), W, new byte[] {1, -1, 0, 0, 1}).pos(), 1e-6);
        // γ = 1; 0.5 rounds to 0, 1.5 to 2 and clips to 1
        run(new Absmean(), new float[] {0.5f, 1.5f, -1f, 0f, -2f}, new byte[] {0, 1, -1, 0, -1});
    }

    @Test
    void sparsityKeepsTheLargestWithIndexTieBreak() {
        assertEquals(0.7, run(new Sparsity(0.6), W, new byte[] {1, -1, 0, 0, 0}).pos(), 1e-6);
        run(new Sparsity(0.5), new float[] {1, -1, 1, -1}, new byte[] {1, -1, 0, 0});
        run(new Sparsity(1.0), W, new byte[] {0, 0, 0, 0, 0});
    }

    @Test
    void tgaUsesTheTruncatedGaussianMean() {
        float[] w = {-2, -1, 0, 1, 2}; // μ = 0, σ = √2, δ = 0.05·2 = 0.1
        Scales s = run(new Tga(0.05), w, new byte[] {-1, -1, 0, 1, 1});
        double sigma = Math.sqrt(2);
        assertEquals(sigma * Gaussian.inverseMills(0.1 / sigma), s.pos(), 1e-6);
        // th is capped at 3σ
        float[] spread = new float[20]; // σ = √1000 ≈ 31.6, so th = 3σ ≈ 94.9 although δ = 1000
        spread[0] = -100;
        spread[19] = 100;
        byte[] codes = new byte[20];
        new Tga(10).project(spread, 20, codes);
        byte[] expected = new byte[20];
        expected[0] = -1;
        expected[19] = 1;
        assertArrayEquals(expected, codes);
    }

    @Test
    void tgaOnConstantWeightsGivesZeroNotNaN() {
        Scales s = run(new Tga(0.05), new float[] {0.3f, 0.3f, 0.3f}, new byte[] {0, 0, 0});
        assertEquals(Scales.ZERO, s);
    }

    @Test
    void allZeroGroupsGetZeroScales() {
        float[] zeros = {0, 0, 0, 0};
        for (String spec : new String[] {"tnt", "tnt:norm", "tnt-tuned", "two-scale", "twn", "threshold", "absmean", "bitnet", "sparsity", "tga"}) {
            assertEquals(Scales.ZERO, run(Projections.parse(spec), zeros, new byte[4]), spec);
        }
    }

    @Test
    void parsingRoundTripsAndRejectsNonsense() {
        for (String spec : new String[] {"tnt", "tnt:norm", "tnt-tuned", "two-scale", "twn:0.75", "threshold:0.1", "absmean", "sparsity:0.3", "tga:0.05"}) {
            assertEquals(spec, Projections.parse(spec).spec());
        }
        assertThrows(IllegalArgumentException.class, () -> Projections.parse("ternary"));
        assertThrows(IllegalArgumentException.class, () -> Projections.parse("twn:x"));
        assertThrows(IllegalArgumentException.class, () -> Projections.parse("sparsity:2"));
        assertThrows(IllegalArgumentException.class, () -> Projections.parse("two-scale:1"));
    }
}
