package org.ternary4j.ptq.calibrate;

import java.util.Arrays;
import java.util.Random;
import org.ternary4j.core.grouping.Grouping;

/**
 * The solver's arithmetic as plain loops over dense rows and columns, every sum in ascending
 * order: the oracles the vectorised, parallel, sparsity-aware solvers must equal bit for bit.
 */
final class Textbook {
    private Textbook() {}

    /**
     * A rows × k layer of Gaussian weights over a centered Gram matrix of 3k random inputs: the
     * Gram the solver gets with bias correction on, whose mirrored entries may differ in the last bit.
     */
    static LayerProblem layer(Random rnd, int rows, int k, Grouping grouping, boolean twoScales) {
        InputStats stats = new InputStats(k);
        float[] x = new float[k];
        for (int s = 0; s < 3 * k; s++) {
            for (int j = 0; j < k; j++) x[j] = j == k - 1 ? 0f : (float) (rnd.nextGaussian() + 0.3 * Math.sin(j + s));
            stats.add(x, 0);
        }
        return new LayerProblem(SolverOraclesTest.randomWeights(rnd, rows * k), rows, k, stats.centeredGram(),
                grouping.layout(new int[] {rows, k}), twoScales);
    }

    /** Ternary codes from the weights' signs, a share of them zero. */
    static byte[] codes(LayerProblem p, Random rnd) {
        byte[] c = new byte[p.w().length];
        for (int i = 0; i < c.length; i++) c[i] = rnd.nextInt(3) == 0 ? 0 : (byte) Math.signum(p.w()[i]);
        return c;
    }

    /** Lower Cholesky factor, row by row; null when not positive definite. */
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

    /** Σ_rows (w − q)ᵀ H (w − q), H read along its rows. */
    static double outputError(LayerProblem p, byte[] codes, float[] pos, float[] neg) {
        int k = p.k();
        int[] groupOf = p.groupOf();
        double total = 0;
        double[] e = new double[k];
        for (int r = 0; r < p.rows(); r++) {
            for (int j = 0; j < k; j++) e[j] = p.w()[r * k + j] - LayerProblem.value(codes[r * k + j], groupOf[r * k + j], pos, neg);
            total += Linalg.quadratic(p.h(), e, e, k);
        }
        return total;
    }

    /** Coordinate descent row after row, the gradient kept with H's columns. */
    static int descent(LayerProblem p, byte[] codes, float[] pos, float[] neg, int maxSweeps) {
        int k = p.k();
        double[] h = p.h();
        int[] groupOf = p.groupOf();
        double[] e = new double[k], g = new double[k];
        int changed = 0;
        for (int r = 0; r < p.rows(); r++) {
            int base = r * k;
            for (int j = 0; j < k; j++) e[j] = LayerProblem.value(codes[base + j], groupOf[base + j], pos, neg) - p.w()[base + j];
            for (int i = 0; i < k; i++) {
                double s = 0;
                for (int j = 0; j < k; j++) s += h[i * k + j] * e[j];
                g[i] = s;
            }
            for (int sweep = 0; sweep < maxSweeps; sweep++) {
                int moves = 0;
                for (int j = 0; j < k; j++) {
                    int q = base + j;
                    double current = LayerProblem.value(codes[q], groupOf[q], pos, neg);
                    byte best = codes[q];
                    double bestDelta = 0, bestGain = 0;
                    for (byte c = -1; c <= 1; c++) {
                        if (c == codes[q]) continue;
                        double d = LayerProblem.value(c, groupOf[q], pos, neg) - current;
                        if (d == 0) continue;
                        double gain = 2 * d * g[j] + d * d * h[j * k + j];
                        if (gain < bestGain - 1e-12 * Math.abs(bestGain)) {
                            bestGain = gain;
                            best = c;
                            bestDelta = d;
                        }
                    }
                    if (best != codes[q]) {
                        codes[q] = best;
                        for (int i = 0; i < k; i++) g[i] += h[i * k + j] * bestDelta;
                        moves++;
                    }
                }
                changed += moves;
                if (moves == 0) break;
            }
        }
        return changed;
    }

    /** GPTQ in natural order with U = Lᵀ of the dampened inverse, row after row. */
    static byte[] gptq(LayerProblem p, float[] pos, float[] neg) {
        int k = p.k();
        double[] u = upperFactorOfInverse(p.h(), k);
        int[] groupOf = p.groupOf();
        byte[] codes = new byte[p.w().length];
        double[] w = new double[k];
        for (int r = 0; r < p.rows(); r++) {
            for (int j = 0; j < k; j++) w[j] = p.w()[r * k + j];
            for (int j = 0; j < k; j++) {
                int q = r * k + j;
                int g = groupOf[q];
                double ap = pos[g], an = neg == null ? pos[g] : neg[g];
                byte c = w[j] > 0 ? (ap > 0 && w[j] > ap / 2 ? (byte) 1 : 0) : (an > 0 && -w[j] > an / 2 ? (byte) -1 : 0);
                codes[q] = c;
                double err = (w[j] - LayerProblem.value(c, g, pos, neg)) / u[j * k + j];
                for (int t = j + 1; t < k; t++) w[t] -= err * u[j * k + t];
            }
        }
        return codes;
    }

    private static double[] upperFactorOfInverse(double[] h, int k) {
        double[] d = h.clone();
        double mean = 0;
        for (int j = 0; j < k; j++) mean += d[j * k + j];
        mean /= k;
        if (!(mean > 0)) mean = 1;
        for (int j = 0; j < k; j++) {
            if (d[j * k + j] == 0) {
                for (int i = 0; i < k; i++) {
                    d[j * k + i] = 0;
                    d[i * k + j] = 0;
                }
                d[j * k + j] = 1;
            }
            d[j * k + j] += TernaryGptq.DAMP * mean;
        }
        double[] lower = cholesky(LinalgTest.textbookInverse(d, k), k);
        double[] u = new double[k * k];
        for (int i = 0; i < k; i++) for (int j = i; j < k; j++) u[i * k + j] = lower[j * k + i];
        return u;
    }

    /**
     * The scale refit with dense normal equations: c_u as full vectors, H c_u by full products over
     * H's rows, G and b as full dot products; then {@link ScaleRefitTest}'s textbook pinning.
     */
    static void refit(LayerProblem p, byte[] codes, float[] pos, float[] neg) {
        int k = p.k();
        boolean two = neg != null;
        int[] groupOf = p.groupOf();
        int[][] systems;
        if (p.rowLocal()) {
            systems = new int[p.rows()][];
            for (int r = 0; r < p.rows(); r++) systems[r] = new int[] {r};
        } else {
            systems = new int[][] {java.util.stream.IntStream.range(0, p.rows()).toArray()};
        }
        for (int[] rows : systems) {
            int[] ids = Arrays.stream(rows).flatMap(r -> java.util.stream.IntStream.range(r * k, r * k + k))
                    .filter(q -> codes[q] != 0).map(q -> unknown(codes[q], groupOf[q], two)).distinct().sorted().toArray();
            if (ids.length == 0) continue;
            int m = ids.length;
            double[] g = new double[m * m], b = new double[m];
            for (int r : rows) {
                double[][] c = new double[m][k];
                double[] wr = new double[k];
                for (int j = 0; j < k; j++) {
                    int q = r * k + j;
                    wr[j] = p.w()[q];
                    if (codes[q] != 0) c[Arrays.binarySearch(ids, unknown(codes[q], groupOf[q], two))][j] = two ? (codes[q] > 0 ? 1 : -1) : codes[q];
                }
                double[] hw = rowsTimes(p.h(), wr, k);
                for (int u = 0; u < m; u++) {
                    b[u] += nonzeroDot(c[u], hw);
                    for (int v = 0; v < m; v++) g[u * m + v] += nonzeroDot(c[u], rowsTimes(p.h(), c[v], k));
                }
            }
            double[] s = ScaleRefitTest.refactorising(g, b, m);
            for (int u = 0; u < m; u++) {
                if (two && ids[u] % 2 == 1) neg[ids[u] / 2] = (float) s[u];
                else pos[two ? ids[u] / 2 : ids[u]] = (float) s[u];
            }
            for (int r : rows) {
                for (int q = r * k; q < r * k + k; q++) {
                    if (codes[q] != 0 && s[Arrays.binarySearch(ids, unknown(codes[q], groupOf[q], two))] == 0) codes[q] = 0;
                }
            }
        }
    }

    private static int unknown(byte code, int g, boolean two) {
        return two ? 2 * g + (code < 0 ? 1 : 0) : g;
    }

    /** out[i] = Σ_j H[j][i]·x[j] over the nonzero x[j], ascending j. */
    private static double[] rowsTimes(double[] h, double[] x, int k) {
        double[] out = new double[k];
        for (int j = 0; j < k; j++) {
            if (x[j] == 0) continue;
            for (int i = 0; i < k; i++) out[i] += h[j * k + i] * x[j];
        }
        return out;
    }

    /** Σ a[i]·b[i] over the nonzero a[i], ascending i. */
    private static double nonzeroDot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) if (a[i] != 0) s += a[i] * b[i];
        return s;
    }
}
