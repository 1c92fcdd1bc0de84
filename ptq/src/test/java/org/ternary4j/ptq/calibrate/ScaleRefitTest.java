package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The non-negative least squares against the plain loop that factorises every reduced system afresh. */
class ScaleRefitTest {
    @Test
    void nonNegativeEqualsRefactorisingEverySystemBitForBit() {
        int pinnedSomewhere = 0;
        for (int trial = 0; trial < 60; trial++) {
            Random rnd = new Random(trial);
            int m = 1 + rnd.nextInt(14);
            double[] x = new double[2 * m * m], g = new double[m * m], b = new double[m];
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian();
            for (int r = 0; r < 2 * m; r++) for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) g[i * m + j] += x[r * m + i] * x[r * m + j];
            for (int i = 0; i < m; i++) g[i * m + i] += 0.05;
            for (int i = 0; i < m; i++) b[i] = rnd.nextGaussian();
            double[] expected = refactorising(g, b, m);
            assertArrayEquals(expected, ScaleRefit.nonNegative(g, b, m), 0.0, "trial " + trial);
            for (double v : expected) if (v == 0) pinnedSomewhere++;
        }
        assertTrue(pinnedSomewhere > 60, "the problems pin scales (" + pinnedSomewhere + ")");
    }

    /** The same pinning rule, each reduced system factorised from scratch by the textbook row-by-row loop. */
    private static double[] refactorising(double[] g, double[] b, int m) {
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
            double[] l = new double[f * f];
            for (int i = 0; i < f; i++) {
                for (int j = 0; j <= i; j++) {
                    double t = gs[i * f + j];
                    for (int k = 0; k < j; k++) t -= l[i * f + k] * l[j * f + k];
                    l[i * f + j] = i == j ? Math.sqrt(t) : t / l[j * f + j];
                }
            }
            double[] sol = Linalg.substitute(l, bs, f);
            int worst = -1;
            for (int a = 0; a < f; a++) if (sol[a] < 0 && (worst < 0 || sol[a] < sol[worst])) worst = a;
            if (worst < 0) {
                for (int a = 0; a < f; a++) s[idx.get(a)] = sol[a];
                return s;
            }
            free[idx.get(worst)] = false;
        }
    }
}
