package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The runtime's own vector e^x against Math.exp, at its range's ends and on special values. */
class VectorOpsTest {
    private static float exp(float x) {
        float[] v = new float[FloatVector.SPECIES_PREFERRED.length()];
        java.util.Arrays.fill(v, x);
        VectorOps.exp(v, v, 0, v.length);
        return v[0];
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
}
