package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The int8 product of a {@link TriplesMatrix} with many quantized vectors by table lookups, the
 * tables shared across tiles: every vector's int16 tables (27 sums per triple of inputs, see
 * {@link TripleKernels}) are built once, then each pair of 32-row tiles sweeps eight vectors at
 * a time, each table load serving two permutes (vpermw) and adds into sixteen int16
 * accumulators (one tile and sixteen vectors ran half as fast in a micro-benchmark), widened to int32 every {@link TripleKernels#BLOCK_STEPS} steps before they could
 * overflow. Per 96·32 weight-activation products that is one permute and one add, where the
 * float panel kernel spends six FMAs. The sums are exact integers, so they equal the float panel
 * product of the same integers bit for bit (|Σ| ≤ 127·k < 2²⁴).
 */
final class LutGemm {
    private LutGemm() {}

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final int TILE = TripleKernels.TILE, ENTRIES = TripleKernels.ENTRIES, BLOCK = TripleKernels.BLOCK_STEPS;
    /** Vectors per register block (of two tiles). */
    static final int VECTORS = 8;

    /** dᵢ of table entry e (0 for the unused entries 27…31). */
    private static final short[][] DIGIT = new short[3][ENTRIES];

    static {
        for (int e = 0; e < 27; e++) for (int i = 0; i < 3; i++) DIGIT[i][e] = (short) (e / PackedTernaryMatrix.POW3[i] % 3 - 1);
    }

    /** y[b·rows + r] = Σ code·q of row r and vector b, as a float (vectors with non-finite input have q = 0 and get 0). */
    static void sums(TriplesMatrix m, QuantizedActivations a, float[] y, Parallel par) {
        int kp = a.paddedK, batch = a.batch, rows = m.rows(), nines = m.nines(), per = kp / 3 * ENTRIES;
        // the calling thread's array: workers only read it, and only until this call returns
        short[] tables = Scratch.shorts(Scratch.Slot.TABLES, Math.multiplyExact(batch, per));
        par.forRange(batch, VECTORS, (from, to) -> {
            ShortVector d0 = ShortVector.fromArray(S, DIGIT[0], 0), d1 = ShortVector.fromArray(S, DIGIT[1], 0), d2 = ShortVector.fromArray(S, DIGIT[2], 0);
            for (int b = from; b < to; b++) {
                for (int g = 0, p = b * kp, t = b * per; g < kp / 3; g++, p += 3, t += ENTRIES) {
                    d0.mul(a.q[p]).add(d1.mul(a.q[p + 1])).add(d2.mul(a.q[p + 2])).intoArray(tables, t);
                }
            }
        });
        short[] codes = m.triples();
        int tiles = TripleKernels.tiles(rows), pairs = (tiles + 1) / 2, chunks = (batch + CHUNK - 1) / CHUNK;
        // work items chunk-major: threads running at the same time sweep the same chunk's tables
        par.forRange(chunks * pairs, 1, (from, to) -> {
            int[] acc = Scratch.ints(Scratch.Slot.SUMS, 2 * CHUNK * TILE);
            for (int item = from; item < to; item++) {
                int pair = item % pairs, first = item / pairs * CHUNK, count = Math.min(CHUNK, batch - first), half = count * TILE;
                int t0 = 2 * pair, t1 = Math.min(t0 + 1, tiles - 1); // an odd last tile is swept twice, its second sums unused
                java.util.Arrays.fill(acc, 0, 2 * half, 0);
                for (int s0 = 0; s0 < nines; s0 += BLOCK) {
                    Codes c = new Codes(TripleKernels.offset(t0 * TILE, s0, rows, nines), TripleKernels.offset(t1 * TILE, s0, rows, nines), Math.min(BLOCK, nines - s0));
                    int j = 0, t = first * per + s0 * 3 * ENTRIES;
                    for (; j + VECTORS <= count; j += VECTORS) block(codes, c, tables, t + j * per, per, acc, j * TILE, half);
                    for (; j < count; j++) block1(codes, c, tables, t + j * per, acc, j * TILE, half);
                }
                for (int h = 0; h < (t1 == t0 ? 1 : 2); h++) {
                    for (int j = 0; j < count; j++) {
                        int b = first + j;
                        for (int l = 0, r = (t0 + h) * TILE; l < TILE && r < rows; l++, r++) y[b * rows + r] = acc[(h * count + j) * TILE + l];
                    }
                }
            }
        });
    }

    /**
     * Vectors whose tables a work item sweeps: 32 vectors' tables at 4096 inputs are 1.2 MB, at 384
     * inputs 221 KB, so those of a small-k layer stay in L2 while every tile pair of the layer
     * reads them (a whole batch's, 885 KB for 128 vectors at 384 inputs, did not, and two threads
     * each streaming them ran slower than one).
     */
    static final int CHUNK = 32;

    /** Where two tiles' codes of one step block start, and its steps (codes of a step every 32 shorts). */
    private record Codes(int first, int second, int steps) {}

    /**
     * Eight vectors (tables t0, t0 + per, …) over one step block of two tiles, added to their
     * int32 sums: the first tile's at acc[a0 …] (32 per vector, rows in order), the second's {@code half} further.
     */
    private static void block(short[] codes, Codes c, short[] t, int t0, int per, int[] acc, int a0, int half) {
        ShortVector z = ShortVector.zero(S);
        ShortVector p0 = z, p1 = z, p2 = z, p3 = z, p4 = z, p5 = z, p6 = z, p7 = z, q0 = z, q1 = z, q2 = z, q3 = z, q4 = z, q5 = z, q6 = z, q7 = z;
        for (int s = 0; s < c.steps(); s++) {
            ShortVector u = ShortVector.fromArray(S, codes, c.first() + s * TILE), v = ShortVector.fromArray(S, codes, c.second() + s * TILE);
            for (int j = 0, o = t0 + s * 3 * ENTRIES; j < 3; j++, o += ENTRIES) {
                ShortVector i = u.lanewise(VectorOperators.LSHR, (short) (5 * j)), k = v.lanewise(VectorOperators.LSHR, (short) (5 * j));
                ShortVector x = ShortVector.fromArray(S, t, o);
                p0 = p0.add(i.selectFrom(x));
                q0 = q0.add(k.selectFrom(x));
                x = ShortVector.fromArray(S, t, o + per);
                p1 = p1.add(i.selectFrom(x));
                q1 = q1.add(k.selectFrom(x));
                x = ShortVector.fromArray(S, t, o + 2 * per);
                p2 = p2.add(i.selectFrom(x));
                q2 = q2.add(k.selectFrom(x));
                x = ShortVector.fromArray(S, t, o + 3 * per);
                p3 = p3.add(i.selectFrom(x));
                q3 = q3.add(k.selectFrom(x));
                x = ShortVector.fromArray(S, t, o + 4 * per);
                p4 = p4.add(i.selectFrom(x));
                q4 = q4.add(k.selectFrom(x));
                x = ShortVector.fromArray(S, t, o + 5 * per);
                p5 = p5.add(i.selectFrom(x));
                q5 = q5.add(k.selectFrom(x));
                x = ShortVector.fromArray(S, t, o + 6 * per);
                p6 = p6.add(i.selectFrom(x));
                q6 = q6.add(k.selectFrom(x));
                x = ShortVector.fromArray(S, t, o + 7 * per);
                p7 = p7.add(i.selectFrom(x));
                q7 = q7.add(k.selectFrom(x));
            }
        }
        widen(p0, acc, a0);
        widen(p1, acc, a0 + TILE);
        widen(p2, acc, a0 + 2 * TILE);
        widen(p3, acc, a0 + 3 * TILE);
        widen(p4, acc, a0 + 4 * TILE);
        widen(p5, acc, a0 + 5 * TILE);
        widen(p6, acc, a0 + 6 * TILE);
        widen(p7, acc, a0 + 7 * TILE);
        a0 += half;
        widen(q0, acc, a0);
        widen(q1, acc, a0 + TILE);
        widen(q2, acc, a0 + 2 * TILE);
        widen(q3, acc, a0 + 3 * TILE);
        widen(q4, acc, a0 + 4 * TILE);
        widen(q5, acc, a0 + 5 * TILE);
        widen(q6, acc, a0 + 6 * TILE);
        widen(q7, acc, a0 + 7 * TILE);
    }

    /** As {@link #block} for one vector. */
    private static void block1(short[] codes, Codes c, short[] t, int t0, int[] acc, int a0, int half) {
        ShortVector p = ShortVector.zero(S), q = p;
        for (int s = 0; s < c.steps(); s++) {
            ShortVector u = ShortVector.fromArray(S, codes, c.first() + s * TILE), v = ShortVector.fromArray(S, codes, c.second() + s * TILE);
            for (int j = 0, o = t0 + s * 3 * ENTRIES; j < 3; j++, o += ENTRIES) {
                ShortVector x = ShortVector.fromArray(S, t, o);
                p = p.add(u.lanewise(VectorOperators.LSHR, (short) (5 * j)).selectFrom(x));
                q = q.add(v.lanewise(VectorOperators.LSHR, (short) (5 * j)).selectFrom(x));
            }
        }
        widen(p, acc, a0);
        widen(q, acc, a0 + half);
    }

    /** acc[o …] += the 32 int16 sums of v, in lane order (small enough for C2 to inline, so v is not boxed). */
    private static void widen(ShortVector v, int[] acc, int o) {
        IntVector lo = (IntVector) v.convertShape(VectorOperators.S2I, I, 0), hi = (IntVector) v.convertShape(VectorOperators.S2I, I, 1);
        IntVector.fromArray(I, acc, o).add(lo).intoArray(acc, o);
        IntVector.fromArray(I, acc, o + 16).add(hi).intoArray(acc, o + 16);
    }
}
