package org.ternary4j.eval.calibrate;

/**
 * Second moments of the vectors a layer's weight rows are multiplied with (a dense layer's input
 * rows, or a conv's patches in (cin, kh, kw) order): the Gram matrix H = Σ x xᵀ, the sum Σ x and
 * the count. H is what the output error of a weight change δ costs: Σ (δᵀx)² = δᵀ H δ.
 */
public final class InputStats {
    private final int dim;
    private final double[] gram;
    private final double[] sum;
    private long count;

    public InputStats(int dim) {
        if (dim < 1) throw new IllegalArgumentException("input dimension must be ≥ 1, got " + dim);
        this.dim = dim;
        this.gram = new double[dim * dim];
        this.sum = new double[dim];
    }

    public int dim() {
        return dim;
    }

    public long count() {
        return count;
    }

    /** Adds one vector x[off .. off+dim). */
    public void add(float[] x, int off) {
        count++;
        for (int i = 0; i < dim; i++) {
            double xi = x[off + i];
            sum[i] += xi;
            if (xi == 0) continue; // post-ReLU inputs and padding are mostly zero
            int row = i * dim;
            for (int j = i; j < dim; j++) gram[row + j] += xi * x[off + j];
        }
    }

    /** H = Σ x xᵀ, full symmetric matrix (row-major), a fresh copy. */
    public double[] gram() {
        double[] h = gram.clone();
        for (int i = 0; i < dim; i++) for (int j = 0; j < i; j++) h[i * dim + j] = h[j * dim + i];
        return h;
    }

    /** E[x]. */
    public double[] mean() {
        double[] m = new double[dim];
        for (int i = 0; i < dim; i++) m[i] = count == 0 ? 0 : sum[i] / count;
        return m;
    }

    /** E[x_i²], the importance of every weight that multiplies input i. */
    public double[] meanSquare() {
        double[] m = new double[dim];
        for (int i = 0; i < dim; i++) m[i] = count == 0 ? 0 : gram[i * dim + i] / count;
        return m;
    }
}
