package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Cholesky factor, substitution, SPD inverse and matrix-vector products against the textbook
 * loops (bit for bit) and against A·A⁻¹ = I. Sizes run past several vector widths and their
 * remainders, so every lane path and every scalar tail is taken.
 */
class LinalgTest {
    private static final int[] SIZES = {1, 2, 3, 5, 8, 13, 19, 31, 32, 33, 47, 64, 71};

    @Test
    void choleskyEqualsTheRowByRowLoopBitForBit() {
        for (int n : SIZES) {
            double[] a = spd(n);
            assertArrayEquals(transpose(Textbook.cholesky(a, n), n), Linalg.upper(a, n), 0.0, "n=" + n);
        }
        for (int n = 1; n <= 19; n++) {
            double[] a = spd(n);
            for (int bad = 0; bad < n; bad++) {
                double[] b = a.clone();
                b[bad * n + bad] = -1;
                assertNull(Linalg.upper(b, n), "n=" + n + ", row " + bad + " not positive");
                assertNull(Textbook.cholesky(b, n));
            }
        }
    }

    /** A factor completed from its first rows after one row and column were deleted equals the reduced matrix's own factor. */
    @Test
    void upperFromContinuesAFactorAfterADeletion() {
        for (int n : new int[] {2, 9, 40, 71}) {
            double[] a = spd(n);
            double[] u = Linalg.upper(a, n);
            for (int p : new int[] {0, n / 3, n - 1}) {
                int f = n - 1;
                double[] reduced = new double[f * f];
                for (int i = 0; i < f; i++) for (int j = 0; j < f; j++) reduced[i * f + j] = a[(i < p ? i : i + 1) * n + (j < p ? j : j + 1)];
                double[] start = new double[f * f];
                for (int c = 0; c < p; c++) for (int i = c; i < f; i++) start[c * f + i] = u[c * n + (i < p ? i : i + 1)];
                assertArrayEquals(Linalg.upper(reduced, f), Linalg.upperFrom(reduced, f, start, p), 0.0, "n=" + n + " deleting " + p);
            }
        }
    }

    @Test
    void substituteEqualsTheTextbookLoopBitForBitAndSolves() {
        for (int n : SIZES) {
            double[] a = spd(n), b = new Random(n).doubles(n, -1, 1).toArray();
            double[] x = Linalg.substitute(Linalg.upper(a, n), b, n);
            assertArrayEquals(ScaleRefitTest.substitute(Textbook.cholesky(a, n), b, n), x, 0.0, "n=" + n);
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += a[i * n + k] * x[k];
                assertEquals(b[i], s, 1e-8, "n=" + n + " row " + i);
            }
        }
    }

    private static double[] spd(int n) {
        Random rnd = new Random(100 + n);
        double[] x = new double[3 * n * n], a = new double[n * n];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian();
        for (int r = 0; r < 3 * n; r++) for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i * n + j] += x[r * n + i] * x[r * n + j];
        for (int i = 0; i < n; i++) a[i * n + i] += 0.1;
        return a;
    }

    @Test
    void inverseEqualsTheColumnWiseFormulaBitForBitAndInverts() {
        for (int n : new int[] {1, 2, 7, 33, 70}) {
            double[] a = spd(n);
            double[] inv = Linalg.inverse(a, n);
            assertArrayEquals(textbookInverse(a, n), inv, 0.0, "n=" + n);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int k = 0; k < n; k++) s += a[i * n + k] * inv[k * n + j];
                    assertEquals(i == j ? 1 : 0, s, 1e-8, "n=" + n + " (" + i + "," + j + ")");
                }
            }
        }
        assertNull(Linalg.inverse(new double[] {1, 2, 2, 1}, 2), "indefinite");
    }

    /** L⁻¹ column by column, then L⁻ᵀL⁻¹, reading L⁻¹ down its columns. */
    static double[] textbookInverse(double[] a, int n) {
        double[] l = Textbook.cholesky(a, n);
        double[] li = new double[n * n];
        for (int c = 0; c < n; c++) {
            for (int i = c; i < n; i++) {
                double s = i == c ? 1 : 0;
                for (int k = c; k < i; k++) s -= l[i * n + k] * li[k * n + c];
                li[i * n + c] = s / l[i * n + i];
            }
        }
        double[] inv = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int k = i; k < n; k++) s += li[k * n + i] * li[k * n + j];
                inv[i * n + j] = s;
                inv[j * n + i] = s;
            }
        }
        return inv;
    }

    /** M x for several x against one dot product per row of M; M not symmetric. */
    @Test
    void productsEqualRowDotProductsBitForBit() {
        for (int n : SIZES) {
            Random rnd = new Random(n);
            double[] m = rnd.doubles(n * n, -1, 1).toArray();
            double[][] x = new double[3][], out = new double[3][n];
            for (int b = 0; b < 3; b++) x[b] = rnd.doubles(n, -1, 1).toArray();
            x[1][0] = 0;
            Linalg.products(Linalg.transpose(m, n), x, out, n);
            for (int b = 0; b < 3; b++) {
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    for (int j = 0; j < n; j++) s += m[i * n + j] * x[b][j];
                    assertEquals(s, out[b][i], 0.0, "n=" + n + " vector " + b + " row " + i);
                }
            }
        }
    }

    private static double[] transpose(double[] a, int n) {
        double[] t = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
        return t;
    }
}
