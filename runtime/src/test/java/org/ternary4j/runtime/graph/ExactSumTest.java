package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Rows summed side by side against the plain loop in index order, bit for bit, where the order of adds changes the rounding. */
class ExactSumTest {

    private static double ordered(float[] a, int off, int len, boolean square) {
        double s = 0;
        for (int i = 0; i < len; i++) s += square ? a[off + i] * a[off + i] : a[off + i];
        return s;
    }

    @Test
    void everyRowEqualsTheLoopInIndexOrder() {
        Random rnd = new Random(3);
        double[] sums = new double[ExactSum.ROWS];
        for (int trial = 0; trial < 2000; trial++) {
            int len = rnd.nextInt(400), count = 1 + rnd.nextInt(ExactSum.ROWS), off = rnd.nextInt(5);
            float[] a = new float[off + count * len + 3];
            int kind = trial % 4;
            for (int i = 0; i < a.length; i++) {
                double g = rnd.nextGaussian();
                a[i] = switch (kind) {
                    case 0 -> (float) g;
                    case 1 -> (float) (g * Math.pow(2, rnd.nextInt(80) - 40)); // wide exponents: another order rounds differently
                    case 2 -> i % 7 == 0 ? 1e20f : (float) g;
                    default -> (float) (g * 1e-41); // subnormals
                };
            }
            for (boolean square : new boolean[] {false, true}) {
                ExactSum.rows(a, off, len, count, square, sums);
                for (int j = 0; j < count; j++) {
                    assertEquals(Double.doubleToRawLongBits(ordered(a, off + j * len, len, square)), Double.doubleToRawLongBits(sums[j]),
                            "trial " + trial + " row " + j + " square " + square);
                }
            }
        }
    }

    @Test
    void specialValuesAndCounts() {
        float[] a = {Float.NaN, 1f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, -0f, Float.MAX_VALUE, Float.MAX_VALUE};
        double[] sums = new double[ExactSum.ROWS];
        ExactSum.rows(a, 0, 2, 4, false, sums);
        assertEquals(Double.NaN, sums[0]);
        assertEquals(Double.NaN, sums[1]);
        assertEquals(Double.doubleToRawLongBits(0d), Double.doubleToRawLongBits(sums[2]));
        assertEquals(2.0 * Float.MAX_VALUE, sums[3]);
        ExactSum.rows(a, 6, 2, 1, true, sums);
        assertEquals(Double.POSITIVE_INFINITY, sums[0]); // the float square overflows before the double add
        assertThrows(IllegalArgumentException.class, () -> ExactSum.rows(a, 0, 1, ExactSum.ROWS + 1, false, sums));
    }
}
