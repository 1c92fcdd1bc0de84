package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exact ternary GEMM for many activation vectors (a transformer's batch × sequence rows, a
 * conv's pixels): a panel of {@link PanelGemm#NR} weight rows is decoded once into floats (±scale
 * of its segment, 0), stored input-major, then every activation vector is swept over it by
 * {@link PanelGemm}. Decoding costs one pass over the panel's codes, shared by all rows of the
 * batch, where the per-vector kernels re-read (and for TRIPLES re-build tables from) the codes
 * for every vector. Up to {@link #FEW} vectors the roles swap: decoded weight rows, read in
 * place, are the rows of the product and the vectors its panels, so no weight is gathered.
 * Finite activations only (a zero code times an infinity would be NaN, where the reference skips
 * it). Work splits by panels or blocks of rows, and each output is one FMA chain in input order,
 * so results do not depend on the thread count or the path.
 */
final class DecodedGemm {
    private DecodedGemm() {}

    /** Activation vectors from which decoding a tile pays for itself. */
    static final int MIN_BATCH = 8;

    private static final int NR = PanelGemm.NR;

    /** Whether TRIPLES tiles decode straight into panels (a tile is a panel: 512-bit vectors). */
    static final boolean TRIPLES_PANELS = NR == TripleKernels.TILE;

    /**
     * y[b, r] = Σ_p w[r, p]·x[b, p] (+ bias[r], null: none) for x [batch, k] in logical input order. A layout that
     * {@link ReductionLayout#keepsOrder keeps the order} is decoded into panels over the logical
     * inputs only and reads x as it is (small scale blocks pad each segment to a whole step: block:4
     * would quadruple the multiply-adds); any other gets x in padded order.
     */
    static void run(PackedTernaryMatrix m, float[] x, int batch, float[] y, float[] bias, Parallel par) {
        ReductionLayout l = m.layout();
        boolean logical = l.keepsOrder();
        float[] xp = logical ? x : TernaryMatmul.padded(m, x, 0, batch);
        product(m, xp, logical, batch, y, bias, par, m.scalePos());
    }

    /**
     * The int8 path of a TRIPLES matrix for many vectors, with the bits of its table kernel: the
     * integer sums Σ code·q of {@link LutGemm} (tables shared across tiles; the float panel
     * product of the same integers, exact below 2²⁴, gave the same bits about 1.2–2× slower per
     * product on one thread), each output combined as {@link TripleKernels#int8Rows} does. Vectors with NaN or infinity go through the exact
     * reference, as {@link TernaryMatmul#gemm} sends them.
     */
    static void runInt8(TriplesMatrix m, float[] x, int batch, float[] y, Parallel par) {
        runInt8(new TriplesMatrix[] {m}, x, batch, new float[][] {y}, new float[][] {null}, 0, par);
    }

    /**
     * {@link #runInt8} of one x by several matrices of one layout, the activations quantized and
     * tabled once; vector b into row first + b of each ys[i], plus biases[i] (null: none).
     */
    static void runInt8(TriplesMatrix[] ms, float[] x, int batch, float[][] ys, float[][] biases, int first, Parallel par) {
        QuantizedActivations a = LutGemm.products(ms, x, batch, ys, biases, first, par);
        TernaryMatmul.exactWhereNotFinite(ms, x, a.finite, ys, biases, first);
    }

    /**
     * The int8 path of the other layouts for many vectors: each vector's levels q (quantized as
     * {@link QuantizedActivations} does) through the float panel product, times the vector's scale.
     * The per-vector integer kernels re-read every code for every vector and, with small scale
     * blocks, combine a float per block: at 128 vectors of a 384×384 layer they took 0.9–4.7 ms
     * (block:4 base-3: 37 ms) where this takes 0.15–0.6 ms. The levels are integers, so this
     * differs from those kernels only in float rounding (one FMA chain per output where they add
     * exact integer sums per segment and then combine). Vectors with NaN or infinity go through
     * the exact reference, as {@link TernaryMatmul#gemm} sends them.
     */
    static void runLevels(PackedTernaryMatrix m, float[] x, int batch, float[] y, Parallel par) {
        int k = m.cols(), rows = m.rows();
        // this thread's scratch: a new pair per call came to 11 MB a MiniLM run on the int8 path
        float[] q = Scratch.floats(Scratch.Slot.ROW_LEVELS, Math.multiplyExact(batch, k)), scale = Scratch.floats(Scratch.Slot.ROW_SCALES, batch);
        boolean[] finite = QuantizedActivations.levels(x, k, batch, q, scale);
        run(m, q, batch, y, null, par);
        for (int b = 0; b < batch; b++) {
            if (finite[b]) for (int o = b * rows; o < (b + 1) * rows; o++) y[o] *= scale[b];
            else TernaryMatmul.exactVector(m, x, b, y, b);
        }
    }

    /**
     * The panel product with the rows' weights ±scales[r] (or 0), each panel's outputs plus their
     * bias while still in cache. xp's rows hold the logical inputs ({@code logical}: skipping pads
     * changes no sum) or the padded ones. TRIPLES tiles decode fast enough for every thread to
     * decode every panel and sweep its own activation rows over it ({@link PanelGemm#share}); other
     * layouts decode each panel once and share the panels (decoding a block:4 MiniLM's panels on
     * both threads halved its speed, 44 → 21 examples/s).
     */
    private static void product(PackedTernaryMatrix m, float[] xp, boolean logical, int batch, float[] y, float[] bias, Parallel par, ScaleArray scales) {
        ReductionLayout l = m.layout();
        int rows = m.rows();
        int[] at = inputPlaces(l);
        Panels panels = new Panels(m, logical ? l.k() : l.paddedK(), at, scales, bias, at == null || m instanceof TriplesMatrix ? null : usedLanes(l));
        Parallel p = (long) batch * rows * l.paddedK() < TernaryMatmul.SERIAL_WORK ? Parallel.serial() : par;
        PanelGemm.Rows io = new PanelGemm.Rows(xp, panels.k(), y, rows);
        if (takesFewVectors(m, batch)) p.forRange(rows, FEW_ROWS, (from, to) -> panels.fewVectors(io, batch, from, to));
        else PanelGemm.share(p, io, batch, rows, panels.fromTiles(), panels::sweep);
    }

    /** The padded places of the panels' inputs: the layout's own where it keeps the logical order (null: identity), null for x in padded order. */
    private static int[] inputPlaces(ReductionLayout l) {
        return l.keepsOrder() ? l.toPadded() : null;
    }

    /**
     * Whether a product of {@code batch} vectors takes {@link Panels#fewVectors}: from
     * {@link #MIN_FEW} to {@link #FEW} vectors, weights in their input order and not TRIPLES tiles
     * (below {@link #MIN_BATCH} the exact product otherwise takes the per-vector kernels).
     */
    static boolean takesFewVectors(PackedTernaryMatrix m, int batch) {
        boolean tiles = m instanceof TriplesMatrix && TRIPLES_PANELS;
        return batch >= MIN_FEW && batch <= FEW && !tiles && inputPlaces(m.layout()) == null;
    }

    /**
     * What every panel of one product shares: the inputs it spans (k), their padded places (at,
     * null in identity order), the rows' scales, the bias, and for small scale blocks the lanes
     * of each step that hold inputs ({@link #usedLanes}, null otherwise).
     */
    private record Panels(PackedTernaryMatrix m, int k, int[] at, ScaleArray scales, float[] bias, byte[] lanes) {
        /** Whether panels come straight from TRIPLES tiles (512-bit vectors, inputs in place). */
        boolean fromTiles() {
            return m instanceof TriplesMatrix && TRIPLES_PANELS && at == null;
        }

        /** Output rows [from, to) (whole panels but the last) for the {@code count} activation rows of {@code io}. */
        void sweep(PanelGemm.Rows io, int count, int from, int to) {
            int kp = m.layout().paddedK();
            float[] panel = Scratch.floats(Scratch.Slot.PANEL, k * NR), tileScales = new float[NR], w = null;
            int[] places = fromTiles() ? null : at != null ? at : identity(k);
            for (int r0 = from; r0 < to; r0 += NR) {
                int nr = Math.min(NR, to - r0);
                if (fromTiles()) {
                    scales.copyTo(r0, nr, tileScales);
                    triplesPanel((TriplesMatrix) m, r0, k, panel, tileScales);
                } else {
                    if (w == null) w = Scratch.floats(Scratch.Slot.DECODED, NR * kp);
                    for (int r = 0; r < nr; r++) {
                        if (lanes == null) decode(m, r0 + r, w, r * kp);
                        else decodeSteps(m, r0 + r, Integer.MAX_VALUE, lanes, w, r * kp); // only the lanes the gather below reads
                    }
                    gatherPanel(w, kp, places, k, panel);
                    for (int r = nr; r < NR; r++) for (int q = 0; q < k; q++) panel[q * NR + r] = 0f;
                }
                PanelGemm.multiply(io, count, k, panel, 0, r0, nr);
                PanelGemm.addBias(io, count, bias, r0, nr);
            }
        }

        /**
         * {@link #sweep} for at most {@link #FEW} activation vectors, the roles swapped: yᵀ = W·xᵀ,
         * the decoded weight rows as the panel product's rows (read in place, no gather) and the
         * vectors transposed into panels of inputs (NR vectors each, zeros past count).
         * fma(x, w, s) is fma(w, x, s), so each output is the panel path's FMA chain in input
         * order, bit for bit; the bias is added after it, as there.
         */
        void fewVectors(PanelGemm.Rows io, int count, int from, int to) {
            int kp = m.layout().paddedK(), panels = (count + NR - 1) / NR;
            float[] xt = Scratch.floats(Scratch.Slot.PANEL, panels * k * NR);
            // once per thread and product: a thread may take several blocks of rows
            if (Scratch.claim(Scratch.Slot.PANEL, this)) transposed(io, count, panels, xt);
            float[] w = Scratch.floats(Scratch.Slot.DECODED, FEW_ROWS * kp), yt = Scratch.floats(Scratch.Slot.FEW_OUTPUTS, FEW_ROWS * NR);
            float[] y = io.y();
            PanelGemm.Rows weights = new PanelGemm.Rows(w, 0, kp, yt, 0, NR);
            for (int r0 = from; r0 < to; r0 += FEW_ROWS) {
                int nr = Math.min(FEW_ROWS, to - r0);
                for (int r = 0; r < nr; r++) decode(m, r0 + r, w, r * kp);
                for (int c = 0; c < panels; c++) {
                    int b0 = c * NR, n = Math.min(NR, count - b0);
                    PanelGemm.multiply(weights, nr, k, xt, c * k * NR, 0, NR);
                    for (int j = 0; j < n; j++) {
                        int o = io.yOff() + (b0 + j) * io.ldy() + r0;
                        if (bias == null) for (int r = 0; r < nr; r++) y[o + r] = yt[r * NR + j];
                        else for (int r = 0; r < nr; r++) y[o + r] = yt[r * NR + j] + bias[r0 + r];
                    }
                }
            }
        }

        /** The vectors as panels of inputs: xt[(c·k + q)·NR + j] = x[c·NR + j, q], 0 past count; a whole panel's inputs by two vector gathers each. */
        private void transposed(PanelGemm.Rows io, int count, int panels, float[] xt) {
            float[] a = io.a();
            int lda = io.lda(), half = FP.length();
            int[] rows = new int[half];
            for (int j = 0; j < half; j++) rows[j] = j * lda;
            for (int c = 0; c < panels; c++) {
                int b0 = c * NR, n = Math.min(NR, count - b0), at = io.aOff() + b0 * lda;
                if (n == NR) {
                    for (int q = 0, o = c * k * NR; q < k; q++, o += NR) {
                        FloatVector.fromArray(FP, a, at + q, rows, 0).intoArray(xt, o);
                        FloatVector.fromArray(FP, a, at + half * lda + q, rows, 0).intoArray(xt, o + half);
                    }
                    continue;
                }
                for (int q = 0, o = c * k * NR; q < k; q++, o += NR) {
                    for (int j = 0; j < n; j++) xt[o + j] = a[at + j * lda + q];
                    for (int j = n; j < NR; j++) xt[o + j] = 0f;
                }
            }
        }
    }

    /**
     * Activation vectors up to which a product in the weights' own input order takes
     * {@link Panels#fewVectors}. The gathered weight panels cost about twice the multiply-adds
     * of 16 vectors (MiniLM's exact path at 16 tokens, one thread: 41 % of the CPU samples for
     * the decode and gathers, 22 % for the products); without the gathers a 1536 × 384 product
     * on the Zen 3 (one thread, harness best) took 370, 373, 581 and 993 µs at 8, 16, 32 and 64
     * vectors against 576, 663, 867 and 1240, on two threads 190, 189, 322 and 513–524 against
     * 299, 356, 442 and 624–675; at 128, with the vectors transposed by gathers, 1834–1900
     * against 2064–3375 µs on one thread (three JVMs each), and MiniLM's exact path at 128 tokens
     * on two threads 30.6, 41.7 and 38.4 against 45.8, 43.6 and 39.0 ms (alternating JVMs).
     * Long rows had taken row dot products, four rows by four vectors summed across lanes by a
     * fixed tree: VGG's 128 × 1568 layer at 16 vectors 270 µs against 120 this way, 384 × 1536
     * 1053 against 342 (one thread).
     */
    static final int FEW = 128;
    /**
     * Vectors from which the few-vector path beats the per-vector kernels (which decode every
     * code for every vector): on the Zen 3 (one thread, harness best) at 6 and 7 vectors 354–355
     * against 426–501 µs for 1536 × 384 in 2-bit codes, 120 against 156–178 for 128 × 1568 in
     * base-3 codes, 130 against 145–169 for 128 × 1568 in 2-bit codes, 10.4–10.8 against
     * 16.1–18.3 for 84 × 120; at 4 the last of those lost (125 against 105).
     */
    static final int MIN_FEW = 6;
    /** Weight rows decoded at a time on the few-vector path: whole six-row blocks of {@link PanelGemm}. */
    private static final int FEW_ROWS = 48;

    /** 0, 1, …, k − 1: the places of inputs in identity order, for {@link #gatherPanel}. */
    private static int[] identity(int k) {
        int[] at = Scratch.ints(Scratch.Slot.PLACES, k);
        for (int q = 0; q < k; q++) at[q] = q;
        return at;
    }

    /**
     * panel[q·NR + r] = w[r·kp + at[q]] for all NR rows (rows past the panel's last are left for the
     * caller to zero): per logical input, two vector gathers of half the panel's rows each, where
     * a scalar transpose stored every weight on its own cache line (with 256-bit vectors, MiniLM
     * on one thread: 47.4 → 43.9 ms a run, best of three windows each).
     */
    private static void gatherPanel(float[] w, int kp, int[] at, int k, float[] panel) {
        int[] rows = new int[FP.length()];
        for (int r = 0; r < rows.length; r++) rows[r] = r * kp;
        int second = FP.length() * kp;
        for (int q = 0; q < k; q++) {
            FloatVector.fromArray(FP, w, at[q], rows, 0).intoArray(panel, q * NR);
            FloatVector.fromArray(FP, w, at[q] + second, rows, 0).intoArray(panel, q * NR + FP.length());
        }
    }

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    /** The machine's float vectors, and how many of them a step's 16 codes fill. */
    private static final VectorSpecies<Float> FP = FloatVector.SPECIES_PREFERRED;
    private static final int STEP_PARTS = ReductionLayout.STEP / FP.length();
    /** Shorts with as many lanes as FP: half a step's codes where FP has 8 lanes. */
    private static final VectorSpecies<Short> HALF = VectorSpecies.of(short.class, VectorShape.forBitSize(FP.length() * Short.SIZE));
    /**
     * A TRIPLES tile (32 rows from r0, a multiple of 32) decoded straight into panel order: a code
     * vector holds nine inputs of the tile's 32 rows, so each input's 32 weights are one lookup
     * of its digit, two conversions and two multiplies by the rows' scales (tileScales: the tile's 32, 0 past the last row).
     */
    private static void triplesPanel(TriplesMatrix t, int r0, int k, float[] panel, float[] tileScales) {
        int rows = t.rows(), nines = t.nines();
        short[] codes = t.triples();
        FloatVector s0 = FloatVector.fromArray(F, tileScales, 0), s1 = FloatVector.fromArray(F, tileScales, 16);
        // vectors stay in this method: one handed to a call C2 does not inline is boxed (and this ran 30× slower)
        for (int j = 0; j < nines; j++) {
            ShortVector v = ShortVector.fromArray(S, codes, TripleKernels.offset(r0, j, rows, nines));
            for (int i = 0, q = 9 * j; i < 9 && q < k; i++, q++) {
                ShortVector digits = v.lanewise(VectorOperators.LSHR, (short) (5 * (i / 3))).and((short) 31).selectFrom(ShortVector.fromArray(S, TripleKernels.DIGIT[i % 3], 0));
                ((FloatVector) digits.convertShape(VectorOperators.S2F, F, 0)).mul(s0).intoArray(panel, q * NR);
                ((FloatVector) digits.convertShape(VectorOperators.S2F, F, 1)).mul(s1).intoArray(panel, q * NR + 16);
            }
        }
    }

    /** Every row's padded weights as floats, rows paddedK apart (for products that reuse them over many pixels). */
    static float[] decoded(PackedTernaryMatrix m) {
        int kp = m.layout().paddedK();
        float[] w = new float[Math.multiplyExact(m.rows(), kp)];
        for (int r = 0; r < m.rows(); r++) decode(m, r, w, r * kp);
        return w;
    }

    /**
     * Rows' weights over their first {@code usedSteps} steps (the inputs a layout without a
     * permutation uses), row r at w[r·ld …], as {@link #decoded} gives them: a conv's 1×1 layer
     * with 8 inputs pads each row to 128, and decoding whole padded rows lane by lane on every
     * call cost more than the product. Codes become floats a vector at a time; TRIPLES rows,
     * which have no step codes, go through their own decoder.
     */
    static float[] decodedSteps(PackedTernaryMatrix m, int usedSteps, int ld) {
        if (m instanceof TriplesMatrix) {
            float[] padded = decoded(m), w = new float[Math.multiplyExact(m.rows(), ld)];
            int kp = m.layout().paddedK(), n = Math.min(ld, kp);
            for (int r = 0; r < m.rows(); r++) System.arraycopy(padded, r * kp, w, r * ld, n);
            return w;
        }
        float[] w = new float[Math.multiplyExact(m.rows(), ld)];
        for (int r = 0; r < m.rows(); r++) decodeSteps(m, r, usedSteps, null, w, r * ld);
        return w;
    }

    /** Row r's padded weights as floats: +scale, −scale (the negative scale for two-scale groups) or 0. */
    static void decode(PackedTernaryMatrix m, int row, float[] w, int off) {
        if (m instanceof Base3Matrix b && Base3Kernels.unitRows(b)) {
            Base3Kernels.decodeRow(b, row, w, off);
            return;
        }
        java.util.Arrays.fill(w, off, off + m.layout().paddedK(), 0f);
        if (m instanceof TriplesMatrix t) {
            ScaleArray sp = m.scalePos(), sn = m.twoScales() ? m.scaleNeg() : sp;
            t.decodeRow(row, sp.get(row), -sn.get(row), w, off);
            return;
        }
        decodeSteps(m, row, Integer.MAX_VALUE, null, w, off);
    }

    /**
     * Row r's weights over steps [0, usedSteps) at w[off …], as {@link #decode} gives them, a vector
     * of codes at a time (not TRIPLES: it has no step codes); with {@code lanes}, only each step's
     * first lanes[step] values are certain to be written (a step with none is skipped). A step's 16
     * codes are one float vector of the machine's width where that is 512 bits, as in the panel
     * product (256-bit halves beside them mixed the Vector API's shared profiles: README, Vector API
     * notes), and two where it is 256: a 512-bit species there is emulated in Java, about 30× slower.
     */
    private static void decodeSteps(PackedTernaryMatrix m, int row, int usedSteps, byte[] lanes, float[] w, int off) {
        ReductionLayout l = m.layout();
        int segs = l.segments();
        int[] steps = l.segmentSteps();
        ScaleArray sp = m.scalePos(), sn = m.twoScales() ? m.scaleNeg() : sp;
        FloatVector zero = FloatVector.zero(FP);
        short[] halves = STEP_PARTS == 1 ? null : Scratch.shorts(Scratch.Slot.STEP_CODES, ReductionLayout.STEP);
        for (int s = 0; s < segs; s++) {
            float pos = sp.get(row * segs + s), neg = -sn.get(row * segs + s);
            for (int step = steps[s], end = Math.min(steps[s + 1], usedSteps); step < end; step++) {
                if (lanes != null && lanes[step] == 0) continue;
                ShortVector codes = m.stepCodes(row, step);
                int o = off + step * ReductionLayout.STEP;
                if (STEP_PARTS == 1) {
                    FloatVector c = (FloatVector) codes.convertShape(VectorOperators.S2F, FP, 0);
                    zero.blend(pos, c.eq(2f)).blend(neg, c.eq(0f)).intoArray(w, o);
                    continue;
                }
                // 256-bit vectors: the codes through memory, each half widened from its own load (the
                // widening of a second part boxed its vectors once other kernels had run in the JVM)
                codes.intoArray(halves, 0);
                FloatVector lo = (FloatVector) ShortVector.fromArray(HALF, halves, 0).convertShape(VectorOperators.S2F, FP, 0);
                zero.blend(pos, lo.eq(2f)).blend(neg, lo.eq(0f)).intoArray(w, o);
                FloatVector hi = (FloatVector) ShortVector.fromArray(HALF, halves, FP.length()).convertShape(VectorOperators.S2F, FP, 0);
                zero.blend(pos, hi.eq(2f)).blend(neg, hi.eq(0f)).intoArray(w, o + FP.length());
            }
        }
    }

    /**
     * Per step of the layout, how many of its 16 lanes hold logical inputs (at most the last used
     * lane + 1): a small scale block pads each segment to a whole step (block:4 uses 4 lanes of
     * 16), and decoding the pads a gather never reads was most of a block:4 MiniLM's time.
     */
    private static byte[] usedLanes(ReductionLayout l) {
        byte[] used = new byte[l.paddedK() / ReductionLayout.STEP];
        for (int q = 0; q < l.k(); q++) {
            int p = l.padded(q), step = p / ReductionLayout.STEP;
            used[step] = (byte) Math.max(used[step], p % ReductionLayout.STEP + 1);
        }
        return used;
    }
}
