package org.ternary4j.ptq.calibrate;

import java.util.Arrays;
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
        refit(p, weightProducts(p), codes, pos, neg);
    }

    /**
     * Every row's Σ_j H[j][i]·w[j] (rows × k, in ascending j): the same in every refit of one problem,
     * so a solver that refits several times computes it once ({@link #refit(LayerProblem, double[], byte[], float[], float[])}).
     */
    static double[] weightProducts(LayerProblem p) {
        int rows = p.rows(), k = p.k();
        double[] hw = new double[rows * k];
        // Blocks of rows share each pass over H (H is read as the transpose of Hᵀ: Linalg.products's M is Hᵀ).
        java.util.stream.IntStream.range(0, (rows + ROW_BLOCK - 1) / ROW_BLOCK).parallel().forEach(bl -> {
            int from = bl * ROW_BLOCK, count = Math.min(ROW_BLOCK, rows - from);
            double[][] w = new double[count][k], out = new double[count][k];
            for (int b = 0; b < count; b++) for (int j = 0; j < k; j++) w[b][j] = p.w()[(from + b) * k + j];
            Linalg.products(p.h(), w, out, k);
            for (int b = 0; b < count; b++) System.arraycopy(out[b], 0, hw, (from + b) * k, k);
        });
        return hw;
    }

    /** Rows whose products share one pass over H. */
    private static final int ROW_BLOCK = 4;

    /** {@link #refit(LayerProblem, byte[], float[], float[])} with the problem's {@link #weightProducts}. */
    static void refit(LayerProblem p, double[] hw, byte[] codes, float[] pos, float[] neg) {
        int unknownsPerGroup = neg == null ? 1 : 2;
        Refit job = new Refit(p, hw, p.groupOf(), codes, pos, neg);
        if (p.rowLocal()) {
            // Each row is a problem of its own (its groups lie inside it, and it writes only its own codes and
            // scales), so rows are solved beside one another, each exactly as alone: the same bits for any
            // number of threads. The common pool lets a caller that is itself a pool task take part instead of waiting.
            java.util.stream.IntStream.range(0, p.rows()).parallel().forEach(r -> job.solve(new int[] {r}));
        } else if ((long) p.layout().groupCount() * unknownsPerGroup <= MAX_UNKNOWNS) {
            job.solve(java.util.stream.IntStream.range(0, p.rows()).toArray());
        }
    }

    /** Unknown index of an element's code: group (one scale), or 2·group + (code < 0) (two scales). */
    private static int unknown(byte code, int g, boolean two) {
        return two ? 2 * g + (code < 0 ? 1 : 0) : g;
    }

    /** One refit's problem, H·w, current codes and the scales it writes. */
    private record Refit(LayerProblem p, double[] hw, int[] groupOf, byte[] codes, float[] pos, float[] neg) {
        /** Solves the system of the unknowns these rows touch. */
        void solve(int[] rows) {
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
                row.load(this, r, ids);
                row.addTo(g, b, m, p.h());
            }
            double[] s = PinnedLeastSquares.solve(g, b, m);
            for (int u = 0; u < m; u++) {
                int grp = two ? ids[u] / 2 : ids[u];
                if (two && ids[u] % 2 == 1) neg[grp] = (float) s[u];
                else pos[grp] = (float) s[u];
            }
            for (int r : rows) {
                for (int q = r * k; q < r * k + k; q++) {
                    if (codes[q] != 0 && s[Arrays.binarySearch(ids, unknown(codes[q], groupOf[q], two))] == 0) codes[q] = 0;
                }
            }
        }
    }

    /**
     * One row's share of the normal equations: for the unknowns u, v it touches, G_uv += c_uᵀ H c_v and
     * b_u += c_uᵀ H w, where c_u is ±1 on u's codes. Each sum runs as the dense products it stands for
     * would (H c_v's entry i is Σ_j H[j][i]·c_v[j] over c_v's nonzeros j in ascending order, c_uᵀ of it
     * over u's nonzeros in ascending order), H c_v only from the first input an unknown u ≥ v uses on,
     * and only G's lower triangle, the only part the factorisation reads.
     */
    private static final class RowSystem {
        private final int k;
        private final double[] hcv, sign; // H c_v; each input's ±1
        private final int[] unknownOf;    // each nonzero input's system unknown, in input order
        private final int[] inputs;       // the nonzero inputs, ascending
        private int[] start = new int[1], members = new int[0], global = new int[0], from = new int[0];
        private int base, unknowns;
        private double[] hw;

        RowSystem(int k) {
            this.k = k;
            hcv = new double[k];
            sign = new double[k];
            unknownOf = new int[k];
            inputs = new int[k];
        }

        /** The row's codes grouped by unknown; {@code ids} are the system's unknowns. */
        void load(Refit job, int r, int[] ids) {
            boolean two = job.neg() != null;
            byte[] codes = job.codes();
            base = r * k;
            hw = job.hw();
            int n = 0;
            for (int j = 0; j < k; j++) {
                int q = base + j;
                if (codes[q] == 0) continue;
                sign[j] = two ? (codes[q] > 0 ? 1 : -1) : codes[q];
                unknownOf[n] = Arrays.binarySearch(ids, unknown(codes[q], job.groupOf()[q], two));
                inputs[n++] = j;
            }
            // Local unknowns: the distinct system unknowns of this row, ascending; members in ascending input order.
            global = Arrays.stream(unknownOf, 0, n).distinct().sorted().toArray();
            unknowns = global.length;
            start = new int[unknowns + 1];
            int[] local = new int[n];
            for (int t = 0; t < n; t++) start[(local[t] = Arrays.binarySearch(global, unknownOf[t])) + 1]++;
            for (int u = 0; u < unknowns; u++) start[u + 1] += start[u];
            members = new int[n];
            int[] fill = Arrays.copyOf(start, unknowns);
            for (int t = 0; t < n; t++) members[fill[local[t]]++] = inputs[t];
            // The first input any unknown u ≥ v uses: H c_v is needed from there on.
            from = new int[unknowns];
            int first = k;
            for (int u = unknowns - 1; u >= 0; u--) from[u] = first = Math.min(first, members[start[u]]);
        }

        void addTo(double[] g, double[] b, int m, double[] h) {
            int n = start[unknowns];
            double[] signs = new double[n], terms = new double[n];
            for (int t = 0; t < n; t++) signs[t] = sign[members[t]];
            for (int u = 0; u < unknowns; u++) {
                double s = 0;
                for (int t = start[u]; t < start[u + 1]; t++) s += signs[t] * hw[base + members[t]];
                b[global[u]] += s;
            }
            for (int v = 0; v < unknowns; v++) {
                productFrom(h, v);
                // c_u[i]·(H c_v)[i] for the inputs of every u ≥ v, then each u's in ascending order.
                for (int t = start[v]; t < n; t++) terms[t] = signs[t] * hcv[members[t]];
                int gv = global[v];
                for (int u = v; u < unknowns; u++) {
                    double s = 0;
                    for (int t = start[u]; t < start[u + 1]; t++) s += terms[t];
                    g[global[u] * m + gv] += s;
                }
            }
        }

        /** hcv[i] = Σ_j H[j][i]·c_v[j] for i from from[v] on: each entry 0 plus its terms in ascending j. */
        private void productFrom(double[] h, int v) {
            int i = from[v], e0 = start[v], e1 = start[v + 1];
            for (; i + LANES <= k; i += LANES) {
                DoubleVector acc = DoubleVector.zero(SPECIES);
                for (int e = e0; e < e1; e++) acc = acc.add(DoubleVector.fromArray(SPECIES, h, members[e] * k + i).mul(sign[members[e]]));
                acc.intoArray(hcv, i);
            }
            for (; i < k; i++) {
                double o = 0;
                for (int e = e0; e < e1; e++) o += h[members[e] * k + i] * sign[members[e]];
                hcv[i] = o;
            }
        }
    }
}
