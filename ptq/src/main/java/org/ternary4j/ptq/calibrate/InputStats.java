package org.ternary4j.ptq.calibrate;

/**
 * Second moments of the vectors a layer's weight rows are multiplied with (a dense layer's input
 * rows, or a conv's patches in (cin, kh, kw) order): the Gram matrix H = Σ x xᵀ, the sum Σ x and
 * the count. H is what the output error of a weight change δ costs: Σ (δᵀx)² = δᵀ H δ.
 */
public final class InputStats {
    private final int dim;
    private final double[] gram;
    private final double[] sum;
    private final double[] cross;
    private final double[] refSum;
    private long count;

    public InputStats(int dim) {
        this(dim, false);
    }

    /** With {@code cross}, also M = Σ x_ref x'ᵀ for pairs (x, x_ref) given to {@link #add(float[], int, float[], int)}. */
    public InputStats(int dim, boolean cross) {
        if (dim < 1) throw new IllegalArgumentException("input dimension must be ≥ 1, got " + dim);
        this.dim = dim;
        this.gram = new double[dim * dim];
        this.sum = new double[dim];
        this.cross = cross ? new double[dim * dim] : null;
        this.refSum = cross ? new double[dim] : null;
    }

    /**
     * Adds x[off ..] and, when cross statistics are kept, the reference input ref[refOff ..] the
     * full-precision model gives the layer for the same example.
     */
    public void add(float[] x, int off, float[] ref, int refOff) {
        add(x, off);
        if (cross == null) return;
        for (int i = 0; i < dim; i++) {
            double ri = ref[refOff + i];
            refSum[i] += ri;
            if (ri == 0) continue;
            int row = i * dim;
            for (int j = 0; j < dim; j++) cross[row + j] += ri * x[off + j];
        }
    }

    /** Whether cross moments with reference inputs are kept. */
    public boolean hasCross() {
        return cross != null;
    }

    /** M = Σ x_ref xᵀ (row i: reference input i), or null when not kept. */
    public double[] cross() {
        return cross == null ? null : cross.clone();
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

    /**
     * H − n·E[x]E[x]ᵀ: the Gram matrix of the centered inputs, what the output error costs once a
     * bias correction removes the mean part of it.
     */
    public double[] centeredGram() {
        double[] h = gram();
        double[] m = mean();
        for (int i = 0; i < dim; i++) for (int j = 0; j < dim; j++) h[i * dim + j] -= count * m[i] * m[j];
        return h;
    }

    /** M − n·E[x_ref]E[x]ᵀ, or null when cross moments are not kept. */
    public double[] centeredCross() {
        if (cross == null) return null;
        double[] c = cross();
        double[] m = mean();
        for (int i = 0; i < dim; i++) for (int j = 0; j < dim; j++) c[i * dim + j] -= count * (refSum[i] / count) * m[j];
        return c;
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
