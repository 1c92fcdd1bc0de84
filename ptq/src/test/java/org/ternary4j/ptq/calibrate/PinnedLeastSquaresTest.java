package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pinning solver that follows its steps on an updated factor against the loop that factorises
 * every reduced system afresh ({@link ScaleRefitTest#refactorising}), bit for bit, where steps are
 * clear-cut and where they are ties only exact arithmetic can settle.
 */
class PinnedLeastSquaresTest {
    @Test
    void equalsRefactorisingOnManyPinsBitForBit() {
        int pins = 0;
        for (int trial = 0; trial < 20; trial++) {
            Random rnd = new Random(1000 + trial);
            int m = 40 + rnd.nextInt(80);
            double[] g = gram(rnd, m, 2 * m), b = new double[m];
            for (int i = 0; i < m; i++) b[i] = rnd.nextGaussian();
            double[] expected = ScaleRefitTest.refactorising(g, b, m);
            assertArrayEquals(expected, PinnedLeastSquares.solve(g, b, m), 0.0, "trial " + trial);
            for (double v : expected) if (v == 0) pins++;
        }
        assertTrue(pins > 200, "the problems pin many unknowns (" + pins + ")");
    }

    /**
     * Three identical independent blocks: every solution has three equal entries per unknown, so
     * after the first pin the updated factor's solution offers ties that its rounding cannot order;
     * the exact solution must choose (the first of equals), as the plain loop does.
     */
    @Test
    void tiesAreSettledByTheExactSolution() {
        Random rnd = new Random(5);
        int block = 12, m = 3 * block;
        double[] one = gram(rnd, block, 2 * block), rhs = new double[block];
        for (int i = 0; i < block; i++) rhs[i] = rnd.nextGaussian();
        double[] g = new double[m * m], b = new double[m];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < block; i++) {
                b[c * block + i] = rhs[i];
                for (int j = 0; j < block; j++) g[(c * block + i) * m + c * block + j] = one[i * block + j];
            }
        }
        double[] expected = ScaleRefitTest.refactorising(g, b, m);
        int zeros = 0;
        for (double v : expected) if (v == 0) zeros++;
        assertTrue(zeros >= 6, "pins in every block (" + zeros + ")");
        assertArrayEquals(expected, PinnedLeastSquares.solve(g, b, m), 0.0);
    }

    /** A system that is not positive definite (two unknowns a hair more than collinear) takes the ridge, as the plain loop does. */
    @Test
    void systemsThatAreNotPositiveDefiniteTakeTheRidge() {
        int m = 20;
        double[] g = gram(new Random(9), m, 2 * m), b = new Random(10).doubles(m, -1, 1).toArray();
        for (int i = 0; i < m; i++) {
            g[7 * m + i] = g[3 * m + i];
            g[i * m + 7] = g[i * m + 3];
        }
        g[7 * m + 7] = g[3 * m + 3];
        g[7 * m + 3] = g[3 * m + 7] = g[3 * m + 3] * (1 + 1e-12);
        assertNull(Linalg.upper(g, m), "not positive definite");
        double[] expected = ScaleRefitTest.refactorising(g, b, m);
        assertTrue(java.util.Arrays.stream(expected).anyMatch(v -> v != 0), "the ridge solves it");
        assertArrayEquals(expected, PinnedLeastSquares.solve(g, b, m), 0.0);
    }

    /** XᵀX of n Gaussian rows, plus a little on the diagonal. */
    private static double[] gram(Random rnd, int m, int n) {
        double[] x = new double[n * m], g = new double[m * m];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian();
        for (int r = 0; r < n; r++) for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) g[i * m + j] += x[r * m + i] * x[r * m + j];
        for (int i = 0; i < m; i++) g[i * m + i] += 0.05;
        return g;
    }
}
