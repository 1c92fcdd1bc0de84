package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The int8 product of a {@link TriplesMatrix} with many quantized vectors by table lookups, the
 * tables shared across tiles: every vector's int16 tables (27 sums per triple of inputs, see
 * {@link TripleKernels}) are built once, then each quad of 32-row tiles sweeps four vectors at a
 * time: per triple, four index vectors, four table loads and sixteen permutes (vpermw) added into
 * sixteen int16 accumulators, widened to int32 every {@link TripleKernels#BLOCK_STEPS} steps
 * before they could overflow. Each permute and add is 96 weight-activation products, where the
 * float panel kernel spends six FMAs. The block is written out: four tiles by four vectors ran a
 * register-resident micro-benchmark at 4.3–4.8 G permutes/s, two tiles by eight (each table
 * load serving two permutes) at 2.6–2.7, six or eight by four or three spilled (2.5–3.1), and a
 * loop over the three triples of a code (shifted by 5 each time) at 3.7–3.8. The sums are exact
 * integers, so they equal the float panel product of the same integers bit for bit (|Σ| ≤ 127·k
 * < 2²⁴).
 */
final class LutGemm {
    private LutGemm() {}

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final int TILE = TripleKernels.TILE, ENTRIES = TripleKernels.ENTRIES, BLOCK = TripleKernels.BLOCK_STEPS;
    /** Tiles and vectors per register block. */
    static final int TILES = 4, VECTORS = 4;
    /** A table index: the low five bits of a lane (selectFrom wraps indices to them as well). */
    private static final short INDEX = 31;

    /** y[b·rows + r] = Σ code·q of row r and vector b of the quantized a, as a float (vectors with non-finite input have q = 0 and get 0). */
    static void sums(TriplesMatrix m, QuantizedActivations a, float[] y, Parallel par) {
        run(new Target[] {new Target(m, null, null, y)}, a, null, 0, par);
    }

    /**
     * y[b·rows + r] = (0 + scale[r]·Σ code·q)·a.scale[b] + bias[r], the int8 output of row r and
     * vector b as {@link TripleKernels#int8Rows} combines it (+0 for −0) and the Add after the
     * product adds its bias (none where biases[i] is null; added here, while the tile is in L1: as
     * a pass of its own over a thread's rows it was 3.5 % of MiniLM at batch 32 × 128 tokens),
     * scale the rows' positive scales, q the levels of x's vector b, for several matrices of one layout at once (one, or a transformer
     * layer's query, key and value projections): each chunk of vectors is quantized and its tables
     * built once, then every matrix's tiles are swept over them; vector b's outputs by matrix i go
     * to row first + b of ys[i] ([rows_i] each), with the bits that matrix's product alone gives
     * them. Returns the quantized vectors (their levels valid until the calling thread quantizes
     * again): those that are not finite got 0.
     */
    static QuantizedActivations products(TriplesMatrix[] ms, float[] x, int batch, float[][] ys, float[][] biases, int first, Parallel par) {
        QuantizedActivations a = QuantizedActivations.inScratch(ms[0].layout(), batch);
        Target[] targets = new Target[ms.length];
        for (int i = 0; i < ms.length; i++) {
            if (!ms[i].layout().sameOrder(ms[0].layout())) throw new IllegalArgumentException("matrices of a shared product must have one input layout");
            targets[i] = new Target(ms[i], ms[i].rowScales(), biases[i], ys[i]);
        }
        run(targets, a, x, first, par);
        return a;
    }

    /** One matrix of a product: its rows' scales (null: the sums alone), the bias added after them (null: none) and its outputs' array, one row of y per vector. */
    private record Target(TriplesMatrix m, float[] rowScales, float[] bias, float[] y) {}

    /**
     * The sums, each times its row's scale and its vector's (rowScales null: the sums alone). Work
     * is shared by chunks of vectors: a thread quantizes its chunk's vectors (x null: a holds them
     * already), builds their tables and sweeps every tile quad over them, so nothing one thread
     * writes is read by another and the product is one hand-over (three, quantizing, building and
     * sweeping, cost MiniLM about a millisecond of start delays a run).
     */
    private static void run(Target[] targets, QuantizedActivations a, float[] x, int first, Parallel par) {
        ReductionLayout layout = targets[0].m().layout();
        int kp = a.paddedK, batch = a.batch, per = kp / 3 * ENTRIES;
        long rowsAll = 0;
        for (Target g : targets) rowsAll += g.m().rows();
        int share = (batch + par.threads() - 1) / par.threads(), chunk = Math.min(chunk(per), (share + VECTORS - 1) / VECTORS * VECTORS);
        Parallel p = batch * rowsAll * kp < TernaryMatmul.SERIAL_WORK ? Parallel.serial() : par;
        p.forRange(batch, chunk, (from, to) -> {
            short[] tables = Scratch.shorts(Scratch.Slot.TABLES, chunk * per);
            int[] acc = Scratch.ints(Scratch.Slot.SUMS, TILES * chunk * TILE);
            short[] part = Scratch.shorts(Scratch.Slot.PARTIAL_SUMS, TILES * chunk * TILE);
            for (int b0 = from; b0 < to; b0 += chunk) {
                int count = Math.min(chunk, to - b0);
                if (x != null) for (int b = b0; b < b0 + count; b++) a.quantize(layout, x, b);
                for (int j = 0; j < count; j++) TripleKernels.int8Tables(a.q, (b0 + j) * kp, kp, tables, j * per);
                for (Target g : targets) sweep(g, a, tables, per, acc, part, b0, count, first);
            }
        });
    }

    /** Every tile quad of g's matrix over the tables of vectors [b0, b0 + count), each output scaled and stored in row first + b of g.y. */
    private static void sweep(Target g, QuantizedActivations a, short[] tables, int per, int[] acc, short[] part, int b0, int count, int first) {
        TriplesMatrix m = g.m();
        int rows = m.rows(), nines = m.nines(), tiles = TripleKernels.tiles(rows), span = count * TILE;
        short[] codes = m.triples();
        for (int t0 = 0; t0 < tiles; t0 += TILES) {
            java.util.Arrays.fill(acc, 0, TILES * span, 0);
            for (int s0 = 0; s0 < nines; s0 += BLOCK) {
                Codes c = Codes.of(t0, tiles, s0, rows, nines);
                int j = 0, t = s0 * 3 * ENTRIES;
                for (; j + VECTORS <= count; j += VECTORS) block(codes, c, tables, t + j * per, per, part, j * TILE, span);
                for (; j < count; j++) block1(codes, c, tables, t + j * per, part, j * TILE, span);
                // a step block's int16 sums into the int32 ones (block cannot widen: a vector handed to a method C2 does not inline is boxed)
                for (int i = 0; i < TILES * span; i += TILE) widen(ShortVector.fromArray(S, part, i), acc, i);
            }
            // tiles past the last (a quad's repeats of it) were swept, their sums are not used
            for (int h = 0; h < TILES && t0 + h < tiles; h++) {
                int r0 = (t0 + h) * TILE, n = Math.min(TILE, rows - r0);
                for (int j = 0; j < count; j++) {
                    int b = b0 + j, o = h * span + j * TILE, at = (first + b) * rows + r0;
                    if (g.rowScales() == null) store(acc, o, g.y(), at, n);
                    else store(acc, o, g.rowScales(), g.bias(), r0, a.scale[b], g.y(), at, n);
                }
            }
        }
    }

    /**
     * Vectors whose tables a thread sweeps at a time, a multiple of {@link #VECTORS}: about 256 KiB
     * of tables, so that they stay in L2 while every tile quad of the layer reads them (32 vectors
     * at 384 inputs, 8 at 1536; a whole batch's, 885 KB for 128 vectors at 384 inputs, did not, and
     * two threads each streaming them ran slower than one).
     */
    static int chunk(int per) {
        int vectors = (256 << 10) / (2 * per);
        return Math.clamp(vectors / VECTORS * VECTORS, VECTORS, 64);
    }

    /** Where a tile quad's codes of one step block start (tiles past the last repeat it), and its steps (codes of a step every 32 shorts). */
    private record Codes(int c0, int c1, int c2, int c3, int steps) {
        static Codes of(int t0, int tiles, int s0, int rows, int nines) {
            int last = tiles - 1;
            return new Codes(at(Math.min(t0, last), s0, rows, nines), at(Math.min(t0 + 1, last), s0, rows, nines),
                    at(Math.min(t0 + 2, last), s0, rows, nines), at(Math.min(t0 + 3, last), s0, rows, nines), Math.min(BLOCK, nines - s0));
        }

        private static int at(int tile, int s0, int rows, int nines) {
            return TripleKernels.offset(tile * TILE, s0, rows, nines);
        }
    }

    /**
     * Four vectors (tables t0, t0 + per, …) over one step block of a tile quad, their int16 sums
     * into part: tile h's for vector j at part[p0 + h·span + j·32 …] (rows in order). Accumulator aHJ is
     * tile H and vector J. A code lane holds three 5-bit table indices, bits 0–4, 5–9 and 10–14.
     */
    private static void block(short[] codes, Codes c, short[] t, int t0, int per, short[] part, int p0, int span) {
        ShortVector z = ShortVector.zero(S);
        ShortVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        ShortVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        for (int s = 0; s < c.steps(); s++) {
            ShortVector u0 = ShortVector.fromArray(S, codes, c.c0() + s * TILE), u1 = ShortVector.fromArray(S, codes, c.c1() + s * TILE);
            ShortVector u2 = ShortVector.fromArray(S, codes, c.c2() + s * TILE), u3 = ShortVector.fromArray(S, codes, c.c3() + s * TILE);
            int o = t0 + s * 3 * ENTRIES;

            ShortVector i0 = u0.and(INDEX), i1 = u1.and(INDEX), i2 = u2.and(INDEX), i3 = u3.and(INDEX);
            ShortVector x = ShortVector.fromArray(S, t, o);
            a00 = a00.add(i0.selectFrom(x)); a10 = a10.add(i1.selectFrom(x)); a20 = a20.add(i2.selectFrom(x)); a30 = a30.add(i3.selectFrom(x));
            x = ShortVector.fromArray(S, t, o + per);
            a01 = a01.add(i0.selectFrom(x)); a11 = a11.add(i1.selectFrom(x)); a21 = a21.add(i2.selectFrom(x)); a31 = a31.add(i3.selectFrom(x));
            x = ShortVector.fromArray(S, t, o + 2 * per);
            a02 = a02.add(i0.selectFrom(x)); a12 = a12.add(i1.selectFrom(x)); a22 = a22.add(i2.selectFrom(x)); a32 = a32.add(i3.selectFrom(x));
            x = ShortVector.fromArray(S, t, o + 3 * per);
            a03 = a03.add(i0.selectFrom(x)); a13 = a13.add(i1.selectFrom(x)); a23 = a23.add(i2.selectFrom(x)); a33 = a33.add(i3.selectFrom(x));

            o += ENTRIES;
            i0 = u0.lanewise(VectorOperators.LSHR, 5).and(INDEX); i1 = u1.lanewise(VectorOperators.LSHR, 5).and(INDEX);
            i2 = u2.lanewise(VectorOperators.LSHR, 5).and(INDEX); i3 = u3.lanewise(VectorOperators.LSHR, 5).and(INDEX);
            x = ShortVector.fromArray(S, t, o);
            a00 = a00.add(i0.selectFrom(x)); a10 = a10.add(i1.selectFrom(x)); a20 = a20.add(i2.selectFrom(x)); a30 = a30.add(i3.selectFrom(x));
            x = ShortVector.fromArray(S, t, o + per);
            a01 = a01.add(i0.selectFrom(x)); a11 = a11.add(i1.selectFrom(x)); a21 = a21.add(i2.selectFrom(x)); a31 = a31.add(i3.selectFrom(x));
            x = ShortVector.fromArray(S, t, o + 2 * per);
            a02 = a02.add(i0.selectFrom(x)); a12 = a12.add(i1.selectFrom(x)); a22 = a22.add(i2.selectFrom(x)); a32 = a32.add(i3.selectFrom(x));
            x = ShortVector.fromArray(S, t, o + 3 * per);
            a03 = a03.add(i0.selectFrom(x)); a13 = a13.add(i1.selectFrom(x)); a23 = a23.add(i2.selectFrom(x)); a33 = a33.add(i3.selectFrom(x));

            o += ENTRIES;
            i0 = u0.lanewise(VectorOperators.LSHR, 10).and(INDEX); i1 = u1.lanewise(VectorOperators.LSHR, 10).and(INDEX);
            i2 = u2.lanewise(VectorOperators.LSHR, 10).and(INDEX); i3 = u3.lanewise(VectorOperators.LSHR, 10).and(INDEX);
            x = ShortVector.fromArray(S, t, o);
            a00 = a00.add(i0.selectFrom(x)); a10 = a10.add(i1.selectFrom(x)); a20 = a20.add(i2.selectFrom(x)); a30 = a30.add(i3.selectFrom(x));
            x = ShortVector.fromArray(S, t, o + per);
            a01 = a01.add(i0.selectFrom(x)); a11 = a11.add(i1.selectFrom(x)); a21 = a21.add(i2.selectFrom(x)); a31 = a31.add(i3.selectFrom(x));
            x = ShortVector.fromArray(S, t, o + 2 * per);
            a02 = a02.add(i0.selectFrom(x)); a12 = a12.add(i1.selectFrom(x)); a22 = a22.add(i2.selectFrom(x)); a32 = a32.add(i3.selectFrom(x));
            x = ShortVector.fromArray(S, t, o + 3 * per);
            a03 = a03.add(i0.selectFrom(x)); a13 = a13.add(i1.selectFrom(x)); a23 = a23.add(i2.selectFrom(x)); a33 = a33.add(i3.selectFrom(x));
        }
        a00.intoArray(part, p0); a01.intoArray(part, p0 + TILE); a02.intoArray(part, p0 + 2 * TILE); a03.intoArray(part, p0 + 3 * TILE);
        p0 += span;
        a10.intoArray(part, p0); a11.intoArray(part, p0 + TILE); a12.intoArray(part, p0 + 2 * TILE); a13.intoArray(part, p0 + 3 * TILE);
        p0 += span;
        a20.intoArray(part, p0); a21.intoArray(part, p0 + TILE); a22.intoArray(part, p0 + 2 * TILE); a23.intoArray(part, p0 + 3 * TILE);
        p0 += span;
        a30.intoArray(part, p0); a31.intoArray(part, p0 + TILE); a32.intoArray(part, p0 + 2 * TILE); a33.intoArray(part, p0 + 3 * TILE);
    }

    /** As {@link #block} for one vector. */
    private static void block1(short[] codes, Codes c, short[] t, int t0, short[] part, int p0, int span) {
        ShortVector a0v = ShortVector.zero(S), a1v = a0v, a2v = a0v, a3v = a0v;
        for (int s = 0; s < c.steps(); s++) {
            ShortVector u0 = ShortVector.fromArray(S, codes, c.c0() + s * TILE), u1 = ShortVector.fromArray(S, codes, c.c1() + s * TILE);
            ShortVector u2 = ShortVector.fromArray(S, codes, c.c2() + s * TILE), u3 = ShortVector.fromArray(S, codes, c.c3() + s * TILE);
            for (int j = 0, o = t0 + s * 3 * ENTRIES; j < 3; j++, o += ENTRIES) {
                ShortVector x = ShortVector.fromArray(S, t, o);
                a0v = a0v.add(u0.and(INDEX).selectFrom(x));
                a1v = a1v.add(u1.and(INDEX).selectFrom(x));
                a2v = a2v.add(u2.and(INDEX).selectFrom(x));
                a3v = a3v.add(u3.and(INDEX).selectFrom(x));
                u0 = u0.lanewise(VectorOperators.LSHR, 5);
                u1 = u1.lanewise(VectorOperators.LSHR, 5);
                u2 = u2.lanewise(VectorOperators.LSHR, 5);
                u3 = u3.lanewise(VectorOperators.LSHR, 5);
            }
        }
        a0v.intoArray(part, p0);
        a1v.intoArray(part, p0 + span);
        a2v.intoArray(part, p0 + 2 * span);
        a3v.intoArray(part, p0 + 3 * span);
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;

    /** y[o …] = the first n of a tile's 32 int32 sums at acc[a …], as floats. */
    private static void store(int[] acc, int a, float[] y, int o, int n) {
        for (int l = 0; l < n; l += I.length()) {
            VectorMask<Integer> m = I.indexInRange(l, n);
            ((FloatVector) IntVector.fromArray(I, acc, a + l, m).convert(VectorOperators.I2F, 0)).intoArray(y, o + l, m.cast(F));
        }
    }

    /** y[o + l] = (0 + rowScales[r0 + l]·acc[a + l])·vectorScale (+ bias[r0 + l] unless bias is null) for the first n of a tile's 32 sums. */
    private static void store(int[] acc, int a, float[] rowScales, float[] bias, int r0, float vectorScale, float[] y, int o, int n) {
        for (int l = 0; l < n; l += I.length()) {
            VectorMask<Integer> m = I.indexInRange(l, n);
            VectorMask<Float> f = m.cast(F);
            FloatVector sum = (FloatVector) IntVector.fromArray(I, acc, a + l, m).convert(VectorOperators.I2F, 0);
            FloatVector v = FloatVector.fromArray(F, rowScales, r0 + l, f).mul(sum).add(0f).mul(vectorScale);
            if (bias != null) v = v.add(FloatVector.fromArray(F, bias, r0 + l, f));
            v.intoArray(y, o + l, f);
        }
    }

    /** acc[o …] += the 32 int16 sums of v, in lane order (small enough for C2 to inline, so v is not boxed). */
    private static void widen(ShortVector v, int[] acc, int o) {
        IntVector lo = (IntVector) v.convertShape(VectorOperators.S2I, I, 0), hi = (IntVector) v.convertShape(VectorOperators.S2I, I, 1);
        IntVector.fromArray(I, acc, o).add(lo).intoArray(acc, o);
        IntVector.fromArray(I, acc, o + 16).add(hi).intoArray(acc, o + 16);
    }
}
