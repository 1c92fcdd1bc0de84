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
 * spends sixteen FMAs; on the Zen 3 (one thread, 128 vectors) 49–57 G products/s at 384 × 384
 * and 58–66 at 1536 × 384 against the float panels' 37.
 *
 * <p>Tables are built four at a time (both bytes of two neighbouring lanes: 32 KiB of address
 * space, 10 KiB read) and every weight row is swept over them, into int16 sums widened to int32
 * only before a chunk whose activations could take one past int16 (bounded by the tile's Σ |level|
 * per chunk: with activations quantized by their largest value, usually never). The sums are
 * exact, so each output is combined as the per-vector integer kernels combine theirs (one scale
 * per row, one segment): (0 + scale[r]·Σ code·q)·scale[b], the same bits. Several matrices of one
 * input layout (a transformer layer's query, key and value) share the tile's tables.
 */
final class QuadLutGemm {
    private QuadLutGemm() {}

    /** Vectors per tile: two 256-bit int16 vectors per table row. */
    static final int TILE = 32;
    /** Vectors from which tiles of {@link #TILE} beat the float panels despite the empty lanes of a partial tile. */
    static final int MIN_BATCH = 24;

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int HALF = S.length();
    /** Shorts per table: a row of TILE lanes for each of the 256 byte values. */
    private static final int TABLE = 256 * TILE;

    /** Whether the product takes m: one scale per row, one segment (what the combine above assumes). */
    static boolean holds(PackedTernaryMatrix m) {
        return m instanceof TwoBitMatrix && m.layout().segments() == 1 && !m.twoScales();
    }

    /**
     * y_i[first + b] = x[b] · W_iᵀ (+ biases[i], null: none) on the int8 path, each ys[i] [rows_i]
     * per vector; every matrix {@link #holds held} and of one input layout. Vectors with NaN or
     * infinity go through the exact reference, as {@link TernaryMatmul#gemm} sends them. Work is
     * shared by tiles of vectors (each thread quantizes its tiles and builds their tables), so no
     * output depends on the thread count.
     */
    static void products(PackedTernaryMatrix[] ms, float[] x, int batch, float[][] ys, float[][] biases, int first, Parallel par) {
        ReductionLayout layout = ms[0].layout();
        long work = 0;
        for (int i = 0; i < ms.length; i++) {
            if (!holds(ms[i]) || !ms[i].layout().sameOrder(layout)) throw new IllegalArgumentException("quad tables need TWO_BIT matrices of one input layout with one scale per row");
            work += (long) ms[i].rows() * layout.paddedK();
        }
        float[][] rowScales = new float[ms.length][];
        for (int i = 0; i < ms.length; i++) rowScales[i] = ms[i].rowScales();
        boolean[] finite = new boolean[batch];
        int tiles = (batch + TILE - 1) / TILE;
        Parallel p = batch * work < TernaryMatmul.SERIAL_WORK ? Parallel.serial() : par;
        p.forRange(tiles, 1, (from, to) -> {
            for (int t = from; t < to; t++) tile(ms, rowScales, x, t * TILE, Math.min(TILE, batch - t * TILE), ys, biases, first, finite);
        });
        TernaryMatmul.exactWhereNotFinite(ms, x, finite, ys, biases, first);
    }

    /** Vectors [b0, b0 + count) of x through every matrix: quantized, transposed, tabled chunk by chunk, swept. */
    private static void tile(PackedTernaryMatrix[] ms, float[][] rowScales, float[] x, int b0, int count, float[][] ys, float[][] biases, int first, boolean[] finite) {
        ReductionLayout layout = ms[0].layout();
        int kp = layout.paddedK(), chunks = kp / ReductionLayout.CHUNK;
        QuantizedActivations a = QuantizedActivations.levelsInScratch(layout, count);
        for (int j = 0; j < count; j++) {
            a.quantize(layout, x, b0 + j, j);
            finite[b0 + j] = a.finite[j];
        }
        short[] xt = Scratch.shorts(Scratch.Slot.QUAD_LEVELS, kp * TILE);
        transpose(a.q, count, kp, xt);
        int[] at = new int[ms.length + 1];
        for (int i = 0; i < ms.length; i++) at[i + 1] = at[i] + (ms[i].rows() + 3) / 4 * 4 * TILE;
        short[] tables = Scratch.shorts(Scratch.Slot.TABLES, 4 * TABLE);
        short[] part = Scratch.shorts(Scratch.Slot.PARTIAL_SUMS, at[ms.length]);
        int[] sums = Scratch.ints(Scratch.Slot.SUMS, at[ms.length]);
        Arrays.fill(part, 0, at[ms.length], (short) 0);
        Arrays.fill(sums, 0, at[ms.length], 0);
        int bound = 0;
        for (int c = 0; c < chunks; c++) {
            int chunkBound = absSum(xt, c);
            if (bound + chunkBound > Short.MAX_VALUE) {
                widen(part, sums, at[ms.length]);
                bound = 0;
            }
            bound += chunkBound;
            for (int lane = 0; lane < 16; lane += 2) {
                int p = c * ReductionLayout.CHUNK + lane;
                build(xt, p, tables, 0);
                build(xt, p + 64, tables, TABLE);
                build(xt, p + 1, tables, 2 * TABLE);
                build(xt, p + 65, tables, 3 * TABLE);
                for (int i = 0; i < ms.length; i++) {
                    TwoBitMatrix m = (TwoBitMatrix) ms[i];
                    short[] codes = m.codes();
                    int perRow = m.shortsPerRow(), cb = c * 64 + lane;
                    sweep(codes, 4 * perRow, cb, tables, part, at[i], at[i + 1]);
                }
            }
        }
        widen(part, sums, at[ms.length]);
        for (int i = 0; i < ms.length; i++) store(ms[i], rowScales[i], sums, at[i], a, b0, count, ys[i], biases[i], first);
    }

    /** xt[p·TILE + j] = level p of vector j for the tile's count vectors, 0 in the lanes past them. */
    private static void transpose(short[] q, int count, int kp, short[] xt) {
        if (count < TILE) Arrays.fill(xt, 0, kp * TILE, (short) 0);
        for (int j = 0; j < count; j++) {
            for (int p = 0, from = j * kp; p < kp; p++) xt[p * TILE + j] = q[from + p];
        }
    }

    /**
     * The largest Σ |level| over chunk c's 128 inputs among the tile's vectors: no int16 sum of
     * the chunk's products can exceed it, so the sums are widened only before a chunk that could
     * take some past int16 (at most 128 · 127 = 16 256 per chunk, so every chunk fits after a widen).
     */
    private static int absSum(short[] xt, int c) {
        ShortVector lo = ShortVector.zero(S), hi = lo;
        for (int p = c * ReductionLayout.CHUNK, end = p + ReductionLayout.CHUNK; p < end; p++) {
            lo = lo.add(ShortVector.fromArray(S, xt, p * TILE).abs());
            hi = hi.add(ShortVector.fromArray(S, xt, p * TILE + HALF).abs());
        }
        return lo.max(hi).reduceLanes(VectorOperators.MAX);
    }

    /** The table of inputs p, p + 16, p + 32, p + 48 into tables from t: row u₀ + 4u₁ + 16u₂ + 64u₃ holds Σ (uᵢ − 1)·q(p + 16i). */
    private static void build(short[] xt, int p, short[] tables, int t) {
        for (int o = 0; o < TILE; o += HALF) {
            ShortVector x0 = ShortVector.fromArray(S, xt, p * TILE + o), x1 = ShortVector.fromArray(S, xt, (p + 16) * TILE + o);
            ShortVector x2 = ShortVector.fromArray(S, xt, (p + 32) * TILE + o), x3 = ShortVector.fromArray(S, xt, (p + 48) * TILE + o);
            ShortVector zero = ShortVector.zero(S), n0 = x0.neg(), n1 = x1.neg();
            // the nine sums of the first two inputs, at row offsets u₀ + 4u₁
            ShortVector s0 = n0.sub(x1), s1 = n1, s2 = x0.sub(x1), s4 = n0, s6 = x0, s8 = x1.sub(x0), s9 = x1, s10 = x0.add(x1);
            for (int u3 = 0; u3 < 3; u3++) {
                ShortVector d3 = u3 == 0 ? x3.neg() : u3 == 1 ? zero : x3;
                for (int u2 = 0; u2 < 3; u2++) {
                    ShortVector h = u2 == 0 ? d3.sub(x2) : u2 == 1 ? d3 : d3.add(x2);
                    int row = t + (16 * u2 + 64 * u3) * TILE + o;
                    s0.add(h).intoArray(tables, row);
                    s1.add(h).intoArray(tables, row + TILE);
                    s2.add(h).intoArray(tables, row + 2 * TILE);
                    s4.add(h).intoArray(tables, row + 4 * TILE);
                    h.intoArray(tables, row + 5 * TILE);
                    s6.add(h).intoArray(tables, row + 6 * TILE);
                    s8.add(h).intoArray(tables, row + 8 * TILE);
                    s9.add(h).intoArray(tables, row + 9 * TILE);
                    s10.add(h).intoArray(tables, row + 10 * TILE);
                }
            }
        }
    }

    /**
     * Every tile of four weight rows (tile t's codes from cb + t·perTile: row j's short for the
     * pass's first lane at 16j, the second lane's next to it) adds its four table rows into its
     * int16 sums, from o to end. One loop nest with nothing else live, so that C2 keeps the arrays
     * in registers (inside the chunk loop it spilled them and reloaded them at every lookup).
     */
    private static void sweep(short[] codes, int perTile, int cb, short[] tables, short[] part, int o, int end) {
        for (; o < end; cb += perTile) {
            for (int j = 0; j < 4; j++, o += TILE) {
                int c0 = codes[cb + 16 * j], c1 = codes[cb + 16 * j + 1];
                int i0 = (c0 & 0xFF) * TILE, i1 = TABLE + (c0 >> 8 & 0xFF) * TILE, i2 = 2 * TABLE + (c1 & 0xFF) * TILE, i3 = 3 * TABLE + (c1 >> 8 & 0xFF) * TILE;
                ShortVector lo = ShortVector.fromArray(S, part, o).add(ShortVector.fromArray(S, tables, i0)).add(ShortVector.fromArray(S, tables, i1))
                        .add(ShortVector.fromArray(S, tables, i2)).add(ShortVector.fromArray(S, tables, i3));
                ShortVector hi = ShortVector.fromArray(S, part, o + HALF).add(ShortVector.fromArray(S, tables, i0 + HALF)).add(ShortVector.fromArray(S, tables, i1 + HALF))
                        .add(ShortVector.fromArray(S, tables, i2 + HALF)).add(ShortVector.fromArray(S, tables, i3 + HALF));
                lo.intoArray(part, o);
                hi.intoArray(part, o + HALF);
            }
        }
    }

    /** The int16 sums [0, n) added into the int32 ones, and cleared (each half by a constant part: C2 intrinsifies only those). */
    private static void widen(short[] part, int[] sums, int n) {
        ShortVector zero = ShortVector.zero(S);
        int q = I.length();
        for (int i = 0; i < n; i += HALF) {
            ShortVector s = ShortVector.fromArray(S, part, i);
            IntVector.fromArray(I, sums, i).add(s.convertShape(VectorOperators.S2I, I, 0)).intoArray(sums, i);
            IntVector.fromArray(I, sums, i + q).add(s.convertShape(VectorOperators.S2I, I, 1)).intoArray(sums, i + q);
            zero.intoArray(part, i);
        }
    }

    /**
     * Each finite vector's outputs of m: (0 + scale[r]·Σ)·scale[b], plus the bias if any, into row
     * first + b0 + j of y; eight rows at a time, their sums gathered per vector (TILE apart) while
     * those rows' 1 KiB of sums stays in L1 for every vector of the tile.
     */
    private static void store(PackedTernaryMatrix m, float[] rowScales, int[] sums, int at, QuantizedActivations a, int b0, int count, float[] y, float[] bias, int first) {
        int rows = m.rows(), lanes = F.length(), r = 0;
        for (; r + lanes <= rows; r += lanes) {
            FloatVector rowScale = FloatVector.fromArray(F, rowScales, r);
            for (int j = 0; j < count; j++) {
                if (!a.finite[j]) continue;
                FloatVector sum = (FloatVector) IntVector.fromArray(I, sums, at + r * TILE + j, GATHER, 0).convert(VectorOperators.I2F, 0);
                FloatVector v = FloatVector.zero(F).add(rowScale.mul(sum)).mul(a.scale[j]);
                if (bias != null) v = v.add(FloatVector.fromArray(F, bias, r));
                v.intoArray(y, (first + b0 + j) * rows + r);
            }
        }
        for (; r < rows; r++) {
            for (int j = 0; j < count; j++) {
                if (!a.finite[j]) continue;
                float v = (0f + rowScales[r] * (float) sums[at + r * TILE + j]) * a.scale[j];
                y[(first + b0 + j) * rows + r] = bias == null ? v : v + bias[r];
            }
        }
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    /** Where eight rows' sums of one vector lie, TILE apart. */
    private static final int[] GATHER = {0, TILE, 2 * TILE, 3 * TILE, 4 * TILE, 5 * TILE, 6 * TILE, 7 * TILE};
}
