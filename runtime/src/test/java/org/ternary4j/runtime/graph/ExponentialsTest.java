package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The runtime's own vector e^x against Math.exp, at its range's ends and on special values; the paired runs of exp and softmax rows against each run alone. */
class ExponentialsTest {
    private static float exp(float x) {
        return VectorOpsTest.oneValue(x, Exponentials::exp);
    }

    @Test
    void expIsWithinTwoUlpsOfMathExpAndHandlesTheEnds() {
        for (float x = -87.3f; x <= 88f; x += 0.0137f) {
            float want = (float) Math.exp(x), got = exp(x);
            assertTrue(Math.abs(got - want) <= 2 * Math.ulp(want), "e^" + x + ": " + got + " against " + want);
        }
        // Above 127·ln 2 the reduced argument leaves the polynomial's interval: a few ulps, still finite.
        for (float x = 88f; x <= 88.72f; x += 0.01f) {
            float want = (float) Math.exp(x), got = exp(x);
            assertTrue(Math.abs(got - want) <= 1e-6 * want, "e^" + x + ": " + got + " against " + want);
        }
        assertEquals(1f, exp(0f));
        assertEquals(0f, exp(-100f));
        assertEquals(0f, exp(-Float.MAX_VALUE));
        assertEquals(Float.POSITIVE_INFINITY, exp(89f));
        assertEquals(Float.POSITIVE_INFINITY, exp(Float.POSITIVE_INFINITY));
        assertTrue(Float.isNaN(exp(Float.NaN)));
    }

    /** Runs go two at a time, interleaved: each element and each row's sum is what it alone gives (the same bits), an odd one paired with itself. */
    @Test
    void pairedRunsGiveTheBitsOfEachRunAlone() {
        int lanes = FloatVector.SPECIES_PREFERRED.length(), vectors = 5;
        java.util.Random rnd = new java.util.Random(3);
        float[] x = new float[vectors * lanes];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 20);
        float[] all = new float[x.length];
        Exponentials.exp(x, all, 0, x.length);
        for (int v = 0; v < vectors; v++) {
            float[] one = new float[x.length];
            Exponentials.exp(x, one, v * lanes, (v + 1) * lanes);
            for (int l = 0; l < lanes; l++) assertEquals(Float.floatToRawIntBits(one[v * lanes + l]), Float.floatToRawIntBits(all[v * lanes + l]));
        }
        int len = 2 * lanes + 3, rows = 3; // whole vectors and a tail; the third row paired with itself
        float[] scores = new float[rows * len];
        for (int i = 0; i < scores.length; i++) scores[i] = (float) (rnd.nextGaussian() * 4);
        float[] together = Exponentials.softmaxRows(scores, len);
        for (int r = 0; r < rows; r++) {
            float[] row = java.util.Arrays.copyOfRange(scores, r * len, (r + 1) * len), alone = Exponentials.softmaxRows(row, len);
            double sum = 0;
            for (int i = 0; i < len; i++) {
                assertEquals(Float.floatToRawIntBits(alone[i]), Float.floatToRawIntBits(together[r * len + i]), "row " + r + ", element " + i);
                sum += alone[i];
            }
            assertEquals(1.0, sum, 1e-5);
        }
    }
}
