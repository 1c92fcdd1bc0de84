package org.ternary4j.ptq.calibrate;

import java.util.Arrays;

/**
 * Least squares G s = b with s ≥ 0 by pinning the most negative unknown to zero until none is
 * negative (never freeing one again), with the exact arithmetic of refactorising every reduced
 * system: each solution's bits are those of the Cholesky factor of its own system.
 *
 * <p>Only the signs and the order of the intermediate solutions steer the pinning, so they are
 * followed on a cheap factor instead: deleting an unknown from a Cholesky factor leaves the
 * columns before it and changes the block after it by a rank-one update, O(f²) where a new
 * factorisation costs O(f³). Its solutions differ from the exact ones by rounding, so a step
 * trusts one only when no entry lies within a generous bound of that rounding
 * ({@link #tolerance}) of zero and the most negative one leads the next by twice the bound;
 * otherwise that step is solved exactly. The solution returned is always the exact one of the final system, so the result is
 * the plain pinning loop's bit for bit whenever the trusted steps chose as it does.
 */
final class PinnedLeastSquares {
    /**
     * How far beyond its expected rounding error a tracked solution must keep from every decision's
     * boundary. The expected error is κ·ε relative to the largest entry, κ estimated by the squared
     * ratio of the factor's largest and smallest diagonal entries; on MiniLM's refits the tracked
     * solutions stayed within 3 κ·ε of the exact ones (κ up to 10⁵).
     */
    static final double SAFETY = 1e4;

    private final double[] g, b;
    private final int m;
    private final boolean[] free;
    private int[] idx;   // the free unknowns, ascending
    private double[] gs, bs;
    private int f;
    private double[] exact; // an exact factor of the current system's leading {@code exactColumns} columns (rows of U)
    private int exactColumns;
    private double[] tracked; // U = Lᵀ of the current system, updated through deletions
    private boolean trackedIsExact;

    private PinnedLeastSquares(double[] g, double[] b, int m) {
        this.g = g;
        this.b = b;
        this.m = m;
        free = new boolean[m];
        for (int u = 0; u < m; u++) free[u] = g[u * m + u] > 0;
    }

    /** s ≥ 0 (length m); reads g's lower triangle. */
    static double[] solve(double[] g, double[] b, int m) {
        return new PinnedLeastSquares(g, b, m).run();
    }

    private double[] run() {
        gather();
        if (f == 0) return new double[m];
        exact = Linalg.upper(gs, f);
        if (exact == null) return plain();
        exactColumns = f;
        tracked = exact.clone();
        trackedIsExact = true;
        while (true) {
            double[] x = Linalg.substitute(tracked, bs, f);
            int worst = trackedIsExact ? worst(x) : trustedWorst(x, tolerance());
            if (worst == UNSURE || worst < 0) { // the exact solution decides
                if (!trackedIsExact) {
                    exact = Linalg.upperFrom(gs, f, exact, exactColumns);
                    if (exact == null) return plain();
                    exactColumns = f;
                    x = Linalg.substitute(exact, bs, f);
                    tracked = exact.clone();
                    trackedIsExact = true;
                    worst = worst(x);
                }
                if (worst < 0) return scatter(x);
            }
            pin(worst);
            if (f == 0) return new double[m];
        }
    }

    private static final int UNSURE = -2;

    /** The most negative entry (first of equals), −1 when none is negative. */
    private static int worst(double[] x) {
        int worst = -1;
        for (int a = 0; a < x.length; a++) if (x[a] < 0 && (worst < 0 || x[a] < x[worst])) worst = a;
        return worst;
    }

    /** The tracked solution's error bound relative to its largest entry: {@link #SAFETY}·κ·ε, at least 10⁻¹². */
    private double tolerance() {
        double largest = 0, smallest = Double.MAX_VALUE;
        for (int a = 0; a < f; a++) {
            largest = Math.max(largest, tracked[a * f + a]);
            smallest = Math.min(smallest, tracked[a * f + a]);
        }
        double kappa = (largest / smallest) * (largest / smallest);
        return Math.max(1e-12, SAFETY * kappa * Math.ulp(1.0));
    }

    /** {@link #worst} when the tracked solution decides it beyond doubt, else {@link #UNSURE}. */
    private static int trustedWorst(double[] x, double relative) {
        double largest = 0;
        for (double v : x) largest = Math.max(largest, Math.abs(v));
        double tolerance = relative * largest;
        int worst = -1, second = -1;
        for (int a = 0; a < x.length; a++) {
            if (!(Math.abs(x[a]) > tolerance)) return UNSURE; // near zero (or not a number)
            if (x[a] < 0) {
                if (worst < 0 || x[a] < x[worst]) {
                    second = worst;
                    worst = a;
                } else if (second < 0 || x[a] < x[second]) {
                    second = a;
                }
            }
        }
        if (!(tolerance < largest) || second >= 0 && !(x[second] - x[worst] > 2 * tolerance)) return UNSURE;
        return worst;
    }

    /** Pins the free unknown at position p: both factors lose it, the tracked one by a rank-one update. */
    private void pin(int p) {
        free[idx[p]] = false;
        int n = f - 1;
        exactColumns = Math.min(exactColumns, p);
        exact = deleted(exact, f, exactColumns, p);
        double[] t = deleted(tracked, f, p, p);
        // The block after p: L₃₃' L₃₃'ᵀ = L₃₃ L₃₃ᵀ + l lᵀ with l = L's column p below the diagonal.
        double[] l = new double[n];
        for (int i = p; i < n; i++) l[i] = tracked[p * f + i + 1];
        for (int c = p; c < n; c++) System.arraycopy(tracked, (c + 1) * f + c + 1, t, c * n + c, n - c);
        rankOneUpdate(t, n, p, l);
        tracked = t;
        trackedIsExact = false;
        gather();
    }

    /** The first {@code columns} rows of U (L's columns) without entry p, as a factor of size f − 1. */
    private static double[] deleted(double[] u, int f, int columns, int p) {
        int n = f - 1;
        double[] out = new double[n * n];
        for (int c = 0; c < columns; c++) {
            System.arraycopy(u, c * f + c, out, c * n + c, p - c);
            System.arraycopy(u, c * f + p + 1, out, c * n + p, n - p);
        }
        return out;
    }

    /** L L ᵀ + x xᵀ on the block from {@code from} on (rows of U are L's columns), by rotations. */
    private static void rankOneUpdate(double[] u, int n, int from, double[] x) {
        for (int k = from; k < n; k++) {
            int rk = k * n;
            double lkk = u[rk + k], r = Math.hypot(lkk, x[k]);
            double c = r / lkk, s = x[k] / lkk;
            u[rk + k] = r;
            for (int i = k + 1; i < n; i++) {
                double lik = (u[rk + i] + s * x[i]) / c;
                u[rk + i] = lik;
                x[i] = c * x[i] - s * lik;
            }
        }
    }

    /** idx, gs and bs of the free unknowns. */
    private void gather() {
        idx = java.util.stream.IntStream.range(0, m).filter(u -> free[u]).toArray();
        f = idx.length;
        gs = new double[f * f];
        bs = new double[f];
        for (int a = 0; a < f; a++) {
            bs[a] = b[idx[a]];
            for (int c = 0; c <= a; c++) gs[a * f + c] = g[idx[a] * m + idx[c]];
        }
    }

    private double[] scatter(double[] x) {
        double[] s = new double[m];
        for (int a = 0; a < f; a++) s[idx[a]] = x[a];
        return s;
    }

    /**
     * The plain loop from the current free set on: each system factorised exactly (reusing the
     * columns before the last pinned unknown), a tiny ridge where codes are linearly dependent under H.
     */
    private double[] plain() {
        double[] previous = null;
        int pinned = 0;
        while (true) {
            gather();
            if (f == 0) return new double[m];
            double trace = 0;
            for (int a = 0; a < f; a++) trace += gs[a * f + a];
            double[] l = new double[f * f];
            int first = 0;
            if (previous != null) {
                first = pinned;
                for (int c = 0; c < pinned; c++) {
                    System.arraycopy(previous, c * (f + 1) + c, l, c * f + c, pinned - c);
                    System.arraycopy(previous, c * (f + 1) + pinned + 1, l, c * f + pinned, f - pinned);
                }
            }
            l = Linalg.upperFrom(gs, f, l, first);
            double[] x = l == null ? null : Linalg.substitute(l, bs, f);
            if (x == null) {
                for (int a = 0; a < f; a++) gs[a * f + a] += 1e-9 * trace / f;
                x = Linalg.solve(gs, bs, f);
                if (x == null) return new double[m];
                l = null; // the ridged system's factor is not the next system's
            }
            int worst = worst(x);
            if (worst < 0) return scatter(x);
            free[idx[worst]] = false;
            previous = l;
            pinned = worst;
        }
    }
}
