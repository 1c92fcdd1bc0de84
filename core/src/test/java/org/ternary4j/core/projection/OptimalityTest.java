package org.ternary4j.core.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The exact methods against brute force over every one of the 3^N codes (N ≤ 8). */
class OptimalityTest {
    private static final int VECTORS = 4000;

    private static double tolerance(float[] w) {
        return 1e-9 * Math.max(1, BruteForce.dot(w, w));
    }

    @Test
    void tntReachesTheOneScaleOptimum() {
        RandomVectors gen = new RandomVectors(1);
        for (int k = 0; k < VECTORS; k++) {
            float[] w = gen.next(1 + gen.nextInt(8));
            byte[] codes = new byte[w.length];
            Scales s = new Tnt(false).project(w, w.length, codes);
            assertEquals(BruteForce.bestOneScaleError(w), BruteForce.error(w, codes, s), tolerance(w), () -> java.util.Arrays.toString(w));
        }
    }

    @Test
    void twoScaleReachesTheJointOptimumAndTunedNeverBeatsIt() {
        RandomVectors gen = new RandomVectors(2);
        int strictlyWorse = 0;
        for (int k = 0; k < VECTORS; k++) {
            float[] w = gen.next(1 + gen.nextInt(8));
            byte[] codes = new byte[w.length];
            double joint = BruteForce.error(w, codes, new TwoScale().project(w, w.length, codes));
            assertEquals(BruteForce.bestTwoScaleError(w), joint, tolerance(w), () -> java.util.Arrays.toString(w));
            double tuned = BruteForce.error(w, codes, new TntTuned().project(w, w.length, codes));
            double tnt = BruteForce.error(w, codes, new Tnt(false).project(w, w.length, codes));
            double norm = BruteForce.error(w, codes, new Tnt(true).project(w, w.length, codes));
            assertTrue(joint <= tuned + tolerance(w));
            assertTrue(tuned <= tnt + tolerance(w), "scalar tuning never loses to the LS scale on the same support");
            assertTrue(tnt <= norm + tolerance(w), "norm matching never beats least squares");
            if (tuned > joint + tolerance(w)) strictlyWorse++;
        }
        // The spec measured "strictly worse in roughly a third of random cases"; our mix of vector
        // kinds differs, so only check that the gap is common, not rare.
        assertTrue(strictlyWorse > VECTORS / 10, "tnt-tuned strictly worse in " + strictlyWorse + " cases");
    }

    @Test
    void theCriterionIsNotUnimodal() {
        float[] w = new float[201];
        w[0] = 10;
        java.util.Arrays.fill(w, 1, 201, 1f);
        byte[] codes = new byte[w.length];
        new Tnt(false).project(w, w.length, codes);
        int kept = 0;
        for (byte c : codes) kept += Math.abs(c);
        assertEquals(201, kept, "an early stop at M=1 would keep only the 10");
    }
}
