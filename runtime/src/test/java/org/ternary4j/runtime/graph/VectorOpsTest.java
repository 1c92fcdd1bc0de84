package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The runtime's own vector erf against its Taylor series, at its range's ends and on special values; Relu on special values (e^x: {@link ExponentialsTest}). */
class VectorOpsTest {
    /** An array kernel over whole vectors [from, to) of x into o. */
    interface ArrayKernel {
        void run(float[] x, float[] o, int from, int to);
    }

    /** What an array kernel gives for x, in every lane of a vector of x. */
    static float oneValue(float x, ArrayKernel kernel) {
        float[] v = new float[FloatVector.SPECIES_PREFERRED.length()];
        java.util.Arrays.fill(v, x);
        kernel.run(v, v, 0, v.length);
        return v[0];
    }

    private static float erf(float x) {
        return oneValue(x, VectorOps::erf);
    }

    /** erf by its Taylor series in double, 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1)): about 1e-10 or better on [−4.5, 4.5]. */
    private static double erfSeries(double x) {
        double term = x, sum = x;
        for (int n = 1; n < 200; n++) {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    @Test
    void erfIsWithin3e7OfItsSeriesAndHandlesTheEnds() {
        double worst = 0;
        for (float x = -4.5f; x <= 4.5f; x += 0.00731f) {
            double err = Math.abs(erf(x) - erfSeries(x));
            worst = Math.max(worst, err);
            assertTrue(err <= 3.1e-7, "erf(" + x + "): " + erf(x) + " against " + erfSeries(x));
        }
        assertTrue(worst > 1e-8, "the float evaluation's own error shows: " + worst);
        assertEquals(0f, erf(0f));
        for (float x : new float[] {0.3f, 1.7f, 3.2f}) assertEquals(-erf(x), erf(-x), "odd");
        // where ±1 is the float nearest erf, exactly ±1 (GELU's x·(erf + 1) is then 0 for very negative x)
        for (float x : new float[] {3.87f, 4f, 9f, 1e30f, Float.POSITIVE_INFINITY}) {
            assertEquals(1f, erf(x), "erf(" + x + ")");
            assertEquals(-1f, erf(-x), "erf(" + -x + ")");
        }
        assertTrue(Float.isNaN(erf(Float.NaN)));
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
