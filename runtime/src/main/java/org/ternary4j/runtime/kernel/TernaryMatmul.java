package org.ternary4j.runtime.kernel;

/**
 * y = x · Wᵀ for a packed ternary W [rows, k] and float activations x [batch, k] (y is
 * [batch, rows]). {@link #gemm} quantizes each activation vector to int8 and adds in integers (the
 * fast path); {@link #gemmExact} keeps the activations in float (exact up to float rounding, for
 * tests and for callers who cannot accept int8 activations). Both split work by output rows only,
 * so the result has the same bits for every thread count.
 */
public final class TernaryMatmul {
    private TernaryMatmul() {}

    public static void gemv(PackedTernaryMatrix m, float[] x, float[] y, Parallel par) {
        gemm(m, x, 1, y, par);
    }

    public static void gemm(PackedTernaryMatrix m, float[] x, int batch, float[] y, Parallel par) {
        gemm(m, x, batch, y, par, VectorWidth.WIDE);
    }

    /** {@code wide}: whether whole chunks take the 512-bit kernel (tests run both on any machine). */
    static void gemm(PackedTernaryMatrix m, float[] x, int batch, float[] y, Parallel par, boolean wide) {
        check(m, x, batch, y);
        if (batch >= QuadLutGemm.MIN_BATCH && m instanceof TwoBitMatrix t && t.quadTables()) {
            QuadLutGemm.products(new PackedTernaryMatrix[] {m}, x, batch, new float[][] {y}, new float[][] {null}, 0, par);
            return;
        }
        if (batch >= DecodedGemm.MIN_BATCH) { // panels (TRIPLES: shared tables) serve every vector
            if (!(m instanceof TriplesMatrix)) {
                DecodedGemm.runLevels(m, x, batch, y, par);
                return;
            }
            if (wide && DecodedGemm.TRIPLES_PANELS) {
                DecodedGemm.runInt8((TriplesMatrix) m, x, batch, y, par);
                return;
            }
        }
        QuantizedActivations a = QuantizedActivations.of(m.layout(), x, batch, wide, par);
        par.forRange(m.rows(), panelRows(m, par), m.int8Rows(a, y));
        for (int b = 0; b < batch; b++) if (!a.finite[b]) exactVector(m, x, b, y, b);
    }

    /**
     * Whether {@link #gemmShared} takes these matrices at this batch: TRIPLES matrices of one input
     * layout whose int8 product shares its tables across the batch's vectors, or TWO_BIT ones
     * whose product looks up {@link QuadLutGemm}'s tables (shared across the matrices).
     */
    public static boolean sharesTables(PackedTernaryMatrix[] ms, int batch) {
        return triplesShare(ms, batch) || quadsShare(ms, batch);
    }

    private static boolean triplesShare(PackedTernaryMatrix[] ms, int batch) {
        if (batch < DecodedGemm.MIN_BATCH || !VectorWidth.WIDE || !DecodedGemm.TRIPLES_PANELS) return false;
        for (PackedTernaryMatrix m : ms) if (!(m instanceof TriplesMatrix) || !m.layout().sameOrder(ms[0].layout())) return false;
        return true;
    }

    private static boolean quadsShare(PackedTernaryMatrix[] ms, int batch) {
        if (batch < QuadLutGemm.MIN_BATCH) return false;
        for (PackedTernaryMatrix m : ms) if (!(m instanceof TwoBitMatrix t && t.quadTables()) || !m.layout().sameOrder(ms[0].layout())) return false;
        return true;
    }

    /**
     * {@link #gemm} of one x [batch, k] by several matrices (a transformer layer's query, key and
     * value projections) that {@link #sharesTables share tables}: x is quantized and its tables
     * built once for all of them, and the product is one hand-over. Vector b's outputs by matrix i
     * go to row first + b of ys[i] ([rows_i] each), biases[i] added (null: none); each output has
     * the bits {@link #gemm} and then the bias's float add give it.
     */
    public static void gemmShared(PackedTernaryMatrix[] ms, float[] x, int batch, float[][] ys, float[][] biases, int first, Parallel par) {
        if (!sharesTables(ms, batch)) throw new IllegalArgumentException("matrices do not share tables at batch " + batch);
        for (int i = 0; i < ms.length; i++) {
            if (x.length < (long) batch * ms[i].cols()) throw new IllegalArgumentException("activations: " + x.length + " values for batch " + batch + " × " + ms[i].cols());
            if (ys[i].length < (long) (first + batch) * ms[i].rows()) throw new IllegalArgumentException("output " + i + ": too short for rows " + first + " + " + batch + " × " + ms[i].rows());
            if (biases[i] != null && biases[i].length != ms[i].rows()) throw new IllegalArgumentException("bias " + i + ": " + biases[i].length + " values for " + ms[i].rows() + " outputs");
        }
        if (!triplesShare(ms, batch)) {
            QuadLutGemm.products(ms, x, batch, ys, biases, first, par);
            return;
        }
        TriplesMatrix[] t = new TriplesMatrix[ms.length];
        for (int i = 0; i < ms.length; i++) t[i] = (TriplesMatrix) ms[i];
        DecodedGemm.runInt8(t, x, batch, ys, biases, first, par);
    }

    public static void gemmExact(PackedTernaryMatrix m, float[] x, int batch, float[] y, Parallel par) {
        gemmExact(m, x, batch, y, null, par);
    }

    /**
     * y = x · Wᵀ + bias (the float sums of an Add after the MatMul; bias null: none): the panel
     * product adds each panel's bias while its outputs are in cache, the per-vector kernels after.
     */
    public static void gemmExact(PackedTernaryMatrix m, float[] x, int batch, float[] y, float[] bias, Parallel par) {
        check(m, x, batch, y);
        if (bias != null && bias.length != m.rows()) throw new IllegalArgumentException("bias: " + bias.length + " values for " + m.rows() + " outputs");
        if ((batch >= DecodedGemm.MIN_BATCH || DecodedGemm.takesFewVectors(m, batch)) && FloatKernels.allFinite(x, 0, batch * m.cols())) {
            DecodedGemm.run(m, x, batch, y, bias, par);
            return;
        }
        // the padded copy in this thread's scratch (zeroed: the pads must read 0), not a new array per call
        float[] xp = padded(m, x, 0, batch, Scratch.zeroedFloats(Scratch.Slot.ROWS_IN, batch * m.layout().paddedK()));
        Parallel p = (long) batch * m.rows() * m.layout().paddedK() < SERIAL_WORK ? Parallel.serial() : par;
        p.forRange(m.rows(), panelRows(m, p), m.exactRows(xp, batch, y, 0));
        PanelGemm.addBias(y, batch, bias);
    }

    /**
     * Rows handed out per block: about 64 KiB of packed weights, which stay in L2 while every
     * activation vector of the batch is swept over them (so a batch reads the weights from memory
     * once), but no more than a thread's share, so that a smaller layer is shared too (VGG's 1568 →
     * 128 layer was one block of 208 rows, all on the calling thread).
     */
    private static int panelRows(PackedTernaryMatrix m, Parallel par) {
        int tile = m.rowTile(), share = (m.rows() + par.threads() - 1) / par.threads();
        return Math.max(tile, Math.min(PANEL_BYTES / m.rowBytes(), share) / tile * tile);
    }

    private static final int PANEL_BYTES = 64 << 10;

    /**
     * Multiply-adds below which a layer runs on the calling thread: below a few microseconds of
     * work, handing half to a (spinning) worker and waiting for it costs about what it saves. At
     * 1 M every LeNet layer ran on one thread; at 64 k its convolutions and first FC layer split,
     * and LeNet batch 1 on two threads went from 0.96× to 1.05× ONNX Runtime in one bench run.
     */
    static final long SERIAL_WORK = 1 << 16;

    private static void check(PackedTernaryMatrix m, float[] x, int batch, float[] y) {
        if (batch < 0) throw new IllegalArgumentException("batch must be ≥ 0, got " + batch);
        if (x.length < (long) batch * m.cols()) throw new IllegalArgumentException("activations: " + x.length + " values for batch " + batch + " × " + m.cols());
        if (y.length < (long) batch * m.rows()) throw new IllegalArgumentException("output: " + y.length + " values for batch " + batch + " × " + m.rows());
    }

    /** Vector b of x (one with NaN or infinity) through the exact reference, into row {@code row} of y: what the int8 paths do with such vectors. */
    static void exactVector(PackedTernaryMatrix m, float[] x, int b, float[] y, int row) {
        m.exactRows(padded(m, x, b, 1), 1, y, row).run(0, m.rows());
    }

    /**
     * The vectors of x that are not finite (finite[b] false) through the exact reference for every
     * matrix of a shared product, into row first + b of ys[i] plus biases[i] (null: none): what the
     * shared int8 products leave to the reference, with the bias their stores would have added.
     */
    static void exactWhereNotFinite(PackedTernaryMatrix[] ms, float[] x, boolean[] finite, float[][] ys, float[][] biases, int first) {
        for (int b = 0; b < finite.length; b++) {
            if (finite[b]) continue;
            for (int i = 0; i < ms.length; i++) {
                exactVector(ms[i], x, b, ys[i], first + b);
                PanelGemm.addBias(ys[i], (first + b) * ms[i].rows(), 1, biases[i]);
            }
        }
    }

    /** Activations copied into padded order, vectors [first, first + count) of x. */
    static float[] padded(PackedTernaryMatrix m, float[] x, int first, int count) {
        return padded(m, x, first, count, new float[count * m.layout().paddedK()]);
    }

    /** {@link #padded(PackedTernaryMatrix, float[], int, int)} into xp, whose pads must already be 0; returns xp. */
    private static float[] padded(PackedTernaryMatrix m, float[] x, int first, int count, float[] xp) {
        ReductionLayout l = m.layout();
        for (int b = 0; b < count; b++) l.scatter(x, (first + b) * l.k(), xp, b * l.paddedK());
        return xp;
    }
}
