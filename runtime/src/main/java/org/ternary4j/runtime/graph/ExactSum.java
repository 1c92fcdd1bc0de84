package org.ternary4j.runtime.graph;

/**
 * Double sums of float rows in index order (ReduceMean's reference, LayerNorm's mean and
 * variance) without waiting on one chain of dependent adds: a row of 384 cost 384 add latencies,
 * twice per LayerNorm row. Eight rows are summed at once, each in its own chain and in its own
 * index order, so every row gets exactly the double of the plain loop while the adds of
 * different rows overlap.
 */
final class ExactSum {
    private ExactSum() {}

    /** Rows summed side by side. */
    static final int ROWS = 8;

    /**
     * sums[j] = Σ_i a[off + j·len + i] over i in [0, len) for j in [0, count), each the double
     * the loop in index order gives ({@code square}: of a·a rounded to float first, as
     * {@code s += a[i] * a[i]} on floats does). count ≤ {@link #ROWS}.
     */
    static void rows(float[] a, int off, int len, int count, boolean square, double[] sums) {
        if (count < 1 || count > ROWS) throw new IllegalArgumentException("rows: " + count + " rows, 1 to " + ROWS + " at once");
        int last = count - 1;
        // rows past count repeat the last one (their sums are not stored): one loop shape for every count
        int o0 = off, o1 = off + Math.min(1, last) * len, o2 = off + Math.min(2, last) * len, o3 = off + Math.min(3, last) * len;
        int o4 = off + Math.min(4, last) * len, o5 = off + Math.min(5, last) * len, o6 = off + Math.min(6, last) * len, o7 = off + last * len;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        if (square) {
            for (int i = 0; i < len; i++) {
                s0 += a[o0 + i] * a[o0 + i];
                s1 += a[o1 + i] * a[o1 + i];
                s2 += a[o2 + i] * a[o2 + i];
                s3 += a[o3 + i] * a[o3 + i];
                s4 += a[o4 + i] * a[o4 + i];
                s5 += a[o5 + i] * a[o5 + i];
                s6 += a[o6 + i] * a[o6 + i];
                s7 += a[o7 + i] * a[o7 + i];
            }
        } else {
            for (int i = 0; i < len; i++) {
                s0 += a[o0 + i];
                s1 += a[o1 + i];
                s2 += a[o2 + i];
                s3 += a[o3 + i];
                s4 += a[o4 + i];
                s5 += a[o5 + i];
                s6 += a[o6 + i];
                s7 += a[o7 + i];
            }
        }
        double[] s = {s0, s1, s2, s3, s4, s5, s6, s7};
        System.arraycopy(s, 0, sums, 0, count);
    }
}
