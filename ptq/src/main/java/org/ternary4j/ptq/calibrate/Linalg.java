package org.ternary4j.ptq.calibrate;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The dense symmetric-positive-definite algebra the solvers need (n is at most a few thousand).
 *
 * <p>Factors are kept as the upper factor U = Lᵀ, row-major (u[k·n + i] = L[i][k]): column k of L
 * is then contiguous, so the Cholesky loop can work on many rows of one column at once with vector
 * lanes. Every entry is still its own chain of subtractions in ascending k (the textbook row-by-row
 * loop's bits, which the tests check); the lanes only run several chains side by side, each a
 * multiply then a subtract, never a fused multiply-add.
 */
final class Linalg {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private Linalg() {}

    /** Lower Cholesky factor of the SPD matrix a (n×n, row-major), row-major; null when a is not positive definite. */
    static double[] cholesky(double[] a, int n) {
        double[] u = upper(a, n);
        return u == null ? null : transpose(u, n);
    }

    /** U = Lᵀ (row-major) for the SPD matrix a, reading a's lower triangle; null when a is not positive definite. */
    static double[] upper(double[] a, int n) {
        return upperFrom(a, n, new double[n * n], 0);
    }

    /**
     * Completes an upper factor whose rows before {@code first} (L's columns) are already in
     * {@code u} (the values a full factorisation gives them: a factor of a matrix that shares a's
     * leading rows and columns, e.g. before one later row and column were deleted); null when a is
     * not positive definite. Reads a's lower triangle only.
     */
    static double[] upperFrom(double[] a, int n, double[] u, int first) {
        for (int j = first; j < n; j++) {
            int rj = j * n;
            double d = a[rj + j];
            for (int k = 0; k < j; k++) d -= u[k * n + j] * u[k * n + j];
            if (!(d > 0)) return null;
            double diagonal = Math.sqrt(d);
            u[rj + j] = diagonal;
            for (int i = j + 1; i < n; i++) u[rj + i] = a[i * n + j];
            int i = j + 1;
            // Four vectors of rows of column j at once: each lane is one entry's chain over k.
            for (; i + 4 * LANES <= n; i += 4 * LANES) {
                DoubleVector s0 = DoubleVector.fromArray(SPECIES, u, rj + i), s1 = DoubleVector.fromArray(SPECIES, u, rj + i + LANES);
                DoubleVector s2 = DoubleVector.fromArray(SPECIES, u, rj + i + 2 * LANES), s3 = DoubleVector.fromArray(SPECIES, u, rj + i + 3 * LANES);
                for (int k = 0, rk = 0; k < j; k++, rk += n) {
                    DoubleVector ljk = DoubleVector.broadcast(SPECIES, u[rk + j]);
                    s0 = s0.sub(DoubleVector.fromArray(SPECIES, u, rk + i).mul(ljk));
                    s1 = s1.sub(DoubleVector.fromArray(SPECIES, u, rk + i + LANES).mul(ljk));
                    s2 = s2.sub(DoubleVector.fromArray(SPECIES, u, rk + i + 2 * LANES).mul(ljk));
                    s3 = s3.sub(DoubleVector.fromArray(SPECIES, u, rk + i + 3 * LANES).mul(ljk));
                }
                s0.div(diagonal).intoArray(u, rj + i);
                s1.div(diagonal).intoArray(u, rj + i + LANES);
                s2.div(diagonal).intoArray(u, rj + i + 2 * LANES);
                s3.div(diagonal).intoArray(u, rj + i + 3 * LANES);
            }
            for (; i + LANES <= n; i += LANES) {
                DoubleVector s = DoubleVector.fromArray(SPECIES, u, rj + i);
                for (int k = 0, rk = 0; k < j; k++, rk += n) {
                    s = s.sub(DoubleVector.fromArray(SPECIES, u, rk + i).mul(u[rk + j]));
                }
                s.div(diagonal).intoArray(u, rj + i);
            }
            for (; i < n; i++) {
                double s = u[rj + i];
                for (int k = 0, rk = 0; k < j; k++, rk += n) s -= u[rk + i] * u[rk + j];
                u[rj + i] = s / diagonal;
            }
        }
        return u;
    }

    /** Solves a x = b for SPD a; null when a is not positive definite. */
    static double[] solve(double[] a, double[] b, int n) {
        double[] u = upper(a, n);
        return u == null ? null : substitute(u, b, n);
    }

    /**
     * Solves L Lᵀ x = b for an upper factor U = Lᵀ. The forward pass subtracts column by column,
     * which gives each y[i] the row-by-row loop's chain b[i] − L[i][0]·y[0] − L[i][1]·y[1] − …
     */
    static double[] substitute(double[] u, double[] b, int n) {
        double[] y = b.clone();
        for (int k = 0; k < n; k++) {
            int rk = k * n;
            double yk = y[k] / u[rk + k];
            y[k] = yk;
            int i = k + 1;
            for (; i + LANES <= n; i += LANES) {
                DoubleVector.fromArray(SPECIES, y, i).sub(DoubleVector.fromArray(SPECIES, u, rk + i).mul(yk)).intoArray(y, i);
            }
            for (; i < n; i++) y[i] -= u[rk + i] * yk;
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            int ri = i * n;
            double s = y[i];
            for (int k = i + 1; k < n; k++) s -= u[ri + k] * x[k];
            x[i] = s / u[ri + i];
        }
        return x;
    }

    /** The inverse of an SPD matrix; null when it is not positive definite. */
    static double[] inverse(double[] a, int n) {
        double[] u = upper(a, n);
        if (u == null) return null;
        // R = L⁻¹ (row-major) by forward substitution, column by column of R: each R[i][c] is the
        // chain δ_ic − L[i][c]·R[c][c] − L[i][c+1]·R[c+1][c] − … over ascending k, then / L[i][i].
        double[] r = new double[n * n];
        double[] s = new double[n];
        for (int c = 0; c < n; c++) {
            java.util.Arrays.fill(s, c, n, 0);
            s[c] = 1;
            for (int k = c; k < n; k++) {
                int rk = k * n;
                double t = s[k] / u[rk + k];
                r[rk + c] = t;
                int i = k + 1;
                for (; i + LANES <= n; i += LANES) {
                    DoubleVector.fromArray(SPECIES, s, i).sub(DoubleVector.fromArray(SPECIES, u, rk + i).mul(t)).intoArray(s, i);
                }
                for (; i < n; i++) s[i] -= u[rk + i] * t;
            }
        }
        // A⁻¹ = L⁻ᵀL⁻¹: inv[i][j] = Σ_{k ≥ i} R[k][i]·R[k][j] for j ≤ i, in ascending k from 0, lanes over j.
        double[] inv = new double[n * n];
        double[] row = new double[n];
        for (int i = 0; i < n; i++) {
            int width = i + 1;
            java.util.Arrays.fill(row, 0, width, 0);
            for (int k = i; k < n; k++) {
                int rk = k * n;
                double rki = r[rk + i];
                int j = 0;
                for (; j + LANES <= width; j += LANES) {
                    DoubleVector.fromArray(SPECIES, row, j).add(DoubleVector.fromArray(SPECIES, r, rk + j).mul(rki)).intoArray(row, j);
                }
                for (; j < width; j++) row[j] += rki * r[rk + j];
            }
            for (int j = 0; j < width; j++) {
                inv[i * n + j] = row[j];
                inv[j * n + i] = row[j];
            }
        }
        return inv;
    }

    /** The transpose of an n×n matrix. */
    static double[] transpose(double[] a, int n) {
        double[] t = new double[n * n];
        for (int i0 = 0; i0 < n; i0 += 64) {
            for (int j0 = 0; j0 < n; j0 += 64) {
                for (int i = i0; i < Math.min(n, i0 + 64); i++) {
                    for (int j = j0; j < Math.min(n, j0 + 64); j++) t[j * n + i] = a[i * n + j];
                }
            }
        }
        return t;
    }

    /**
     * out_b[i] = Σ_j M[i][j]·x_b[j] for a few vectors x_b at once, from {@code mt} = Mᵀ (row-major):
     * each sum starts at 0 and adds its terms in ascending j (a row-by-row loop's bits), lanes over
     * i, each row of Mᵀ read once for all the vectors (M is often far larger than the caches).
     */
    static void products(double[] mt, double[][] x, double[][] out, int n) {
        int count = x.length;
        for (double[] o : out) java.util.Arrays.fill(o, 0, n, 0);
        for (int j = 0; j < n; j++) {
            int row = j * n, i = 0;
            for (; i + LANES <= n; i += LANES) {
                DoubleVector m = DoubleVector.fromArray(SPECIES, mt, row + i);
                for (int b = 0; b < count; b++) {
                    DoubleVector.fromArray(SPECIES, out[b], i).add(m.mul(x[b][j])).intoArray(out[b], i);
                }
            }
            for (; i < n; i++) for (int b = 0; b < count; b++) out[b][i] += mt[row + i] * x[b][j];
        }
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
