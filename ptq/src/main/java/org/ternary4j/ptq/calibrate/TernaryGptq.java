package org.ternary4j.ptq.calibrate;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GPTQ/OBQ-style error feedback for ternary codes with fixed scales: each row's inputs are
 * quantized one column at a time to the nearest of {−α₋, 0, +α₊} of its group, and the error is
 * pushed onto the columns not yet quantized through the upper Cholesky factor U of H⁻¹
 * (H⁻¹ = UᵀU), the closed-form optimal update of the remaining weights for the output error
 * Σ (w − q)ᵀ H (w − q). Rows are independent; the arithmetic is sequential in column order,
 * so the codes are the same on every run.
 */
public final class TernaryGptq {
    /** Dampening added to H's diagonal, as a fraction of its mean diagonal (GPTQ's 1 %). */
    public static final double DAMP = 0.01;
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private TernaryGptq() {}

    /** New codes for the given scales (neg null: one scale), inputs in their natural order. */
    public static byte[] codes(LayerProblem p, float[] pos, float[] neg) {
        return codes(p, pos, neg, false);
    }

    /**
     * New codes for the given scales; with {@code actOrder}, GPTQ's act-order: inputs are visited by
     * decreasing H_jj (ties by index), so the inputs with the largest activations (transformers'
     * LayerNorm outlier channels) are rounded first and their error is absorbed by all the others.
     */
    public static byte[] codes(LayerProblem p, float[] pos, float[] neg, boolean actOrder) {
        return codes(p, factor(p, actOrder), pos, neg);
    }

    /** The visiting order (null: natural) and U for H⁻¹ in that order: what every round on one problem shares. */
    record Factor(int[] order, double[] u) {}

    static Factor factor(LayerProblem p, boolean actOrder) {
        int k = p.k();
        int[] order = actOrder ? decreasingDiagonal(p.h(), k) : null;
        return new Factor(order, upperFactorOfInverse(order == null ? p.h() : permuted(p.h(), k, order), k));
    }

    /** New codes for the given scales with a factor from {@link #factor}. */
    static byte[] codes(LayerProblem p, Factor f, float[] pos, float[] neg) {
        int k = p.k();
        int[] order = f.order();
        double[] u = f.u();
        int[] groupOf = p.groupOf();
        byte[] codes = new byte[p.w().length];
        // Rows are independent and each writes only its own codes: solved beside one another, the same bits.
        java.util.stream.IntStream.range(0, p.rows()).parallel().forEach(r -> {
            double[] w = new double[k];
            for (int j = 0; j < k; j++) w[j] = p.w()[r * k + (order == null ? j : order[j])];
            for (int j = 0; j < k; j++) {
                int q = r * k + (order == null ? j : order[j]);
                int g = groupOf[q];
                double ap = pos[g], an = neg == null ? pos[g] : neg[g];
                byte c = w[j] > 0 ? (ap > 0 && w[j] > ap / 2 ? (byte) 1 : 0) : (an > 0 && -w[j] > an / 2 ? (byte) -1 : 0);
                codes[q] = c;
                double err = (w[j] - LayerProblem.value(c, g, pos, neg)) / u[j * k + j];
                int row = j * k, t = j + 1;
                for (; t + LANES <= k; t += LANES) {
                    DoubleVector.fromArray(SPECIES, w, t).sub(DoubleVector.fromArray(SPECIES, u, row + t).mul(err)).intoArray(w, t);
                }
                for (; t < k; t++) w[t] -= err * u[row + t];
            }
        });
        return codes;
    }

    /** Input indices by decreasing H_jj, ties by increasing index. */
    static int[] decreasingDiagonal(double[] h, int k) {
        return java.util.stream.IntStream.range(0, k).boxed()
                .sorted(java.util.Comparator.comparingDouble((Integer j) -> -h[j * k + j]).thenComparingInt(j -> j))
                .mapToInt(Integer::intValue).toArray();
    }

    /** H with rows and columns in {@code order}. */
    private static double[] permuted(double[] h, int k, int[] order) {
        double[] out = new double[k * k];
        for (int a = 0; a < k; a++) for (int b = 0; b < k; b++) out[a * k + b] = h[order[a] * k + order[b]];
        return out;
    }

    /** U with H⁻¹ = UᵀU, for H dampened (dead inputs, H_jj = 0, get 1 on the diagonal: their weights are free). */
    static double[] upperFactorOfInverse(double[] h, int k) {
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
            d[j * k + j] += DAMP * mean;
        }
        double[] inv = Linalg.inverse(d, k);
        if (inv == null) throw new IllegalStateException("dampened Gram matrix is not positive definite");
        // U = Lᵀ for the lower factor L of H⁻¹ = L Lᵀ (what torch.linalg.cholesky(·, upper=True) gives GPTQ).
        double[] u = Linalg.upper(inv, k);
        if (u == null) throw new IllegalStateException("inverse Gram matrix is not positive definite");
        return u;
    }
}
