package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Double sums against the exact sum (BigDecimal) within the error bound of any order of double
 * adds, exact for integers, one order wherever the row sits, and the special values.
 */
class DoubleSumsTest {

    @Test
    void withinTheDoubleErrorBoundOfTheExactSum() {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 2000; trial++) {
            int len = rnd.nextInt(400), off = rnd.nextInt(5);
            float[] a = new float[off + len + 3];
            int kind = trial % 4;
            for (int i = 0; i < a.length; i++) {
                double g = rnd.nextGaussian();
                a[i] = switch (kind) {
                    case 0 -> (float) g;
                    case 1 -> (float) (g * Math.pow(2, rnd.nextInt(80) - 40)); // wide exponents
                    case 2 -> i % 7 == 0 ? 1e15f : (float) g; // cancellation (squares stay finite)
                    default -> (float) (g * 1e-41); // subnormals
                };
            }
            for (boolean square : new boolean[] {false, true}) {
                BigDecimal exact = BigDecimal.ZERO;
                double magnitude = 0;
                for (int i = 0; i < len; i++) {
                    float v = square ? a[off + i] * a[off + i] : a[off + i];
                    exact = exact.add(new BigDecimal(v));
                    magnitude += Math.abs(v);
                }
                double got = DoubleSums.of(a, off, len, square);
                // n·u·Σ|v| bounds the error of summing n values in double in any order (u = 2^-53)
                double bound = len * Math.ulp(1.0) / 2 * magnitude;
                assertTrue(Math.abs(new BigDecimal(got).subtract(exact).doubleValue()) <= bound, "trial " + trial + " square " + square + ": " + got + " vs " + exact);
                float[] moved = new float[len + 7];
                System.arraycopy(a, off, moved, 7, len);
                assertEquals(Double.doubleToRawLongBits(got), Double.doubleToRawLongBits(DoubleSums.of(moved, 7, len, square)), "the same order at another offset");
            }
        }
    }

    /** Integers sum exactly in double whatever the order: every length and offset of the lane loop and its tail gives the exact sum. */
    @Test
    void integersSumExactly() {
        Random rnd = new Random(5);
        float[] a = new float[200];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextInt(2001) - 1000;
        for (int from = 0; from < 4; from++) {
            for (int len = 0; from + len <= a.length; len++) {
                long exact = 0;
                for (int i = from; i < from + len; i++) exact += (long) a[i];
                assertEquals((double) exact, DoubleSums.of(a, from, len, false), "from " + from + ", length " + len);
            }
        }
    }

    /** Random floats of mixed magnitudes: within a few double ulps of the exact sum (a float sum would be off by about 1e-7 relative). */
    @Test
    void nearTheExactSum() {
        Random rnd = new Random(6);
        for (int len : new int[] {15, 16, 17, 192, 2304}) {
            float[] a = new float[len];
            BigDecimal exact = BigDecimal.ZERO;
            for (int i = 0; i < len; i++) {
                a[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
                exact = exact.add(new BigDecimal(a[i]));
            }
            double got = DoubleSums.of(a, 0, len, false), want = exact.round(MathContext.DECIMAL64).doubleValue();
            assertEquals(want, got, 1e-12 * Math.abs(want) + 1e-12, "length " + len);
        }
    }

    @Test
    void specialValues() {
        float[] a = {Float.NaN, 1f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, -0f, Float.MAX_VALUE, Float.MAX_VALUE};
        assertEquals(Double.NaN, DoubleSums.of(a, 0, 2, false));
        assertEquals(Double.NaN, DoubleSums.of(a, 2, 2, false));
        assertEquals(Double.doubleToRawLongBits(0d), Double.doubleToRawLongBits(DoubleSums.of(a, 4, 2, false)), "-0 + -0 from a +0 start");
        assertEquals(2.0 * Float.MAX_VALUE, DoubleSums.of(a, 6, 2, false));
        assertEquals(Double.POSITIVE_INFINITY, DoubleSums.of(a, 6, 2, true)); // the float square overflows before the double add
        float[] wide = new float[40];
        wide[3] = Float.NaN;
        assertEquals(Double.NaN, DoubleSums.of(wide, 0, 40, true), "a NaN in the vector part");
    }
}
