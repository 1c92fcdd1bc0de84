package org.ternary4j.ptq.calibrate;

/** The dense symmetric-positive-definite algebra the solvers need (n is at most a few thousand). */
final class Linalg {
    private Linalg() {}

    /** Lower Cholesky factor of the SPD matrix a (n×n, row-major), or null when a is not positive definite. */
    static double[] cholesky(double[] a, int n) {
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

    /** Solves a x = b for SPD a; null when a is not positive definite. */
    static double[] solve(double[] a, double[] b, int n) {
        double[] l = cholesky(a, n);
        if (l == null) return null;
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

    /** The inverse of an SPD matrix; null when it is not positive definite. */
    static double[] inverse(double[] a, int n) {
        double[] l = cholesky(a, n);
        if (l == null) return null;
        // L⁻¹ by forward substitution, then A⁻¹ = L⁻ᵀ L⁻¹. L⁻¹ is kept transposed (t[c·n + k] = L⁻¹[k][c]) so
        // both loops read along rows: reading down columns missed the cache on every step and made this
        // most of the recogniser's solve time. Each sum still runs over k in ascending order: same bits.
        double[] t = new double[n * n];
        for (int c = 0; c < n; c++) {
            int col = c * n;
            for (int i = c; i < n; i++) {
                double s = i == c ? 1 : 0;
                int row = i * n;
                for (int k = c; k < i; k++) s -= l[row + k] * t[col + k];
                t[col + i] = s / l[row + i];
            }
        }
        double[] inv = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0;
                int ri = i * n, rj = j * n;
                for (int k = i; k < n; k++) s += t[ri + k] * t[rj + k];
                inv[i * n + j] = s;
                inv[j * n + i] = s;
            }
        }
        return inv;
    }

    /** xᵀ H y for dense vectors. */
    static double quadratic(double[] h, double[] x, double[] y, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            if (x[i] == 0) continue;
            double r = 0;
            int row = i * n;
            for (int j = 0; j < n; j++) r += h[row + j] * y[j];
            s += x[i] * r;
        }
        return s;
    }
}
