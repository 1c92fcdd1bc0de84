package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Cholesky factor and the SPD inverse against the textbook loops (bit for bit) and against A·A⁻¹ = I. */
class LinalgTest {
    /** Every size around the four-row blocks and their remainders, and an indefinite matrix found at each row. */
    @Test
    void choleskyEqualsTheRowByRowLoopBitForBit() {
        for (int n = 1; n <= 19; n++) {
            double[] a = spd(n);
            double[] l = Linalg.cholesky(a, n);
            assertArrayEquals(rowByRow(a, n), l, 0.0, "n=" + n);
            for (int bad = 0; bad < n; bad++) {
                double[] b = a.clone();
                b[bad * n + bad] = -1;
                assertNull(Linalg.cholesky(b, n), "n=" + n + ", row " + bad + " not positive");
                assertNull(rowByRow(b, n));
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

    /** The textbook Cholesky–Banachiewicz loop, row by row. */
    private static double[] rowByRow(double[] a, int n) {
        double[] l = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
                if (i == j) {
                    if (!(s > 0)) return null;
                    l[i * n + i] = Math.sqrt(s);
                } else {
                    l[i * n + j] = s / l[j * n + j];
                }
            }
        }
        return l;
    }

    @Test
    void inverseEqualsTheColumnWiseFormulaBitForBitAndInverts() {
        for (int n : new int[] {1, 2, 7, 33}) {
            Random rnd = new Random(n);
            double[] x = new double[3 * n * n], a = new double[n * n];
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian();
            for (int r = 0; r < 3 * n; r++) for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i * n + j] += x[r * n + i] * x[r * n + j];
            for (int i = 0; i < n; i++) a[i * n + i] += 0.1;
            double[] inv = Linalg.inverse(a, n);
            assertArrayEquals(textbook(a, n), inv, 0.0, "n=" + n);
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
    private static double[] textbook(double[] a, int n) {
        double[] l = Linalg.cholesky(a, n);
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
}
