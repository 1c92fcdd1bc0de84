package org.ternary4j.runtime.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The int8 product of {@link TwoBitMatrix} weights with many quantized vectors by table lookups
 * across vectors, for machines with 256-bit vectors (no vpermw, so {@link LutGemm}'s tables across
 * weight rows do not apply). A byte of TWO_BIT codes holds four inputs 16 apart (bits 2i..2i+1:
 * u = code + 1 of input p + 16i); for a tile of {@link #TILE} vectors, its table has a row of 32
 * int16 lanes (one per vector) for every byte value: Σ (uᵢ − 1)·qᵢ over the four inputs. The byte
 * itself is the index, so no code is decoded: 81 of the 256 rows are codes and only those are
 * written or read (the others cost address space, not cache). A weight row then adds one table
 * row per byte, two 256-bit adds for 128 weight-activation products, where the float panel kernel
 * spends sixteen FMAs; on the Zen 3 (one thread, 128 vectors) 56–60 G products/s at 384 × 384
 * and 69–74 at 1536 × 384 against the float panels' 37.
 *
 * <p>Tables are built four at a time (both bytes of two neighbouring lanes: 32 KiB of address
 * space, 10 KiB read) in a slot of {@link QuadTableSpace}, whose lookups need no bounds checks,
 * and every weight row is swept over them, into int16 sums widened to int32
 * only before a chunk whose activations could take one past int16 (bounded by the tile's Σ |level|
 * per chunk: with activations quantized by their largest value, usually never). The sums are
 * exact, so each output is combined as the per-vector integer kernels combine theirs (one scale
 * per row, one segment): (0 + scale[r]·Σ code·q)·scale[b], the same bits. Several matrices of one
 * input layout (a transformer layer's query, key and value) share the tile's tables.
 *
 * <p>A tile of at most {@link #NARROW_TILE} vectors (a product of 8 to 16, or the last few of a
 * larger one) is 16 wide (one vector per table row, half the tables and their builds), and where
 * the tiles do not fall evenly on the threads (a short sentence's tokens) the threads split the
 * weight rows instead, each building the same tables for its rows: MiniLM at 8 to 32 tokens had
 * run its products on one thread, by decoded panels below 24 tokens, at 0.41–0.89× ONNX Runtime
 * FP32 (two threads); at 16 tokens it now runs at 1.11–1.51×.
 */
final class QuadLutGemm {
    private QuadLutGemm() {}

    /** Vectors per tile of a product of more than {@link #NARROW_TILE}: two 256-bit int16 vectors per table row. */
    static final int TILE = 32;
    /** Vectors per tile of a product of at most as many: one 256-bit vector per table row. */
    static final int NARROW_TILE = 16;
    /**
     * Vectors from which the tables beat the per-vector integer kernels: MiniLM at 8 tokens ran at
     * 0.83–0.90× ONNX Runtime FP32 with them against 0.45× with the decoded panels the int8 path
     * took from 8 vectors; at 2, 4 and 6 tokens the per-vector kernels ran at 1.77×, 1.09× and
     * 0.84× against the tables' 0.58×, 0.65× and 0.69× (two threads, one harness run each).
     */
    static final int MIN_BATCH = 8;
    /** Weight rows per thread from which a few uneven tiles are shared by rows rather than by tiles (see {@link #products}). */
    private static final int MIN_SPLIT_ROWS = 512;

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int HALF = S.length();

    /** The width of the tile of vectors from b0 on ({@link #TILE} apart): narrow where at most {@link #NARROW_TILE} remain. */
    static int lanes(int batch, int b0) {
        return batch - b0 > NARROW_TILE ? TILE : NARROW_TILE;
    }

    /** Whether the product takes m: one scale per row, one segment (what the combine above assumes). */
    static boolean holds(PackedTernaryMatrix m) {
        return m instanceof TwoBitMatrix && m.layout().segments() == 1 && !m.twoScales();
    }

    /**
     * y_i[first + b] = x[b] · W_iᵀ (+ biases[i], null: none) on the int8 path, each ys[i] [rows_i]
     * per vector; every matrix {@link #holds held} and of one input layout. Vectors with NaN or
     * infinity go through the exact reference, as {@link TernaryMatmul#gemm} sends them. Work is
     * shared by tiles of vectors (each thread quantizes its tiles and builds their tables) where
     * they fall evenly on the threads, otherwise by blocks of weight rows (each thread then builds
     * every tile's tables for its rows), so no output depends on the thread count.
     */
    static void products(PackedTernaryMatrix[] ms, float[] x, int batch, float[][] ys, float[][] biases, int first, Parallel par) {
        ReductionLayout layout = ms[0].layout();
        long work = 0;
        int[] rows4 = new int[ms.length + 1];
        for (int i = 0; i < ms.length; i++) {
            if (!holds(ms[i]) || !ms[i].layout().sameOrder(layout)) throw new IllegalArgumentException("quad tables need TWO_BIT matrices of one input layout with one scale per row");
            work += (long) ms[i].rows() * layout.paddedK();
            rows4[i + 1] = rows4[i] + (ms[i].rows() + 3) / 4 * 4;
        }
        float[][] rowScales = new float[ms.length][];
        for (int i = 0; i < ms.length; i++) rowScales[i] = ms[i].rowScales();
        boolean[] finite = new boolean[batch];
        int tiles = (batch + TILE - 1) / TILE, all = rows4[ms.length];
        Parallel p = batch * work < TernaryMatmul.SERIAL_WORK ? Parallel.serial() : par;
        Tiles job = new Tiles(ms, rowScales, rows4, x, batch, ys, biases, first, finite);
        // whole tiles per thread when there are enough (as many as the threads or a multiple, all
        // wide, or enough to even out on demand); a narrow last tile among few leaves a thread idle,
        // but splitting the rows instead builds every table on each thread, which only a tall
        // product repays (two threads, 33-48 vectors: 1536 and 1152 rows 9-30 % faster by rows,
        // 384 rows up to 1.45x slower)
        boolean even = tiles % p.threads() == 0 && lanes(batch, (tiles - 1) * TILE) == TILE;
        boolean byTiles = tiles >= p.threads() && (tiles >= 2 * p.threads() || even || all < MIN_SPLIT_ROWS * p.threads());
        if (byTiles) {
            p.forRange(tiles, 1, (from, to) -> {
                for (int t = from; t < to; t++) job.tile(t, 0, all);
            });
        } else {
            p.forRange(all, Math.max(4, (all / p.threads() + 3) / 4 * 4), (from, to) -> {
                for (int t = 0; t < tiles; t++) job.tile(t, from, to);
            });
        }
        TernaryMatmul.exactWhereNotFinite(ms, x, finite, ys, biases, first);
    }

    /**
     * One product's matrices and vectors: its weight rows numbered across the matrices (matrix i's
     * from rows4[i], each padded to a whole tile of four rows) and its vectors in tiles {@link #TILE} apart.
     */
    private record Tiles(PackedTernaryMatrix[] ms, float[][] rowScales, int[] rows4, float[] x, int batch, float[][] ys, float[][] biases, int first, boolean[] finite) {

        /** Tile t's vectors quantized, transposed and tabled chunk by chunk, the weight rows [from, to) (multiples of four) swept and stored. */
        void tile(int t, int from, int to) {
            ReductionLayout layout = ms[0].layout();
            int b0 = t * TILE, lanes = lanes(batch, b0), count = Math.min(lanes, batch - b0);
            int kp = layout.paddedK();
            QuantizedActivations a = QuantizedActivations.levelsInScratch(layout, count);
            for (int j = 0; j < count; j++) {
                a.quantize(layout, x, b0 + j, j);
                if (from == 0) finite[b0 + j] = a.finite[j];
            }
            short[] xt = Scratch.shorts(Scratch.Slot.QUAD_LEVELS, kp * lanes);
            transpose(a.q, count, kp, lanes, xt);
            short[] part = Scratch.shorts(Scratch.Slot.PARTIAL_SUMS, to * lanes);
            int[] sums = Scratch.ints(Scratch.Slot.SUMS, to * lanes);
            Arrays.fill(part, from * lanes, to * lanes, (short) 0);
            Arrays.fill(sums, from * lanes, to * lanes, 0);
            int slot = QuadTableSpace.acquire();
            try {
                chunks(xt, lanes, slot, part, sums, from, to);
            } finally {
                QuadTableSpace.release(slot);
            }
            widen(part, sums, from * lanes, to * lanes);
            for (int i = 0; i < ms.length; i++) {
                int r0 = Math.max(from, rows4[i]), r1 = Math.min(to, rows4[i] + ms[i].rows());
                if (r0 < r1) store(ms[i], rowScales[i], sums, rows4[i], r0 - rows4[i], r1 - rows4[i], lanes, a, b0, count, ys[i], biases[i], first);
            }
        }

        /**
         * The weight rows [from, to) swept over the tables of every chunk's inputs (built in the
         * slot's space), into the int16 sums part, widened into sums before a chunk that could overflow them.
         */
        private void chunks(short[] xt, int lanes, int slot, short[] part, int[] sums, int from, int to) {
            int chunks = ms[0].layout().paddedK() / ReductionLayout.CHUNK, table = 256 * lanes;
            int bound = 0, tables = QuadTableSpace.base(slot);
            for (int c = 0; c < chunks; c++) {
                int chunkBound = absSum(xt, c, lanes);
                if (bound + chunkBound > Short.MAX_VALUE) {
                    widen(part, sums, from * lanes, to * lanes);
                    bound = 0;
                }
                bound += chunkBound;
                for (int lane = 0; lane < 16; lane += 2) {
                    int p = c * ReductionLayout.CHUNK + lane;
                    build(xt, p, lanes, tables);
                    build(xt, p + 64, lanes, tables + table);
                    build(xt, p + 1, lanes, tables + 2 * table);
                    build(xt, p + 65, lanes, tables + 3 * table);
                    for (int i = 0; i < ms.length; i++) {
                        int r0 = Math.max(from, rows4[i]), r1 = Math.min(to, rows4[i + 1]);
                        if (r0 >= r1) continue;
                        TwoBitMatrix m = (TwoBitMatrix) ms[i];
                        int perTile = 4 * m.shortsPerRow(), cb = c * 64 + lane + (r0 - rows4[i]) / 4 * perTile;
                        if (lanes == TILE) sweep(m.codes(), perTile, cb, slot, part, r0 * lanes, r1 * lanes);
                        else sweepNarrow(m.codes(), perTile, cb, slot, part, r0 * lanes, r1 * lanes);
                    }
                }
            }
        }
    }

    /** xt[p·lanes + j] = level p of vector j for the tile's count vectors, 0 in the lanes past them. */
    private static void transpose(short[] q, int count, int kp, int lanes, short[] xt) {
        if (count < lanes) Arrays.fill(xt, 0, kp * lanes, (short) 0);
        for (int j = 0; j < count; j++) {
            for (int p = 0, from = j * kp; p < kp; p++) xt[p * lanes + j] = q[from + p];
        }
    }

    /**
     * The largest Σ |level| over chunk c's 128 inputs among the tile's vectors: no int16 sum of
     * the chunk's products can exceed it, so the sums are widened only before a chunk that could
     * take some past int16 (at most 128 · 127 = 16 256 per chunk, so every chunk fits after a widen).
     */
    private static int absSum(short[] xt, int c, int lanes) {
        ShortVector lo = ShortVector.zero(S), hi = lo;
        for (int p = c * ReductionLayout.CHUNK, end = p + ReductionLayout.CHUNK; p < end; p++) {
            lo = lo.add(ShortVector.fromArray(S, xt, p * lanes).abs());
            if (lanes == TILE) hi = hi.add(ShortVector.fromArray(S, xt, p * lanes + HALF).abs());
        }
        return lo.max(hi).reduceLanes(VectorOperators.MAX);
    }

    /** The table of inputs p, p + 16, p + 32, p + 48 from {@link QuadTableSpace#TABLES}[t]: row u₀ + 4u₁ + 16u₂ + 64u₃ holds Σ (uᵢ − 1)·q(p + 16i), lanes wide. */
    private static void build(short[] xt, int p, int lanes, int t) {
        short[] tables = QuadTableSpace.TABLES;
        for (int o = 0; o < lanes; o += HALF) {
            ShortVector x0 = ShortVector.fromArray(S, xt, p * lanes + o), x1 = ShortVector.fromArray(S, xt, (p + 16) * lanes + o);
            ShortVector x2 = ShortVector.fromArray(S, xt, (p + 32) * lanes + o), x3 = ShortVector.fromArray(S, xt, (p + 48) * lanes + o);
            ShortVector zero = ShortVector.zero(S), n0 = x0.neg(), n1 = x1.neg();
            // the nine sums of the first two inputs, at row offsets u₀ + 4u₁
            ShortVector s0 = n0.sub(x1), s1 = n1, s2 = x0.sub(x1), s4 = n0, s6 = x0, s8 = x1.sub(x0), s9 = x1, s10 = x0.add(x1);
            for (int u3 = 0; u3 < 3; u3++) {
                ShortVector d3 = u3 == 0 ? x3.neg() : u3 == 1 ? zero : x3;
                for (int u2 = 0; u2 < 3; u2++) {
                    ShortVector h = u2 == 0 ? d3.sub(x2) : u2 == 1 ? d3 : d3.add(x2);
                    int row = t + (16 * u2 + 64 * u3) * lanes + o;
                    s0.add(h).intoArray(tables, row);
                    s1.add(h).intoArray(tables, row + lanes);
                    s2.add(h).intoArray(tables, row + 2 * lanes);
                    s4.add(h).intoArray(tables, row + 4 * lanes);
                    h.intoArray(tables, row + 5 * lanes);
                    s6.add(h).intoArray(tables, row + 6 * lanes);
                    s8.add(h).intoArray(tables, row + 8 * lanes);
                    s9.add(h).intoArray(tables, row + 9 * lanes);
                    s10.add(h).intoArray(tables, row + 10 * lanes);
                }
            }
        }
    }

    /** Shorts per table of {@link #TILE} and of {@link #NARROW_TILE} lanes: a row for each of the 256 byte values. */
    private static final int TABLE = 256 * TILE, NARROW_TABLE = 256 * NARROW_TILE;

    /**
     * Every tile of four weight rows (tile t's codes from cb + t·perTile: row j's short for the
     * pass's first lane at 16j, the second lane's next to it) adds its four table rows into its
     * int16 sums, from o to end. One loop nest with nothing else live, so that C2 keeps the arrays
     * in registers (inside the chunk loop it spilled them and reloaded them at every lookup); the
     * tables are the slot's in {@link QuadTableSpace}, read without bounds checks.
     */
    private static void sweep(short[] codes, int perTile, int cb, int slot, short[] part, int o, int end) {
        short[] tables = QuadTableSpace.TABLES;
        int base = QuadTableSpace.base(slot);
        for (; o < end; cb += perTile) {
            for (int j = 0; j < 4; j++, o += TILE) {
                int c0 = codes[cb + 16 * j], c1 = codes[cb + 16 * j + 1];
                int i0 = base + (c0 & 0xFF) * TILE, i1 = base + TABLE + (c0 >> 8 & 0xFF) * TILE;
                int i2 = base + 2 * TABLE + (c1 & 0xFF) * TILE, i3 = base + 3 * TABLE + (c1 >> 8 & 0xFF) * TILE;
                ShortVector lo = ShortVector.fromArray(S, part, o).add(ShortVector.fromArray(S, tables, i0)).add(ShortVector.fromArray(S, tables, i1))
                        .add(ShortVector.fromArray(S, tables, i2)).add(ShortVector.fromArray(S, tables, i3));
                ShortVector hi = ShortVector.fromArray(S, part, o + HALF).add(ShortVector.fromArray(S, tables, i0 + HALF)).add(ShortVector.fromArray(S, tables, i1 + HALF))
                        .add(ShortVector.fromArray(S, tables, i2 + HALF)).add(ShortVector.fromArray(S, tables, i3 + HALF));
                lo.intoArray(part, o);
                hi.intoArray(part, o + HALF);
            }
        }
    }

    /** {@link #sweep} for tiles of {@link #NARROW_TILE} vectors: one vector per table row. */
    private static void sweepNarrow(short[] codes, int perTile, int cb, int slot, short[] part, int o, int end) {
        short[] tables = QuadTableSpace.TABLES;
        int base = QuadTableSpace.base(slot);
        for (; o < end; cb += perTile) {
            for (int j = 0; j < 4; j++, o += NARROW_TILE) {
                int c0 = codes[cb + 16 * j], c1 = codes[cb + 16 * j + 1];
                int i0 = base + (c0 & 0xFF) * NARROW_TILE, i1 = base + NARROW_TABLE + (c0 >> 8 & 0xFF) * NARROW_TILE;
                int i2 = base + 2 * NARROW_TABLE + (c1 & 0xFF) * NARROW_TILE, i3 = base + 3 * NARROW_TABLE + (c1 >> 8 & 0xFF) * NARROW_TILE;
                ShortVector.fromArray(S, part, o).add(ShortVector.fromArray(S, tables, i0)).add(ShortVector.fromArray(S, tables, i1))
                        .add(ShortVector.fromArray(S, tables, i2)).add(ShortVector.fromArray(S, tables, i3)).intoArray(part, o);
            }
        }
    }

    /** The int16 sums [from, to) added into the int32 ones, and cleared (each half by a constant part: C2 intrinsifies only those). */
    private static void widen(short[] part, int[] sums, int from, int to) {
        ShortVector zero = ShortVector.zero(S);
        int q = I.length();
        for (int i = from; i < to; i += HALF) {
            ShortVector s = ShortVector.fromArray(S, part, i);
            IntVector.fromArray(I, sums, i).add(s.convertShape(VectorOperators.S2I, I, 0)).intoArray(sums, i);
            IntVector.fromArray(I, sums, i + q).add(s.convertShape(VectorOperators.S2I, I, 1)).intoArray(sums, i + q);
            zero.intoArray(part, i);
        }
    }

    /**
     * Each finite vector's outputs of m's rows [from, to): (0 + scale[r]·Σ)·scale[b], plus the bias
     * if any, into row first + b0 + j of y (m's sums from row base, lanes per row); eight rows at a
     * time, their sums gathered per vector while those rows' sums stay in L1 for every vector of the tile.
     */
    private static void store(PackedTernaryMatrix m, float[] rowScales, int[] sums, int base, int from, int to, int lanes, QuantizedActivations a, int b0, int count, float[] y, float[] bias, int first) {
        int rows = m.rows(), r = from;
        int[] gather = lanes == TILE ? GATHER : GATHER_NARROW;
        for (; r + F.length() <= to; r += F.length()) {
            FloatVector rowScale = FloatVector.fromArray(F, rowScales, r);
            for (int j = 0; j < count; j++) {
                if (!a.finite[j]) continue;
                FloatVector sum = (FloatVector) IntVector.fromArray(I, sums, (base + r) * lanes + j, gather, 0).convert(VectorOperators.I2F, 0);
                FloatVector v = FloatVector.zero(F).add(rowScale.mul(sum)).mul(a.scale[j]);
                if (bias != null) v = v.add(FloatVector.fromArray(F, bias, r));
                v.intoArray(y, (first + b0 + j) * rows + r);
            }
        }
        for (; r < to; r++) {
            for (int j = 0; j < count; j++) {
                if (!a.finite[j]) continue;
                float v = (0f + rowScales[r] * (float) sums[(base + r) * lanes + j]) * a.scale[j];
                y[(first + b0 + j) * rows + r] = bias == null ? v : v + bias[r];
            }
        }
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    /** Where eight rows' sums of one vector lie, a row's lanes apart. */
    private static final int[] GATHER = {0, TILE, 2 * TILE, 3 * TILE, 4 * TILE, 5 * TILE, 6 * TILE, 7 * TILE};
    private static final int[] GATHER_NARROW = {0, NARROW_TILE, 2 * NARROW_TILE, 3 * NARROW_TILE, 4 * NARROW_TILE, 5 * NARROW_TILE, 6 * NARROW_TILE, 7 * NARROW_TILE};
}
