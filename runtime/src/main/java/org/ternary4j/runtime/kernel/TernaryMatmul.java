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
        QuantizedActivations a = QuantizedActivations.of(m.layout(), x, batch, wide);
        if (m.codeLayout() == PackedTernaryMatrix.CodeLayout.TRIPLES) {
            short[][] tables = new short[batch][];
            for (int b = 0; b < batch; b++) if (a.finite[b]) tables[b] = TripleKernels.int8Tables(a.q, b * a.paddedK, a.paddedK);
            par.forRange(m.rows(), panelRows(m), (from, to) -> TripleKernels.int8Rows(m, a, tables, from, to, y));
        } else {
            par.forRange(m.rows(), panelRows(m), (from, to) -> rows(m, a, from, to, y));
        }
        for (int b = 0; b < batch; b++) {
            if (!a.finite[b]) exactRows(m, padded(m, x, b, 1), 0, 0, m.rows(), b, y);
        }
    }

    public static void gemmExact(PackedTernaryMatrix m, float[] x, int batch, float[] y, Parallel par) {
        check(m, x, batch, y);
        float[] xp = padded(m, x, 0, batch);
        Parallel p = (long) batch * m.rows() * m.layout().paddedK() < SERIAL_WORK ? Parallel.serial() : par;
        p.forRange(m.rows(), Math.max(16, m.rowTile()), (from, to) -> FloatKernels.rows(m, xp, 0, batch, from, to, y, 0));
    }

    /**
     * Rows handed out per block: about 64 KiB of packed weights, which stay in L2 while every
     * activation vector of the batch is swept over them (so a batch reads the weights from memory once).
     */
    private static int panelRows(PackedTernaryMatrix m) {
        int tile = m.rowTile();
        return Math.max(tile, PANEL_BYTES / m.rowBytes() / tile * tile);
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

    /** Rows [from, to) (from a multiple of 4) for every finite activation vector. */
    private static void rows(PackedTernaryMatrix m, QuantizedActivations a, int from, int to, float[] y) {
        int segs = m.layout().segments();
        int[] steps = m.layout().segmentSteps();
        int[] sumAll = new int[4 * segs], sumPos = m.twoScales() ? new int[4 * segs] : null;
        short[] w = m.codes();
        byte[] w3 = m.base3();
        boolean blocks = a.negLaneSums != null && !m.twoScales() && w3 == null;
        float[] y4 = new float[4];
        for (int b = 0; b < a.batch; b++) {
            if (!a.finite[b]) continue;
            int q0 = b * a.paddedK;
            int r = from;
            for (; w3 != null && r < to; r += 4) {
                // a partial last tile is computed whole (its pad rows are zero codes) and cut
                Base3Kernels.rows4(w3, m.rowBase(r), a.q, q0, steps, false, sumAll);
                if (sumPos != null) Base3Kernels.rows4(w3, m.rowBase(r), a.q, q0, steps, true, sumPos);
                for (int i = 0; i < 4 && r + i < to; i++) y[b * m.rows() + r + i] = combine(m, a, r + i, b, sumAll, sumPos, i * segs);
            }
            for (; blocks && r + 4 <= to; r += 4) {
                IntKernels.rows4Blocks(w, m.rowBase(r), a.qt, q0, a.negLaneSums, b * segs * ReductionLayout.STEP, steps, m.scalePos(), r * segs, y4);
                for (int i = 0; i < 4; i++) y[b * m.rows() + r + i] = y4[i] * a.scale[b];
            }
            for (; r + 4 <= to; r += 4) {
                IntKernels.rows4(w, m.rowBase(r), a.q, a.qt, a.qt2, q0, steps, 0, 3, sumAll);
                if (sumPos != null) IntKernels.rows4(w, m.rowBase(r), a.q, a.qt, a.qt2, q0, steps, 1, 1, sumPos);
                for (int i = 0; i < 4; i++) y[b * m.rows() + r + i] = combine(m, a, r + i, b, sumAll, sumPos, i * segs);
            }
            for (; r < to; r++) {
                IntKernels.single(w, m.rowBase(r), a.q, q0, steps, 0, 3, sumAll);
                if (sumPos != null) IntKernels.single(w, m.rowBase(r), a.q, q0, steps, 1, 1, sumPos);
                y[b * m.rows() + r] = combine(m, a, r, b, sumAll, sumPos, 0);
            }
        }
    }

    /**
     * Turns a row's integer sums into the output. Per segment with Q = Σq, A = Σ(code+1)·q and
     * P = Σ_{+1} q: the +1 and −1 sums are P and N = Q − A + P, and Σ code·q = A − Q.
     */
    private static float combine(PackedTernaryMatrix m, QuantizedActivations a, int row, int b, int[] sumAll, int[] sumPos, int off) {
        int segs = m.layout().segments();
        float[] sp = m.scalePos(), sn = m.scaleNeg();
        float acc = 0f;
        for (int s = 0; s < segs; s++) {
            int q = a.segmentSums[b * segs + s], all = sumAll[off + s];
            if (sumPos == null) {
                acc += sp[row * segs + s] * (float) (all - q);
            } else {
                int pos = sumPos[off + s], neg = q - all + pos;
                acc += sp[row * segs + s] * (float) pos - sn[row * segs + s] * (float) neg;
            }
        }
        return acc * a.scale[b];
    }

    /** Activations copied into padded order, vectors [first, first + count) of x. */
    private static float[] padded(PackedTernaryMatrix m, float[] x, int first, int count) {
        ReductionLayout l = m.layout();
        float[] xp = new float[count * l.paddedK()];
        for (int b = 0; b < count; b++) l.scatter(x, (first + b) * l.k(), xp, b * l.paddedK());
        return xp;
    }

    /** Exact (float) outputs of rows [from, to) for vector xb of the padded activations xp, into y's vector b. */
    private static void exactRows(PackedTernaryMatrix m, float[] xp, int xb, int from, int to, int b, float[] y) {
        FloatKernels.rows(m, xp, xb, 1, from, to, y, b);
    }
}
