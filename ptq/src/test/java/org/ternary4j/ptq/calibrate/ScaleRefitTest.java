package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.grouping.Grouping;

/**
 * The non-negative least squares against the plain loop that factorises every reduced system
 * afresh, and the whole refit against dense normal equations ({@link Textbook#refit}), bit for bit.
 */
class ScaleRefitTest {
    @Test
    void refitEqualsDenseNormalEquationsBitForBit() {
        Random rnd = new Random(31);
        for (String grouping : new String[] {"block:4", "block:3", "row", "tensor"}) {
            for (boolean two : new boolean[] {false, true}) {
                LayerProblem p = Textbook.layer(rnd, 5, 45, Grouping.parse(grouping), two);
                byte[] codes = Textbook.codes(p, rnd), expectedCodes = codes.clone();
                int groups = p.layout().groupCount();
                float[] pos = new float[groups], neg = two ? new float[groups] : null;
                Arrays.fill(pos, 0.3f);
                if (two) Arrays.fill(neg, 0.3f);
                float[] expectedPos = pos.clone(), expectedNeg = two ? neg.clone() : null;
                Textbook.refit(p, expectedCodes, expectedPos, expectedNeg);
                ScaleRefit.refit(p, codes, pos, neg);
                String what = grouping + (two ? ", two scales" : ", one scale");
                assertArrayEquals(expectedPos, pos, 0f, what);
                if (two) assertArrayEquals(expectedNeg, neg, 0f, what);
                assertArrayEquals(expectedCodes, codes, what);
                assertTrue(IntStream.range(0, groups).anyMatch(g -> expectedPos[g] == 0) || !grouping.startsWith("block"), what + " pins a scale");
            }
        }
    }

    @Test
    void nonNegativeEqualsRefactorisingEverySystemBitForBit() {
        int pinnedSomewhere = 0;
        for (int trial = 0; trial < 60; trial++) {
            Random rnd = new Random(trial);
            int m = trial < 50 ? 1 + rnd.nextInt(14) : 30 + rnd.nextInt(60); // large ones take every vector path
            double[] x = new double[2 * m * m], g = new double[m * m], b = new double[m];
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian();
            for (int r = 0; r < 2 * m; r++) for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) g[i * m + j] += x[r * m + i] * x[r * m + j];
            for (int i = 0; i < m; i++) g[i * m + i] += 0.05;
            for (int i = 0; i < m; i++) b[i] = rnd.nextGaussian();
            double[] expected = refactorising(g, b, m);
            assertArrayEquals(expected, PinnedLeastSquares.solve(g, b, m), 0.0, "trial " + trial);
            for (double v : expected) if (v == 0) pinnedSomewhere++;
        }
        assertTrue(pinnedSomewhere > 60, "the problems pin scales (" + pinnedSomewhere + ")");
    }

    /**
     * The same pinning rule, each reduced system factorised from scratch by the textbook row-by-row
     * loop (with the solver's ridge where a system is not positive definite).
     */
    static double[] refactorising(double[] g, double[] b, int m) {
        boolean[] free = new boolean[m];
        for (int u = 0; u < m; u++) free[u] = g[u * m + u] > 0;
        double[] s = new double[m];
        while (true) {
            List<Integer> idx = new ArrayList<>();
            for (int u = 0; u < m; u++) if (free[u]) idx.add(u);
            Arrays.fill(s, 0);
            if (idx.isEmpty()) return s;
            int f = idx.size();
            double[] gs = new double[f * f], bs = new double[f];
            for (int a = 0; a < f; a++) {
                bs[a] = b[idx.get(a)];
                for (int c = 0; c < f; c++) gs[a * f + c] = g[idx.get(a) * m + idx.get(c)];
            }
            double trace = 0;
            for (int a = 0; a < f; a++) trace += gs[a * f + a];
            double[] l = Textbook.cholesky(gs, f);
            if (l == null) { // linearly dependent: the solver's tiny ridge
                for (int a = 0; a < f; a++) gs[a * f + a] += 1e-9 * trace / f;
                l = Textbook.cholesky(gs, f);
                if (l == null) return s;
            }
            double[] sol = substitute(l, bs, f);
            int worst = -1;
            for (int a = 0; a < f; a++) if (sol[a] < 0 && (worst < 0 || sol[a] < sol[worst])) worst = a;
            if (worst < 0) {
                for (int a = 0; a < f; a++) s[idx.get(a)] = sol[a];
                return s;
            }
            free[idx.get(worst)] = false;
        }
    }

    /** Forward then back substitution with a row-major lower factor, each sum in ascending order. */
    static double[] substitute(double[] l, double[] b, int n) {
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[i * n + k] * y[k];
            y[i] = s / l[i * n + i];
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
            x[i] = s / l[i * n + i];
        }
        return x;
    }
}
