package org.ternary4j.ptq.calibrate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

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
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

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
        RowSystem row = new RowSystem(k);
        for (int r : rows) {
            row.load(p, r, codes, groupOf, two, ids);
            row.addTo(g, b, m, p.h());
        }
        double[] s = nonNegative(g, b, m);
        for (int u = 0; u < m; u++) {
            int grp = two ? ids[u] / 2 : ids[u];
            boolean negative = two && ids[u] % 2 == 1;
            if (negative) neg[grp] = (float) s[u];
            else pos[grp] = (float) s[u];
        }
        for (int r : rows) {
            for (int q = r * k; q < r * k + k; q++) {
                if (codes[q] != 0 && s[Arrays.binarySearch(ids, unknown(codes[q], groupOf[q], two))] == 0) codes[q] = 0;
            }
        }
    }

    /**
     * One row's share of the normal equations: for the unknowns u, v it touches, G_uv += c_uᵀ H c_v and
     * b_u += c_uᵀ H w, where c_u is ±1 on u's codes. Each sum runs as the dense products it stands for
     * would (H c_v's entry i is Σ_j H[j][i]·c_v[j] over c_v's nonzeros j in ascending order, c_uᵀ of it
     * over u's nonzeros in ascending order), visiting nonzeros only and only at the inputs some
     * unknown uses; only G's lower triangle is formed, the only part the factorisation reads.
     */
    private static final class RowSystem {
        private final int k;
        private final double[] wr, hw, hcv;
        private final int[] at;      // the local unknown of each input, −1 for code 0
        private final double[] sign; // each input's ±1
        private int[] nonzero = new int[0], start = new int[1], members = new int[0], global = new int[0];
        private int count, unknowns;

        RowSystem(int k) {
            this.k = k;
            wr = new double[k];
            hw = new double[k];
            hcv = new double[k];
            at = new int[k];
            sign = new double[k];
        }

        /** The row's codes grouped by unknown; {@code ids} maps local unknowns to the system's. */
        void load(LayerProblem p, int r, byte[] codes, int[] groupOf, boolean two, int[] ids) {
            int base = r * k;
            int[] localOf = new int[k];
            int n = 0;
            int[] seen = new int[k];
            for (int j = 0; j < k; j++) {
                wr[j] = p.w()[base + j];
                int q = base + j;
                if (codes[q] == 0) {
                    at[j] = -1;
                    continue;
                }
                sign[j] = two ? (codes[q] > 0 ? 1 : -1) : codes[q];
                localOf[n] = Arrays.binarySearch(ids, unknown(codes[q], groupOf[q], two));
                seen[n++] = j;
            }
            count = n;
            nonzero = Arrays.copyOf(seen, n);
            // Local unknowns: the distinct system unknowns of this row, ascending.
            int[] sorted = Arrays.stream(localOf, 0, n).distinct().sorted().toArray();
            unknowns = sorted.length;
            global = sorted;
            start = new int[unknowns + 1];
            for (int i = 0; i < n; i++) start[Arrays.binarySearch(sorted, localOf[i]) + 1]++;
            for (int u = 0; u < unknowns; u++) start[u + 1] += start[u];
            members = new int[n];
            int[] fill = Arrays.copyOf(start, unknowns);
            for (int i = 0; i < n; i++) { // ascending inputs within each unknown
                int u = Arrays.binarySearch(sorted, localOf[i]);
                members[fill[u]++] = nonzero[i];
                at[nonzero[i]] = u;
            }
        }

        void addTo(double[] g, double[] b, int m, double[] h) {
            mulRows(h, wr, hw, k);
            for (int u = 0; u < unknowns; u++) {
                double s = 0;
                for (int t = start[u]; t < start[u + 1]; t++) s += sign[members[t]] * hw[members[t]];
                b[global[u]] += s;
            }
            for (int v = 0; v < unknowns; v++) {
                // H c_v at every input some unknown u ≥ v uses.
                for (int t = 0; t < count; t++) {
                    int i = nonzero[t];
                    if (at[i] < v) continue;
                    double o = 0;
                    for (int e = start[v]; e < start[v + 1]; e++) o += h[members[e] * k + i] * sign[members[e]];
                    hcv[i] = o;
                }
                int gv = global[v];
                for (int u = v; u < unknowns; u++) {
                    double s = 0;
                    for (int t = start[u]; t < start[u + 1]; t++) s += sign[members[t]] * hcv[members[t]];
                    g[global[u] * m + gv] += s;
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
            double[] l = new double[f * f]; // the upper factor U = Lᵀ: its rows are L's columns
            int first = 0;
            if (previous != null) {
                first = pinned;
                for (int c = 0; c < pinned; c++) {
                    System.arraycopy(previous, c * previousSize + c, l, c * f + c, pinned - c);
                    System.arraycopy(previous, c * previousSize + pinned + 1, l, c * f + pinned, f - pinned);
                }
            }
            l = Linalg.upperFrom(gs, f, l, first);
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

    /** out[i] = Σ_j H[j][i]·x[j] over the j with x[j] ≠ 0 in ascending order (H's rows, lanes over i). */
    private static void mulRows(double[] h, double[] x, double[] out, int k) {
        Arrays.fill(out, 0);
        for (int j = 0; j < k; j++) {
            double xj = x[j];
            if (xj == 0) continue;
            int row = j * k, i = 0;
            for (; i + LANES <= k; i += LANES) {
                DoubleVector.fromArray(SPECIES, out, i).add(DoubleVector.fromArray(SPECIES, h, row + i).mul(xj)).intoArray(out, i);
            }
            for (; i < k; i++) out[i] += h[row + i] * xj;
        }
    }
}
