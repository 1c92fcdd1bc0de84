package org.ternary4j.ptq.calibrate;

/** The dense symmetric-positive-definite algebra the solvers need (n is at most a few thousand). */
final class Linalg {
    private Linalg() {}

    /**
     * Lower Cholesky factor of the SPD matrix a (n×n, row-major), or null when a is not positive definite.
     * Column by column, four rows of a column at once: each entry is still a[i][j] minus its products
     * in ascending k, one chain per entry (the row-by-row loop's bits), but four independent chains
     * keep the adder busy where one chain waited on each subtraction (the MiniLM refit's hot loop).
     */
    static double[] cholesky(double[] a, int n) {
        return choleskyFrom(a, n, new double[n * n], 0);
    }

    /**
     * Completes a Cholesky factor whose columns before {@code first} are already in {@code l} (the
     * same values a full factorisation gives them: a factor of a matrix that shares a's leading
     * rows and columns, e.g. before one later row and column were deleted); null when a is not
     * positive definite.
     */
    static double[] choleskyFrom(double[] a, int n, double[] l, int first) {
        for (int j = first; j < n; j++) {
            int rj = j * n;
            double d = a[rj + j];
            for (int k = 0; k < j; k++) d -= l[rj + k] * l[rj + k];
            if (!(d > 0)) return null;
            double diagonal = Math.sqrt(d);
            l[rj + j] = diagonal;
            int i = j + 1;
            for (; i + 3 < n; i += 4) {
                int r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
                double s0 = a[r0 + j], s1 = a[r1 + j], s2 = a[r2 + j], s3 = a[r3 + j];
                for (int k = 0; k < j; k++) {
                    double ljk = l[rj + k];
                    s0 -= l[r0 + k] * ljk;
                    s1 -= l[r1 + k] * ljk;
                    s2 -= l[r2 + k] * ljk;
                    s3 -= l[r3 + k] * ljk;
                }
                l[r0 + j] = s0 / diagonal;
                l[r1 + j] = s1 / diagonal;
                l[r2 + j] = s2 / diagonal;
                l[r3 + j] = s3 / diagonal;
            }
            for (; i < n; i++) {
                int ri = i * n;
                double s = a[ri + j];
                for (int k = 0; k < j; k++) s -= l[ri + k] * l[rj + k];
                l[ri + j] = s / diagonal;
            }
        }
        return l;
    }

    /** Solves a x = b for SPD a; null when a is not positive definite. */
    static double[] solve(double[] a, double[] b, int n) {
        double[] l = cholesky(a, n);
        return l == null ? null : substitute(l, b, n);
    }

    /** Solves L Lᵀ x = b for a lower Cholesky factor L. */
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
