package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels of the {@link TriplesMatrix} layout: table lookups instead of
 * multiplies. For every triple of inputs the 27 sums d₀x₀ + d₁x₁ + d₂x₂ (d ∈ {−1, 0, 1}³) are
 * tabulated once per activation vector; a row's three codes, as the base-3 number
 * Σ (dᵢ + 1)·3ⁱ, index that table. The 32 short lanes of a 512-bit vector are 32 rows, so one
 * permute (vpermw, which reads only an index's low five bits) looks up 32 rows' sums at once,
 * and a short lane holds three 5-bit indices: one load of codes serves 9 inputs of 32 rows. Per
 * 96 weights that is one permute and one add, where the 2-bit kernel spends three multiplies,
 * shifts and adds (the multiplies were its bottleneck). T-MAC and bitnet.cpp's TL kernels
 * tabulate activations the same way, with 16-entry byte tables.
 *
 * <p>The int8 path adds int16 table entries (exact, so any tiling gives the same bits); the
 * exact path tabulates in float and adds entries in a fixed order per row. The tables of a whole
 * vector (87 KiB at 4096 inputs) do not fit L1, and their loads slowed the weight stream from
 * memory 2.5× (470 vs 180 µs for a 4096² GEMV with fixed tables): hence the blocked order of
 * {@link #offset}.
 */
final class TripleKernels {
    private TripleKernels() {}

    /** Rows per tile: the short lanes of a 512-bit vector. */
    static final int TILE = 32;
    /** Inputs per short lane: three triples of 5-bit indices. */
    static final int NINE = 9;
    /** Entries per table (27 used; an index never exceeds 26). */
    static final int ENTRIES = 32;
    /** Steps per step block: |entry| ≤ 3·127 and a step adds three, so 28 steps stay within int16 before widening. */
    static final int BLOCK_STEPS = 28;
    /**
     * Tiles per row block (2048 rows): the unit {@link TernaryMatmul} hands to a thread. Against
     * 1024 rows the 4096² GEMV on two threads went 103–114 → 90–101 µs (weights streamed from
     * memory, two alternating runs of a harness; 11008×4096 258–270 → 241–280), and 256 rows took
     * it to 162–168 µs: a thread reads one long stream of codes and each step block's tables serve
     * more tiles.
     */
    static final int BLOCK_TILES = 64;

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;

    /** dᵢ of table entry e for i = 0, 1, 2 (0 for the unused entries 27…31), as shorts and as floats. */
    static final short[][] DIGIT = new short[3][ENTRIES];
    private static final float[][] FLOAT_DIGIT = new float[3][ENTRIES];

    static {
        for (int e = 0; e < 27; e++) {
            DIGIT[0][e] = (short) (e % 3 - 1);
            DIGIT[1][e] = (short) (e / 3 % 3 - 1);
            DIGIT[2][e] = (short) (e / 9 - 1);
            for (int i = 0; i < 3; i++) FLOAT_DIGIT[i][e] = DIGIT[i][e];
        }
    }

    /** Index of three zero codes (dᵢ = 0): what pads hold. */
    static final int ZERO_TRIPLE = 13;

    /** The int16 tables of one quantized activation vector (q in padded order from q0), 32 entries per triple, into t from t0. */
    static void int8Tables(short[] q, int q0, int paddedK, short[] t, int t0) {
        ShortVector d0 = ShortVector.fromArray(S, DIGIT[0], 0), d1 = ShortVector.fromArray(S, DIGIT[1], 0), d2 = ShortVector.fromArray(S, DIGIT[2], 0);
        for (int g = 0, p = q0; g < paddedK / 3; g++, p += 3) {
            d0.mul(q[p]).add(d1.mul(q[p + 1])).add(d2.mul(q[p + 2])).intoArray(t, t0 + g * ENTRIES);
        }
    }

    /**
     * The float tables of one activation vector (padded order from x0) into t from t0, 32 entries
     * per triple: entry = (d₀x₀ + d₁x₁) + d₂x₂, products exact. Written into the caller's scratch:
     * a new array per call, zeroed and then overwritten, was half of a 128×1568 batch-1 product.
     */
    static void floatTables(float[] x, int x0, int paddedK, float[] t, int t0) {
        float[][] d = FLOAT_DIGIT;
        for (int half = 0; half < ENTRIES; half += F.length()) {
            FloatVector d0 = FloatVector.fromArray(F, d[0], half), d1 = FloatVector.fromArray(F, d[1], half), d2 = FloatVector.fromArray(F, d[2], half);
            for (int g = 0, p = x0; g < paddedK / 3; g++, p += 3) {
                d0.mul(x[p]).add(d1.mul(x[p + 1])).add(d2.mul(x[p + 2])).intoArray(t, t0 + g * ENTRIES + half);
            }
        }
    }

    /**
     * Adds Σ code·q over {@code steps} steps (≤ {@link #BLOCK_STEPS}) of one tile, codes from c0 and
     * tables from t0, to the tile's int sums at acc[a0…a0+32) (even rows, then odd rows: the
     * int16 lane pairs split by shifts when they widen).
     */
    private static void int8Segment(short[] codes, int c0, int steps, short[] tables, int t0, int[] acc, int a0) {
        ShortVector sum = ShortVector.zero(S);
        for (int s = 0; s < steps; s++) {
            ShortVector v = ShortVector.fromArray(S, codes, c0 + s * TILE);
            int t = t0 + s * 3 * ENTRIES;
            ShortVector first = v.selectFrom(ShortVector.fromArray(S, tables, t));
            ShortVector second = v.lanewise(VectorOperators.LSHR, (short) 5).selectFrom(ShortVector.fromArray(S, tables, t + ENTRIES));
            ShortVector third = v.lanewise(VectorOperators.LSHR, (short) 10).selectFrom(ShortVector.fromArray(S, tables, t + 2 * ENTRIES));
            // one add per step on the loop-carried chain, not three (C2 keeps the source's order):
            // 8 % less CPU per step on L2-resident codes; integer adds give the same sum in any order
            sum = sum.add(first.add(second).add(third));
        }
        IntVector pairs = sum.reinterpretAsInts();
        IntVector.fromArray(I, acc, a0).add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).intoArray(acc, a0);
        IntVector.fromArray(I, acc, a0 + 16).add(pairs.lanewise(VectorOperators.ASHR, 16)).intoArray(acc, a0 + 16);
    }

    /**
     * The exact path's segment of two tiles (codes from c0 and c1, sums at a0 and a1) over the same
     * steps and tables: float entries added to each row's running sum in step order, so blocking
     * changes no bits. The int view of a code vector holds rows 2i (low half) and 2i+1 (high half)
     * in lane i; the two-table permute (vpermt2d) reads an index's low five bits, so shifts alone
     * pick each row's index. Two tiles give four independent sums, where one tile's two waited on
     * their adds (each step adds three entries to each), and load each table once for both. A lone
     * tile passes itself twice (c1 = c0, a1 = a0: the same sums, stored twice), the cost of one
     * kernel instead of two, paid by the last tile of an odd count only.
     */
    private static void floatSegment(short[] codes, int c0, int c1, int steps, float[] tables, int t0, float[] acc, int a0, int a1) {
        FloatVector even0 = FloatVector.fromArray(F, acc, a0), odd0 = FloatVector.fromArray(F, acc, a0 + 16);
        FloatVector even1 = FloatVector.fromArray(F, acc, a1), odd1 = FloatVector.fromArray(F, acc, a1 + 16);
        for (int s = 0; s < steps; s++) {
            IntVector p = ShortVector.fromArray(S, codes, c0 + s * TILE).reinterpretAsInts();
            IntVector q = ShortVector.fromArray(S, codes, c1 + s * TILE).reinterpretAsInts();
            int t = t0 + s * 3 * ENTRIES;
            for (int j = 0; j < 3; j++, t += ENTRIES) {
                IntVector lo = FloatVector.fromArray(F, tables, t).reinterpretAsInts(), hi = FloatVector.fromArray(F, tables, t + 16).reinterpretAsInts();
                even0 = even0.add(p.lanewise(VectorOperators.LSHR, 5 * j).selectFrom(lo, hi).reinterpretAsFloats());
                odd0 = odd0.add(p.lanewise(VectorOperators.LSHR, 16 + 5 * j).selectFrom(lo, hi).reinterpretAsFloats());
                even1 = even1.add(q.lanewise(VectorOperators.LSHR, 5 * j).selectFrom(lo, hi).reinterpretAsFloats());
                odd1 = odd1.add(q.lanewise(VectorOperators.LSHR, 16 + 5 * j).selectFrom(lo, hi).reinterpretAsFloats());
            }
        }
        even0.intoArray(acc, a0);
        odd0.intoArray(acc, a0 + 16);
        even1.intoArray(acc, a1);
        odd1.intoArray(acc, a1 + 16);
    }

    /** Tiles of 32 rows that hold {@code rows} rows (at least one, so an empty matrix still has a shape). */
    static int tiles(int rows) {
        return Math.max(1, (rows + TILE - 1) / TILE);
    }

    /** Where a tile's row i sits among the tile's 32 sums: even rows first, then odd rows. */
    static int slot(int i) {
        return (i >> 1) + (i & 1) * 16;
    }

    /**
     * Where (row r, step s) lives: rows in blocks of {@link #BLOCK_TILES} tiles, each block's codes
     * ordered step block by step block ({@link #BLOCK_STEPS} steps), tile by tile inside a step
     * block, then step, then row of the tile. A block reads as one sequential stream, and each
     * step block's tables (5 KiB) stay in L1 while every tile of the row block uses them.
     */
    static int offset(int r, int s, int rows, int steps) {
        int tiles = tiles(rows), t = r / TILE, rb = t / BLOCK_TILES, nt = Math.min(BLOCK_TILES, tiles - rb * BLOCK_TILES);
        int sb = s / BLOCK_STEPS, ns = Math.min(BLOCK_STEPS, steps - sb * BLOCK_STEPS);
        return (rb * BLOCK_TILES * steps + sb * BLOCK_STEPS * nt + (t % BLOCK_TILES) * ns + s % BLOCK_STEPS) * TILE + r % TILE;
    }

    /** Int8 outputs of rows [from, to) for every finite vector b, its tables at tables[b·per …] (built from its q). */
    static void int8Rows(TriplesMatrix m, QuantizedActivations a, short[] tables, int per, int from, int to, float[] y) {
        int[][] acc = new int[a.batch][BLOCK_TILES * TILE];
        forBlocks(m, from, to, a.batch, b -> a.finite[b], b -> java.util.Arrays.fill(acc[b], 0),
                (c0, steps, t0, b, a0) -> int8Segment(m.triples(), c0, steps, tables, b * per + t0, acc[b], a0), null,
                (b, r, i) -> y[b * m.rows() + r] = (0f + m.scalePos().get(r) * (float) acc[b][i]) * a.scale[b]);
    }

    /** Exact outputs of rows [from, to) for every vector b with finite[b], its tables at tables[b·per …], into y's vector yFirst + b. */
    static void floatRows(TriplesMatrix m, float[] tables, int per, boolean[] finite, int from, int to, float[] y, int yFirst) {
        float[][] acc = new float[finite.length][BLOCK_TILES * TILE];
        forBlocks(m, from, to, finite.length, b -> finite[b], b -> java.util.Arrays.fill(acc[b], 0f),
                (c0, steps, t0, b, a0) -> floatSegment(m.triples(), c0, c0, steps, tables, b * per + t0, acc[b], a0, a0),
                (c0, steps, t0, b, a0) -> floatSegment(m.triples(), c0, c0 + steps * TILE, steps, tables, b * per + t0, acc[b], a0, a0 + TILE),
                (b, r, i) -> y[(yFirst + b) * m.rows() + r] = 0f + m.scalePos().get(r) * acc[b][i]);
    }

    @FunctionalInterface
    private interface Segment {
        void run(int c0, int steps, int t0, int b, int a0);
    }

    @FunctionalInterface
    private interface Output {
        /** Row r of vector b, whose sum is at index i of the block's sums. */
        void write(int b, int r, int i);
    }

    /**
     * Walks the row blocks that meet [from, to): each step block's code segment of each tile
     * meets every vector's tables (the codes stay in L1 across the batch), two tiles at a time
     * where {@code pair} is given, then the block's rows in [from, to) are written. A block that a range only partly covers is computed whole.
     */
    private static void forBlocks(TriplesMatrix m, int from, int to, int batch, java.util.function.IntPredicate live,
                                  java.util.function.IntConsumer reset, Segment segment, Segment pair, Output out) {
        int steps = m.nines(), tiles = tiles(m.rows()), blockRows = BLOCK_TILES * TILE;
        for (int rb = from / blockRows; rb * blockRows < to; rb++) {
            int nt = Math.min(BLOCK_TILES, tiles - rb * BLOCK_TILES);
            for (int b = 0; b < batch; b++) if (live.test(b)) reset.accept(b);
            for (int sb = 0; sb * BLOCK_STEPS < steps; sb++) {
                int ns = Math.min(BLOCK_STEPS, steps - sb * BLOCK_STEPS);
                int base = (rb * BLOCK_TILES * steps + sb * BLOCK_STEPS * nt) * TILE;
                for (int tb = 0; tb < nt; tb++) {
                    // pair (null: none) takes tiles tb and tb + 1, whose codes follow each other
                    boolean two = pair != null && tb + 1 < nt;
                    for (int b = 0; b < batch; b++) {
                        if (live.test(b)) (two ? pair : segment).run(base + tb * ns * TILE, ns, sb * BLOCK_STEPS * 3 * ENTRIES, b, tb * TILE);
                    }
                    if (two) tb++;
                }
            }
            int r0 = Math.max(from, rb * blockRows), r1 = Math.min(Math.min(to, m.rows()), (rb + 1) * blockRows);
            for (int b = 0; b < batch; b++) {
                if (!live.test(b)) continue;
                for (int r = r0; r < r1; r++) out.write(b, r, (r - rb * blockRows) / TILE * TILE + slot(r % TILE));
            }
        }
    }
}
