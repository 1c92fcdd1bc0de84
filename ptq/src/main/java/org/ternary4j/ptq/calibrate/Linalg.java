package org.ternary4j.ptq.calibrate;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The dense symmetric-positive-definite algebra the solvers need (n is at most a few thousand).
 *
 * <p>Factors are kept as the upper factor U = Lᵀ, row-major (u[k·n + i] = L[i][k]): column k of L
 * is then contiguous, so the Cholesky loop can work on many rows of one column (two columns at a
 * time) with vector lanes. Every entry is still its own chain of subtractions in ascending k (the
 * textbook row-by-row loop's bits, which the tests check); the lanes only run several chains side
 * by side, each a multiply then a subtract, never a fused multiply-add.
 */
final class Linalg {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private Linalg() {}

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
        int j = first;
        // Two columns at a time share every read of the columns before them (the factor is larger than the caches).
        for (; j + 1 < n; j += 2) if (!pair(a, n, u, j)) return null;
        return j < n && !single(a, n, u, j) ? null : u;
    }

    /** Column j of L; false when a is not positive definite there. */
    private static boolean single(double[] a, int n, double[] u, int j) {
        int rj = j * n;
        double d = a[rj + j];
        for (int k = 0; k < j; k++) d -= u[k * n + j] * u[k * n + j];
        if (!(d > 0)) return false;
        double diagonal = Math.sqrt(d);
        u[rj + j] = diagonal;
        for (int i = j + 1; i < n; i++) {
            double s = a[i * n + j];
            for (int k = 0, rk = 0; k < j; k++, rk += n) s -= u[rk + i] * u[rk + j];
            u[rj + i] = s / diagonal;
        }
        return true;
    }

    /**
     * Columns j and j + 1 of L; false when a is not positive definite there. Entry (i, j + 1) takes
     * its last term, L[i][j]·L[j+1][j], once column j is done: its chain keeps the ascending order.
     */
    private static boolean pair(double[] a, int n, double[] u, int j) {
        int j1 = j + 1, rj = j * n, rj1 = rj + n;
        double d = a[rj + j];
        for (int k = 0; k < j; k++) d -= u[k * n + j] * u[k * n + j];
        if (!(d > 0)) return false;
        double dj = Math.sqrt(d);
        u[rj + j] = dj;
        double below = a[j1 * n + j];
        for (int k = 0; k < j; k++) below -= u[k * n + j1] * u[k * n + j];
        double l10 = below / dj;
        u[rj + j1] = l10;
        double d1 = a[j1 * n + j1];
        for (int k = 0; k < j; k++) d1 -= u[k * n + j1] * u[k * n + j1];
        d1 -= l10 * l10;
        if (!(d1 > 0)) return false;
        double dj1 = Math.sqrt(d1);
        u[rj1 + j1] = dj1;
        for (int i = j + 2; i < n; i++) { // a's columns j and j + 1, where the factor's rows j and j + 1 will be
            u[rj + i] = a[i * n + j];
            u[rj1 + i] = a[i * n + j1];
        }
        int i = j + 2;
        for (; i + 4 * LANES <= n; i += 4 * LANES) {
            DoubleVector s0 = DoubleVector.fromArray(SPECIES, u, rj + i), s1 = DoubleVector.fromArray(SPECIES, u, rj + i + LANES);
            DoubleVector s2 = DoubleVector.fromArray(SPECIES, u, rj + i + 2 * LANES), s3 = DoubleVector.fromArray(SPECIES, u, rj + i + 3 * LANES);
            DoubleVector t0 = DoubleVector.fromArray(SPECIES, u, rj1 + i), t1 = DoubleVector.fromArray(SPECIES, u, rj1 + i + LANES);
            DoubleVector t2 = DoubleVector.fromArray(SPECIES, u, rj1 + i + 2 * LANES), t3 = DoubleVector.fromArray(SPECIES, u, rj1 + i + 3 * LANES);
            for (int k = 0, rk = 0; k < j; k++, rk += n) {
                DoubleVector x0 = DoubleVector.fromArray(SPECIES, u, rk + i), x1 = DoubleVector.fromArray(SPECIES, u, rk + i + LANES);
                DoubleVector x2 = DoubleVector.fromArray(SPECIES, u, rk + i + 2 * LANES), x3 = DoubleVector.fromArray(SPECIES, u, rk + i + 3 * LANES);
                double lj = u[rk + j], lj1 = u[rk + j1];
                s0 = s0.sub(x0.mul(lj));
                s1 = s1.sub(x1.mul(lj));
                s2 = s2.sub(x2.mul(lj));
                s3 = s3.sub(x3.mul(lj));
                t0 = t0.sub(x0.mul(lj1));
                t1 = t1.sub(x1.mul(lj1));
                t2 = t2.sub(x2.mul(lj1));
                t3 = t3.sub(x3.mul(lj1));
            }
            s0 = s0.div(dj);
            s1 = s1.div(dj);
            s2 = s2.div(dj);
            s3 = s3.div(dj);
            s0.intoArray(u, rj + i);
            s1.intoArray(u, rj + i + LANES);
            s2.intoArray(u, rj + i + 2 * LANES);
            s3.intoArray(u, rj + i + 3 * LANES);
            t0.sub(s0.mul(l10)).div(dj1).intoArray(u, rj1 + i);
            t1.sub(s1.mul(l10)).div(dj1).intoArray(u, rj1 + i + LANES);
            t2.sub(s2.mul(l10)).div(dj1).intoArray(u, rj1 + i + 2 * LANES);
            t3.sub(s3.mul(l10)).div(dj1).intoArray(u, rj1 + i + 3 * LANES);
        }
        for (; i + LANES <= n; i += LANES) {
            DoubleVector s = DoubleVector.fromArray(SPECIES, u, rj + i), t = DoubleVector.fromArray(SPECIES, u, rj1 + i);
            for (int k = 0, rk = 0; k < j; k++, rk += n) {
                DoubleVector x = DoubleVector.fromArray(SPECIES, u, rk + i);
                s = s.sub(x.mul(u[rk + j]));
                t = t.sub(x.mul(u[rk + j1]));
            }
            s = s.div(dj);
            s.intoArray(u, rj + i);
            t.sub(s.mul(l10)).div(dj1).intoArray(u, rj1 + i);
        }
        for (; i < n; i++) {
            double s = u[rj + i], t = u[rj1 + i];
            for (int k = 0, rk = 0; k < j; k++, rk += n) {
                s -= u[rk + i] * u[rk + j];
                t -= u[rk + i] * u[rk + j1];
            }
            s /= dj;
            u[rj + i] = s;
            u[rj1 + i] = (t - s * l10) / dj1;
        }
        return true;
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
        for (int b0 = 0; b0 < x.length; b0 += 4) {
            int count = Math.min(4, x.length - b0);
            int i = 0;
            if (count == 4) {
                // Two vectors of lanes for four x at once stay in registers over all j.
                double[] x0 = x[b0], x1 = x[b0 + 1], x2 = x[b0 + 2], x3 = x[b0 + 3];
                for (; i + 2 * LANES <= n; i += 2 * LANES) {
                    DoubleVector a0 = DoubleVector.zero(SPECIES), a1 = a0, b0v = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
                    for (int j = 0, row = 0; j < n; j++, row += n) {
                        DoubleVector m0 = DoubleVector.fromArray(SPECIES, mt, row + i), m1 = DoubleVector.fromArray(SPECIES, mt, row + i + LANES);
                        a0 = a0.add(m0.mul(x0[j]));
                        a1 = a1.add(m1.mul(x0[j]));
                        b0v = b0v.add(m0.mul(x1[j]));
                        b1 = b1.add(m1.mul(x1[j]));
                        c0 = c0.add(m0.mul(x2[j]));
                        c1 = c1.add(m1.mul(x2[j]));
                        d0 = d0.add(m0.mul(x3[j]));
                        d1 = d1.add(m1.mul(x3[j]));
                    }
                    a0.intoArray(out[b0], i);
                    a1.intoArray(out[b0], i + LANES);
                    b0v.intoArray(out[b0 + 1], i);
                    b1.intoArray(out[b0 + 1], i + LANES);
                    c0.intoArray(out[b0 + 2], i);
                    c1.intoArray(out[b0 + 2], i + LANES);
                    d0.intoArray(out[b0 + 3], i);
                    d1.intoArray(out[b0 + 3], i + LANES);
                }
            }
            for (; i + LANES <= n; i += LANES) {
                for (int b = b0; b < b0 + count; b++) {
                    DoubleVector acc = DoubleVector.zero(SPECIES);
                    for (int j = 0, row = 0; j < n; j++, row += n) acc = acc.add(DoubleVector.fromArray(SPECIES, mt, row + i).mul(x[b][j]));
                    acc.intoArray(out[b], i);
                }
            }
            for (; i < n; i++) {
                for (int b = b0; b < b0 + count; b++) {
                    double acc = 0;
                    for (int j = 0; j < n; j++) acc += mt[j * n + i] * x[b][j];
                    out[b][i] = acc;
                }
            }
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
