package org.ternary4j.ptq.calibrate;

import org.ternary4j.core.grouping.GroupLayout;

/**
 * One layer's ternarization problem in canonical form: W [rows, k] (k = cin·kh·kw or in-features),
 * the input Gram matrix H [k, k], and the groups that share scales. The output error of a ternary
 * W' on the calibration inputs is Σ_rows (w − w')ᵀ H (w − w'), which every step here lowers.
 */
public record LayerProblem(float[] w, int rows, int k, double[] h, GroupLayout layout, boolean twoScales) {

    public LayerProblem {
        if ((long) rows * k != w.length) throw new IllegalArgumentException("weight has " + w.length + " values, expected " + rows + "×" + k);
        if (h.length != k * k) throw new IllegalArgumentException("Gram matrix has " + h.length + " values, expected " + k + "²");
        if (layout.elementCount() != w.length) throw new IllegalArgumentException("grouping covers " + layout.elementCount() + " of " + w.length + " weights");
    }

    /** The group of every element (flat canonical position). */
    public int[] groupOf() {
        int[] g = new int[w.length];
        for (int gr = 0; gr < layout.groupCount(); gr++) for (int j = 0; j < layout.size(gr); j++) g[layout.position(gr, j)] = gr;
        return g;
    }

    /** Whether every group lies inside one row (then rows are independent problems). */
    public boolean rowLocal() {
        return layout.rowLocal(k);
    }

    /** The value a code stands for in element p. */
    static double value(byte code, int g, float[] pos, float[] neg) {
        return code > 0 ? pos[g] : code < 0 ? -(neg == null ? pos[g] : neg[g]) : 0;
    }

    /** Σ_rows (w − q)ᵀ H (w − q) for the ternary weight given by codes and scales. */
    public double outputError(byte[] codes, float[] pos, float[] neg) {
        int[] groupOf = groupOf();
        double[] ht = Linalg.transpose(h, k);
        double[] perRow = new double[rows];
        // Blocks of rows share each pass over H; blocks run beside one another, and the rows' errors are
        // added in row order afterwards: each row's sum is Linalg.quadratic's, the total the same to the bit.
        int blocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK;
        java.util.stream.IntStream.range(0, blocks).parallel().forEach(bl -> {
            int from = bl * ROW_BLOCK, count = Math.min(ROW_BLOCK, rows - from);
            double[][] e = new double[count][k], he = new double[count][k];
            for (int b = 0; b < count; b++) {
                for (int j = 0; j < k; j++) {
                    int p = (from + b) * k + j;
                    e[b][j] = w[p] - value(codes[p], groupOf[p], pos, neg);
                }
            }
            Linalg.products(ht, e, he, k);
            for (int b = 0; b < count; b++) {
                double s = 0;
                for (int i = 0; i < k; i++) if (e[b][i] != 0) s += e[b][i] * he[b][i];
                perRow[from + b] = s;
            }
        });
        double total = 0;
        for (double v : perRow) total += v;
        return total;
    }

    /** Rows whose errors share one pass over H. */
    private static final int ROW_BLOCK = 4;
}
