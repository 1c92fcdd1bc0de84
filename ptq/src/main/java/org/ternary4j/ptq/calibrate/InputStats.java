package org.ternary4j.ptq.calibrate;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Second moments of the vectors a layer's weight rows are multiplied with (a dense layer's input
 * rows, or a conv's patches in (cin, kh, kw) order): the Gram matrix H = Σ x xᵀ, the sum Σ x and
 * the count. H is what the output error of a weight change δ costs: Σ (δᵀx)² = δᵀ H δ.
 *
 * <p>Vectors are buffered and added {@value #BLOCK} at a time by {@link #update}, which keeps a
 * tile of H in registers across the block: the k² update per vector is most of calibration's
 * time, and one pass over H per vector is bound by memory. Every element still adds its products
 * one vector after the other, in the order the vectors came, so H is the same bit for bit as
 * adding each vector on its own: a product of two floats is exact in double, so a fused
 * multiply-add rounds exactly as a multiplication followed by an addition.
 */
public final class InputStats {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** A tile of H: {@value #TILE_ROWS} rows by two vectors, eight accumulators in registers. */
    private static final int TILE_ROWS = 4;
    private static final int TILE_COLS = 2 * LANES;
    /** Vectors buffered per update: each pass over H then serves this many of them. */
    static final int BLOCK = 64;

    private final int dim;
    /** Row stride of the padded matrices and buffers: dim rounded up to whole tiles (the padding stays zero in the buffers). */
    private final int ld;
    /** Rows of the padded matrices, dim rounded up to whole tiles. */
    private final int paddedRows;
    /** Σ x xᵀ, padded; only the tiles on and above the diagonal are kept up to date. */
    private final double[] gram;
    /** Σ x and Σ x_ref, of the vectors added to the matrices so far. */
    private final double[] sum;
    private final double[] cross;
    private final double[] refSum;
    /** Vectors not yet added to the matrices, {@code ld} apart; refs the same for the cross moments. */
    private final double[] xs;
    private final double[] refs;
    private int buffered;
    private long count;

    public InputStats(int dim) {
        this(dim, false);
    }

    /** With {@code cross}, also M = Σ x_ref x'ᵀ for pairs (x, x_ref) given to {@link #add(float[], int, float[], int)}. */
    public InputStats(int dim, boolean cross) {
        if (dim < 1) throw new IllegalArgumentException("input dimension must be ≥ 1, got " + dim);
        this.dim = dim;
        this.ld = roundUp(dim, Math.max(TILE_COLS, TILE_ROWS));
        this.paddedRows = roundUp(dim, TILE_ROWS);
        this.gram = new double[paddedRows * ld];
        this.sum = new double[dim];
        this.cross = cross ? new double[paddedRows * ld] : null;
        this.refSum = cross ? new double[dim] : null;
        this.xs = new double[BLOCK * ld];
        this.refs = cross ? new double[BLOCK * ld] : null;
    }

    /**
     * Adds x[off ..] and, when cross statistics are kept, the reference input ref[refOff ..] the
     * full-precision model gives the layer for the same example.
     */
    public void add(float[] x, int off, float[] ref, int refOff) {
        if (cross != null) {
            int at = buffered * ld;
            for (int i = 0; i < dim; i++) refs[at + i] = ref[refOff + i];
        }
        put(x, off);
    }

    /** Adds one vector x[off .. off+dim). */
    public void add(float[] x, int off) {
        // Without a reference the vector adds nothing to the cross moments: a zero reference adds only zeros.
        if (cross != null) java.util.Arrays.fill(refs, buffered * ld, buffered * ld + dim, 0);
        put(x, off);
    }

    private void put(float[] x, int off) {
        count++;
        int at = buffered * ld;
        for (int i = 0; i < dim; i++) xs[at + i] = x[off + i];
        if (++buffered == BLOCK) flush();
    }

    /**
     * For kernels that add many groups' vectors at once ({@link DepthwiseGram}): the matrices
     * with every buffered vector added, their row stride, and the sums; {@link #counted} then
     * records how many vectors such a kernel added.
     */
    double[] gramSums() {
        flush();
        return gram;
    }

    double[] crossSums() {
        flush();
        return cross;
    }

    double[] sums() {
        flush();
        return sum;
    }

    double[] refSums() {
        flush();
        return refSum;
    }

    int stride() {
        return ld;
    }

    void counted(long n) {
        count += n;
    }

    private void flush() {
        if (buffered == 0) return;
        addRows(sum, xs, buffered);
        update(gram, xs, xs, buffered, true);
        if (cross != null) {
            addRows(refSum, refs, buffered);
            update(cross, refs, xs, buffered, false);
        }
        buffered = 0;
    }

    /** to[i] += Σ_s rows[s, i] over the n buffered vectors s, one after the other. */
    private void addRows(double[] to, double[] rows, int n) {
        for (int s = 0, row = 0; s < n; s++, row += ld) for (int i = 0; i < dim; i++) to[i] += rows[row + i];
    }

    /**
     * acc[i, j] += Σ_s left[s, i]·right[s, j] over the n buffered vectors s, one s after the other
     * for every element; {@code upper}: only the tiles that reach the diagonal or lie above it.
     */
    private void update(double[] acc, double[] left, double[] right, int n, boolean upper) {
        for (int i0 = 0; i0 < paddedRows; i0 += TILE_ROWS) {
            int from = upper ? i0 / TILE_COLS * TILE_COLS : 0;
            for (int j0 = from; j0 < ld; j0 += TILE_COLS) {
                int a0 = i0 * ld + j0, a1 = a0 + ld, a2 = a1 + ld, a3 = a2 + ld;
                DoubleVector c00 = DoubleVector.fromArray(SPECIES, acc, a0), c01 = DoubleVector.fromArray(SPECIES, acc, a0 + LANES);
                DoubleVector c10 = DoubleVector.fromArray(SPECIES, acc, a1), c11 = DoubleVector.fromArray(SPECIES, acc, a1 + LANES);
                DoubleVector c20 = DoubleVector.fromArray(SPECIES, acc, a2), c21 = DoubleVector.fromArray(SPECIES, acc, a2 + LANES);
                DoubleVector c30 = DoubleVector.fromArray(SPECIES, acc, a3), c31 = DoubleVector.fromArray(SPECIES, acc, a3 + LANES);
                for (int s = 0, row = 0; s < n; s++, row += ld) {
                    DoubleVector x0 = DoubleVector.fromArray(SPECIES, right, row + j0), x1 = DoubleVector.fromArray(SPECIES, right, row + j0 + LANES);
                    DoubleVector b = DoubleVector.broadcast(SPECIES, left[row + i0]);
                    c00 = b.fma(x0, c00);
                    c01 = b.fma(x1, c01);
                    b = DoubleVector.broadcast(SPECIES, left[row + i0 + 1]);
                    c10 = b.fma(x0, c10);
                    c11 = b.fma(x1, c11);
                    b = DoubleVector.broadcast(SPECIES, left[row + i0 + 2]);
                    c20 = b.fma(x0, c20);
                    c21 = b.fma(x1, c21);
                    b = DoubleVector.broadcast(SPECIES, left[row + i0 + 3]);
                    c30 = b.fma(x0, c30);
                    c31 = b.fma(x1, c31);
                }
                c00.intoArray(acc, a0);
                c01.intoArray(acc, a0 + LANES);
                c10.intoArray(acc, a1);
                c11.intoArray(acc, a1 + LANES);
                c20.intoArray(acc, a2);
                c21.intoArray(acc, a2 + LANES);
                c30.intoArray(acc, a3);
                c31.intoArray(acc, a3 + LANES);
            }
        }
    }

    private static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    /** Whether cross moments with reference inputs are kept. */
    public boolean hasCross() {
        return cross != null;
    }

    /** M = Σ x_ref xᵀ (row i: reference input i), or null when not kept. */
    public double[] cross() {
        if (cross == null) return null;
        flush();
        double[] m = new double[dim * dim];
        for (int i = 0; i < dim; i++) System.arraycopy(cross, i * ld, m, i * dim, dim);
        return m;
    }

    public int dim() {
        return dim;
    }

    public long count() {
        return count;
    }

    /** H = Σ x xᵀ, full symmetric matrix (row-major), a fresh copy. */
    public double[] gram() {
        flush();
        double[] h = new double[dim * dim];
        for (int i = 0; i < dim; i++) {
            for (int j = i; j < dim; j++) {
                double v = gram[i * ld + j];
                h[i * dim + j] = v;
                h[j * dim + i] = v;
            }
        }
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
        double[] c = cross(); // flushes
        double[] m = mean();
        for (int i = 0; i < dim; i++) for (int j = 0; j < dim; j++) c[i * dim + j] -= count * (refSum[i] / count) * m[j];
        return c;
    }

    /** E[x]. */
    public double[] mean() {
        flush();
        double[] m = new double[dim];
        for (int i = 0; i < dim; i++) m[i] = count == 0 ? 0 : sum[i] / count;
        return m;
    }

    /** E[x_i²], the importance of every weight that multiplies input i. */
    public double[] meanSquare() {
        flush();
        double[] m = new double[dim];
        for (int i = 0; i < dim; i++) m[i] = count == 0 ? 0 : gram[i * ld + i] / count;
        return m;
    }
}
