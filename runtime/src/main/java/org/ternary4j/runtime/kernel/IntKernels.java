package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The integer inner loops: for each segment, Σ ((chunk >>> shift) & mask) · q over its steps, in
 * int16 lanes (one vpmullw + one vpaddw per 16 weights) widened to int32 every {@link #RUN}
 * steps. With shift0 = 0, mask = 3 this is Σ (code+1)·q; with shift0 = 1, mask = 1 it is the sum
 * over +1 codes only (the second sum two-scale groups need). Integer sums are exact, so every
 * tiling gives the same bits.
 */
final class IntKernels {
    private IntKernels() {}

    static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    static final VectorSpecies<Short> S2 = ShortVector.SPECIES_512;
    static final VectorSpecies<Integer> I2 = IntVector.SPECIES_512;
    /** |(code+1)·q| ≤ 254, so 128 steps per lane stay within int16. */
    static final int RUN = 128;

    /**
     * Four rows of one tile (see {@link TwoBitMatrix}: chunk c of tile row i at
     * w0 + 64·c + 16·i, so the kernel reads one sequential stream) against one activation vector;
     * out[r·segs + s]. With {@code qt2} (the telescoped activations, each step repeated twice) whole
     * chunks take the 512-bit kernel.
     */
    static void rows4(short[] w, int w0, short[] q, short[] qt, short[] qt2, int q0, int[] steps, int shift0, int mask, int[] out) {
        int segs = steps.length - 1;
        short m = (short) mask;
        int w1 = w0 + 16, w2 = w1 + 16, w3 = w2 + 16;
        for (int s = 0; s < segs; s++) {
            int t = steps[s], end = steps[s + 1];
            if (((t | end) & 7) == 0 && shift0 == 0 && mask == 3) {
                if (qt2 != null) rows4ChunksWide(w, w0, qt2, 2 * q0, t >>> 3, end >>> 3, out, s, segs);
                else rows4Chunks(w, w0, qt, q0, t >>> 3, end >>> 3, out, s, segs);
                continue;
            }
            IntVector i0 = IntVector.zero(I), i1 = i0, i2 = i0, i3 = i0;
            while (t < end) {
                int runEnd = Math.min(end, t + RUN);
                ShortVector a0 = ShortVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (; t < runEnd; t++) {
                    int wo = (t >>> 3) << 6;
                    int sh = shift0 + ((t & 7) << 1);
                    ShortVector x = ShortVector.fromArray(S, q, q0 + (t << 4));
                    a0 = a0.add(ShortVector.fromArray(S, w, w0 + wo).lanewise(VectorOperators.LSHR, sh).and(m).mul(x));
                    a1 = a1.add(ShortVector.fromArray(S, w, w1 + wo).lanewise(VectorOperators.LSHR, sh).and(m).mul(x));
                    a2 = a2.add(ShortVector.fromArray(S, w, w2 + wo).lanewise(VectorOperators.LSHR, sh).and(m).mul(x));
                    a3 = a3.add(ShortVector.fromArray(S, w, w3 + wo).lanewise(VectorOperators.LSHR, sh).and(m).mul(x));
                }
                i0 = i0.add(widen(a0));
                i1 = i1.add(widen(a1));
                i2 = i2.add(widen(a2));
                i3 = i3.add(widen(a3));
            }
            out[s] = i0.reduceLanes(VectorOperators.ADD);
            out[segs + s] = i1.reduceLanes(VectorOperators.ADD);
            out[2 * segs + s] = i2.reduceLanes(VectorOperators.ADD);
            out[3 * segs + s] = i3.reduceLanes(VectorOperators.ADD);
        }
    }

    /** Steps per chunk: the 8 codes of a short lane. */
    private static final int CHUNK_RUN = RUN / 8;

    /**
     * Σ (code+1)·q over whole chunks [c, end) of four rows, without masking the codes: with
     * v_j = chunk >>> 2j, code_j + 1 = v_j − 4·v_{j+1}, so Σ_j (code_j+1)·q_j = Σ_j v_j·qt_j where
     * qt_j = q_j − 4·q_{j−1} (prepared once per activation vector). int16 arithmetic wraps, but
     * the true sum fits, so the wrapped result is exact. Per 16 weights: one shift, mul and add.
     */
    private static void rows4Chunks(short[] w, int w0, short[] qt, int q0, int c, int end, int[] out, int s, int segs) {
        int w1 = w0 + 16, w2 = w1 + 16, w3 = w2 + 16;
        IntVector i0 = IntVector.zero(I), i1 = i0, i2 = i0, i3 = i0;
        while (c < end) {
            int runEnd = Math.min(end, c + CHUNK_RUN);
            ShortVector a0 = ShortVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (; c < runEnd; c++) {
                int wo = c << 6, qo = q0 + (c << 7);
                ShortVector c0 = ShortVector.fromArray(S, w, w0 + wo), c1 = ShortVector.fromArray(S, w, w1 + wo);
                ShortVector c2 = ShortVector.fromArray(S, w, w2 + wo), c3 = ShortVector.fromArray(S, w, w3 + wo);
                ShortVector x = ShortVector.fromArray(S, qt, qo);
                a0 = a0.add(c0.mul(x));
                a1 = a1.add(c1.mul(x));
                a2 = a2.add(c2.mul(x));
                a3 = a3.add(c3.mul(x));
                for (int j = 1; j < 8; j++) {
                    x = ShortVector.fromArray(S, qt, qo + (j << 4));
                    int sh = j << 1;
                    a0 = a0.add(c0.lanewise(VectorOperators.LSHR, sh).mul(x));
                    a1 = a1.add(c1.lanewise(VectorOperators.LSHR, sh).mul(x));
                    a2 = a2.add(c2.lanewise(VectorOperators.LSHR, sh).mul(x));
                    a3 = a3.add(c3.lanewise(VectorOperators.LSHR, sh).mul(x));
                }
            }
            i0 = i0.add(widen(a0));
            i1 = i1.add(widen(a1));
            i2 = i2.add(widen(a2));
            i3 = i3.add(widen(a3));
        }
        out[s] = i0.reduceLanes(VectorOperators.ADD);
        out[segs + s] = i1.reduceLanes(VectorOperators.ADD);
        out[2 * segs + s] = i2.reduceLanes(VectorOperators.ADD);
        out[3 * segs + s] = i3.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@link #rows4Chunks} in 512-bit vectors: a tile's rows 0–1 (and 2–3) of one chunk are 32
     * adjacent shorts, so one vector holds two rows and meets the step's activations repeated in
     * both halves (qt2). Int lanes 0–7 of the widened sums belong to the first row, 8–15 to the second.
     */
    private static void rows4ChunksWide(short[] w, int w0, short[] qt2, int q0, int c, int end, int[] out, int s, int segs) {
        IntVector i01 = IntVector.zero(I2), i23 = i01;
        while (c < end) {
            int runEnd = Math.min(end, c + CHUNK_RUN);
            ShortVector a01 = ShortVector.zero(S2), a23 = a01;
            for (; c < runEnd; c++) {
                int wo = w0 + (c << 6), qo = q0 + (c << 8);
                ShortVector c01 = ShortVector.fromArray(S2, w, wo), c23 = ShortVector.fromArray(S2, w, wo + 32);
                ShortVector x = ShortVector.fromArray(S2, qt2, qo);
                a01 = a01.add(c01.mul(x));
                a23 = a23.add(c23.mul(x));
                for (int j = 1; j < 8; j++) {
                    x = ShortVector.fromArray(S2, qt2, qo + (j << 5));
                    int sh = j << 1;
                    a01 = a01.add(c01.lanewise(VectorOperators.LSHR, sh).mul(x));
                    a23 = a23.add(c23.lanewise(VectorOperators.LSHR, sh).mul(x));
                }
            }
            i01 = i01.add(widen(a01));
            i23 = i23.add(widen(a23));
        }
        out[s] = i01.reduceLanes(VectorOperators.ADD, FIRST_ROW);
        out[segs + s] = i01.reduceLanes(VectorOperators.ADD, FIRST_ROW.not());
        out[2 * segs + s] = i23.reduceLanes(VectorOperators.ADD, FIRST_ROW);
        out[3 * segs + s] = i23.reduceLanes(VectorOperators.ADD, FIRST_ROW.not());
    }

    private static final VectorMask<Integer> FIRST_ROW = VectorMask.fromLong(I2, 0xFFL);

    /** One row against one activation vector; out[s]. */
    static void single(short[] w, int w0, short[] q, int q0, int[] steps, int shift0, int mask, int[] out) {
        int segs = steps.length - 1;
        short m = (short) mask;
        for (int s = 0; s < segs; s++) {
            int t = steps[s], end = steps[s + 1];
            IntVector i0 = IntVector.zero(I);
            while (t < end) {
                int runEnd = Math.min(end, t + RUN);
                ShortVector a0 = ShortVector.zero(S);
                for (; t < runEnd; t++) {
                    ShortVector u = ShortVector.fromArray(S, w, w0 + ((t >>> 3) << 6))
                            .lanewise(VectorOperators.LSHR, shift0 + ((t & 7) << 1)).and(m);
                    a0 = a0.add(u.mul(ShortVector.fromArray(S, q, q0 + (t << 4))));
                }
                i0 = i0.add(widen(a0));
            }
            out[s] = i0.reduceLanes(VectorOperators.ADD);
        }
    }

    /**
     * The block kernel (symmetric scales, every segment whole chunks and at most RUN steps): four
     * rows; each block's accumulators start at −Σq (per lane), so they end at the exact Σ code·q
     * and need no correction: y[r] = Σ_s scale[r, s]·C[r, s] in segment order. (Accumulating
     * scaled blocks in float vectors instead measured twice as slow: the int→float vector
     * conversion is the bottleneck. Its chunk loop is {@link #rows4Chunks}'; calling that per
     * segment and combining the sums measured 5–10% slower on block:256 rows, the 512-bit
     * kernel's masked reductions three times slower.)
     */
    static void rows4Blocks(short[] w, int w0, short[] qt, int q0, short[] negLaneSums, int n0, int[] steps, ScaleArray scales, int scale0, float[] y4) {
        int segs = steps.length - 1;
        int w1 = w0 + 16, w2 = w1 + 16, w3 = w2 + 16;
        float f0 = 0f, f1 = 0f, f2 = 0f, f3 = 0f;
        for (int s = 0; s < segs; s++) {
            ShortVector a0 = ShortVector.fromArray(S, negLaneSums, n0 + s * 16), a1 = a0, a2 = a0, a3 = a0;
            for (int c = steps[s] >>> 3, end = steps[s + 1] >>> 3; c < end; c++) {
                int wo = c << 6, qo = q0 + (c << 7);
                ShortVector c0 = ShortVector.fromArray(S, w, w0 + wo), c1 = ShortVector.fromArray(S, w, w1 + wo);
                ShortVector c2 = ShortVector.fromArray(S, w, w2 + wo), c3 = ShortVector.fromArray(S, w, w3 + wo);
                ShortVector x = ShortVector.fromArray(S, qt, qo);
                a0 = a0.add(c0.mul(x));
                a1 = a1.add(c1.mul(x));
                a2 = a2.add(c2.mul(x));
                a3 = a3.add(c3.mul(x));
                for (int j = 1; j < 8; j++) {
                    x = ShortVector.fromArray(S, qt, qo + (j << 4));
                    int sh = j << 1;
                    a0 = a0.add(c0.lanewise(VectorOperators.LSHR, sh).mul(x));
                    a1 = a1.add(c1.lanewise(VectorOperators.LSHR, sh).mul(x));
                    a2 = a2.add(c2.lanewise(VectorOperators.LSHR, sh).mul(x));
                    a3 = a3.add(c3.lanewise(VectorOperators.LSHR, sh).mul(x));
                }
            }
            f0 += scales.get(scale0 + s) * (float) widen(a0).reduceLanes(VectorOperators.ADD);
            f1 += scales.get(scale0 + segs + s) * (float) widen(a1).reduceLanes(VectorOperators.ADD);
            f2 += scales.get(scale0 + 2 * segs + s) * (float) widen(a2).reduceLanes(VectorOperators.ADD);
            f3 += scales.get(scale0 + 3 * segs + s) * (float) widen(a3).reduceLanes(VectorOperators.ADD);
        }
        y4[0] = f0;
        y4[1] = f1;
        y4[2] = f2;
        y4[3] = f3;
    }

    /**
     * Pairwise sums of adjacent int16 lanes as eight int32 lanes (exact), by shifts on the same
     * bits: cheaper than convertShape, which the block kernel calls once per block.
     */
    static IntVector widen(ShortVector a) {
        IntVector pairs = a.reinterpretAsInts();
        return pairs.lanewise(VectorOperators.ASHR, 16).add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
    }
}
