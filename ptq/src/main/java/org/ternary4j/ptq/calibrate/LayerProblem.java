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
        double total = 0;
        double[] e = new double[k];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) {
                int p = r * k + j;
                e[j] = w[p] - value(codes[p], groupOf[p], pos, neg);
            }
            total += Linalg.quadratic(h, e, e, k);
        }
        return total;
    }
}
