package org.ternary4j.ptq.calibrate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Output-error-aware scales: with the codes fixed, the scales that minimise
 * Σ_rows (w − q)ᵀ H (w − q) solve a small linear least-squares problem (the normal equations
 * G s = b, G_kl = Σ c_kᵀ H c_l, b_k = Σ c_kᵀ H w, one unknown per group and sign). Scales must stay
 * ≥ 0: a negative solution is pinned to zero (its codes become 0) and the rest solved again.
 * Groups inside one row are solved row by row; groupings spanning rows form one system.
 */
public final class ScaleRefit {
    /** Past this many unknowns in one system the refit is skipped (the scales are kept). */
    static final int MAX_UNKNOWNS = 4096;

    private ScaleRefit() {}

    /** Refits pos/neg (neg null for one scale) in place; may zero codes whose scale is pinned to 0. */
    public static void refit(LayerProblem p, byte[] codes, float[] pos, float[] neg) {
        int[] groupOf = p.groupOf();
        int unknownsPerGroup = neg == null ? 1 : 2;
        if (p.rowLocal()) {
            // Each row is a problem of its own (its groups lie inside it, and it writes only its own codes and
            // scales), so rows are solved beside one another, each exactly as alone: the same bits for any
            // number of threads. The common pool lets a caller that is itself a pool task take part instead of waiting.
            java.util.stream.IntStream.range(0, p.rows()).parallel().forEach(r -> solve(p, new int[] {r}, groupOf, codes, pos, neg));
        } else if ((long) p.layout().groupCount() * unknownsPerGroup <= MAX_UNKNOWNS) {
            int[] all = new int[p.rows()];
            for (int r = 0; r < all.length; r++) all[r] = r;
            solve(p, all, groupOf, codes, pos, neg);
        }
    }

    /** Unknown index of an element's code: group (one scale), or 2·group + (code < 0) (two scales). */
    private static int unknown(byte code, int g, boolean two) {
        return two ? 2 * g + (code < 0 ? 1 : 0) : g;
    }

    private static void solve(LayerProblem p, int[] rows, int[] groupOf, byte[] codes, float[] pos, float[] neg) {
        int k = p.k();
        boolean two = neg != null;
        // The unknowns these rows touch, in increasing order (deterministic).
        int[] ids = Arrays.stream(rows).flatMap(r -> java.util.stream.IntStream.range(r * k, r * k + k))
                .filter(q -> codes[q] != 0).map(q -> unknown(codes[q], groupOf[q], two)).distinct().sorted().toArray();
        if (ids.length == 0) return;
        int m = ids.length;
        double[] g = new double[m * m], b = new double[m];
        double[][] c = new double[m][k];
        double[][] hc = new double[m][];
        double[] hw = new double[k], wr = new double[k];
        // Each c_u is nonzero only on its group's codes: the products below visit those entries
        // alone, in increasing index order as a full dot product would (the same sums to the bit),
        // which makes the refit of small groups (block:16: 96 unknowns per row of 1536) affordable.
        int[][] support = new int[m][];
        int[] count = new int[m];
        for (int u = 0; u < m; u++) hc[u] = new double[k];
        for (int r : rows) {
            for (double[] v : c) Arrays.fill(v, 0);
            Arrays.fill(count, 0);
            int[] at = new int[k];
            for (int j = 0; j < k; j++) {
                int q = r * k + j;
                wr[j] = p.w()[q];
                at[j] = -1;
                if (codes[q] == 0) continue;
                int u = Arrays.binarySearch(ids, unknown(codes[q], groupOf[q], two));
                c[u][j] = two ? (codes[q] > 0 ? 1 : -1) : codes[q];
                at[j] = u;
                count[u]++;
            }
            for (int u = 0; u < m; u++) support[u] = new int[count[u]];
            Arrays.fill(count, 0);
            for (int j = 0; j < k; j++) if (at[j] >= 0) support[at[j]][count[at[j]]++] = j;
            mul(p.h(), wr, hw, k);
            for (int u = 0; u < m; u++) mul(p.h(), c[u], hc[u], k);
            for (int u = 0; u < m; u++) {
                b[u] += dot(c[u], hw, support[u]);
                for (int v = 0; v < m; v++) g[u * m + v] += dot(c[u], hc[v], support[u]);
            }
        }
        double[] s = nonNegative(g, b, m);
        for (int u = 0; u < m; u++) {
            int grp = two ? ids[u] / 2 : ids[u];
            boolean negative = two && ids[u] % 2 == 1;
            if (negative) neg[grp] = (float) s[u];
            else pos[grp] = (float) s[u];
            if (s[u] == 0) {
                for (int r : rows) {
                    for (int j = 0; j < k; j++) {
                        int q = r * k + j;
                        if (codes[q] != 0 && unknown(codes[q], groupOf[q], two) == ids[u]) codes[q] = 0;
                    }
                }
            }
        }
    }

    /**
     * Least squares with s ≥ 0 by pinning the most negative unknown to zero until none is negative.
     * Pinning deletes one row and column of the system: the factor's columns before it are those
     * of the last factorisation, so only the columns from it on are computed again (the same bits).
     */
    static double[] nonNegative(double[] g, double[] b, int m) {
        boolean[] free = new boolean[m];
        for (int u = 0; u < m; u++) free[u] = g[u * m + u] > 0;
        double[] s = new double[m];
        double[] previous = null;
        int previousSize = 0, pinned = 0;
        while (true) {
            List<Integer> idx = new ArrayList<>();
            for (int u = 0; u < m; u++) if (free[u]) idx.add(u);
            Arrays.fill(s, 0);
            if (idx.isEmpty()) return s;
            int f = idx.size();
            double[] gs = new double[f * f], bs = new double[f];
            double trace = 0;
            for (int a = 0; a < f; a++) {
                bs[a] = b[idx.get(a)];
                for (int c = 0; c < f; c++) gs[a * f + c] = g[idx.get(a) * m + idx.get(c)];
                trace += gs[a * f + a];
            }
            double[] l = new double[f * f];
            int first = 0;
            if (previous != null) {
                first = pinned;
                for (int i = 0; i < f; i++) {
                    int from = i < pinned ? i : i + 1;
                    System.arraycopy(previous, from * previousSize, l, i * f, Math.min(i + 1, pinned));
                }
            }
            l = Linalg.choleskyFrom(gs, f, l, first);
            double[] x = l == null ? null : Linalg.substitute(l, bs, f);
            if (x == null) { // codes that are linearly dependent under H: a tiny ridge makes it solvable
                for (int a = 0; a < f; a++) gs[a * f + a] += 1e-9 * trace / f;
                x = Linalg.solve(gs, bs, f);
                if (x == null) return s;
                l = null; // the ridged system's factor is not the next system's
            }
            int worst = -1;
            for (int a = 0; a < f; a++) if (x[a] < 0 && (worst < 0 || x[a] < x[worst])) worst = a;
            if (worst < 0) {
                for (int a = 0; a < f; a++) s[idx.get(a)] = x[a];
                return s;
            }
            free[idx.get(worst)] = false;
            previous = l;
            previousSize = f;
            pinned = worst;
        }
    }

    private static void mul(double[] h, double[] x, double[] out, int k) {
        Arrays.fill(out, 0);
        for (int j = 0; j < k; j++) {
            double xj = x[j];
            if (xj == 0) continue;
            for (int i = 0; i < k; i++) out[i] += h[j * k + i] * xj; // H is symmetric: walk row j
        }
    }

    /** Σ a[i]·b[i] over the indices where a is nonzero (increasing). */
    private static double dot(double[] a, double[] b, int[] nonzero) {
        double s = 0;
        for (int i : nonzero) s += a[i] * b[i];
        return s;
    }
}
