package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The runtime's own vector e^x against Math.exp, at its range's ends and on special values; Relu on special values. */
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

    /** Relu as a compare and a blend gives ONNX Relu's bits (NaN stays NaN, −0 becomes +0) in the vector loop and the tail. */
    @Test
    void reluMatchesTheScalarDefinitionOnSpecialValues() {
        float[] special = {Float.NaN, -0f, 0f, -1f, 2f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE};
        float[] x = new float[3 * FloatVector.SPECIES_PREFERRED.length() + 5];
        for (int i = 0; i < x.length; i++) x[i] = special[i % special.length];
        float[] y = VectorOps.unary(VectorOps.Unary.RELU, x);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(Epilogue.relu(x[i])), Float.floatToRawIntBits(y[i]), "relu(" + x[i] + ") at " + i);
        }
    }
}
