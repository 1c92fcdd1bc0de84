package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels of {@link Base3Matrix}. The integer inner loop: Σ u·q per
 * segment (u = code + 1), or Σ over +1 codes of q when {@code positiveOnly} (two-scale groups),
 * for the four rows of a tile — the same sums {@link IntKernels#rows4} gives for 2-bit chunks, so
 * {@link TernaryMatmul} combines them the same way. A unit's 16 bytes widen to int16 lanes r; each
 * digit is then m = 3·r, u = m >> 8, r = m & 0xFF (see {@link Base3Matrix}).
 */
final class Base3Kernels {
    private Base3Kernels() {}

    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    /** Units between widenings: 25·5 steps of |u·q| ≤ 254 stay within int16. */
    private static final int UNITS_PER_RUN = 25;

    /** out[r·segs + s] for the four rows of the tile starting at byte w0. */
    static void rows4(byte[] w, int w0, short[] q, int q0, int[] steps, boolean positiveOnly, int[] out) {
        int segs = steps.length - 1;
        for (int s = 0; s < segs; s++) {
            int t = steps[s], end = steps[s + 1];
            IntVector i0 = IntVector.zero(I), i1 = i0, i2 = i0, i3 = i0;
            ShortVector a0 = ShortVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int units = 0; t < end; units++) {
                if (units == UNITS_PER_RUN) {
                    i0 = i0.add(IntKernels.widen(a0));
                    i1 = i1.add(IntKernels.widen(a1));
                    i2 = i2.add(IntKernels.widen(a2));
                    i3 = i3.add(IntKernels.widen(a3));
                    a0 = ShortVector.zero(S);
                    a1 = a0;
                    a2 = a0;
                    a3 = a0;
                    units = 0;
                }
                int unit = t / 5, j = t - unit * 5, last = Math.min(end, unit * 5 + 5);
                int at = w0 + unit * 64;
                short pow = PackedTernaryMatrix.POW3[j];
                ShortVector r0 = load(w, at, pow), r1 = load(w, at + 16, pow), r2 = load(w, at + 32, pow), r3 = load(w, at + 48, pow);
                for (; t < last; t++) {
                    ShortVector x = ShortVector.fromArray(S, q, q0 + (t << 4));
                    ShortVector m0 = r0.mul((short) 3), m1 = r1.mul((short) 3), m2 = r2.mul((short) 3), m3 = r3.mul((short) 3);
                    a0 = a0.add(digit(m0, positiveOnly).mul(x));
                    a1 = a1.add(digit(m1, positiveOnly).mul(x));
                    a2 = a2.add(digit(m2, positiveOnly).mul(x));
                    a3 = a3.add(digit(m3, positiveOnly).mul(x));
                    r0 = m0.and((short) 0xFF);
                    r1 = m1.and((short) 0xFF);
                    r2 = m2.and((short) 0xFF);
                    r3 = m3.and((short) 0xFF);
                }
            }
            out[s] = i0.add(IntKernels.widen(a0)).reduceLanes(VectorOperators.ADD);
            out[segs + s] = i1.add(IntKernels.widen(a1)).reduceLanes(VectorOperators.ADD);
            out[2 * segs + s] = i2.add(IntKernels.widen(a2)).reduceLanes(VectorOperators.ADD);
            out[3 * segs + s] = i3.add(IntKernels.widen(a3)).reduceLanes(VectorOperators.ADD);
        }
    }

    /** A unit's bytes as int16 lanes, advanced to digit j (pow = 3^j). */
    private static ShortVector load(byte[] w, int at, short pow) {
        // sign-extend and mask: ZERO_EXTEND_B2S is not always compiled to an instruction
        ShortVector b = ((ShortVector) ByteVector.fromArray(B, w, at).convertShape(VectorOperators.B2S, S, 0)).and((short) 0xFF);
        return pow == 1 ? b : b.mul(pow).and((short) 0xFF);
    }

    /** u = m >> 8 ∈ {0, 1, 2}; for the +1 sum, u >> 1 (1 exactly when the code is +1). */
    private static ShortVector digit(ShortVector m, boolean positiveOnly) {
        return m.lanewise(VectorOperators.LSHR, positiveOnly ? 9 : 8);
    }

    /**
     * The machine's float and int vectors, how many of them a step's 16 weights fill, and bytes
     * with as many lanes: each part is loaded and widened on its own (a widening whose part is a
     * variable runs the JDK's Java fallback, boxing).
     */
    private static final VectorSpecies<Float> FW = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> IW = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BW = VectorSpecies.of(byte.class, VectorShape.forBitSize(IW.length() * Byte.SIZE));
    private static final int PARTS = ReductionLayout.STEP / FW.length();

    /**
     * A batch-1 row of a one-segment, one-scale matrix, against finite activations xp in padded
     * order: each unit's 16 bytes widen once to int lanes r (one 512-bit vector, or two 256-bit
     * parts), and its five steps follow as m = 3r, code = (m >> 8) − 1, r = m & 0xFF, one
     * accumulator per step of the unit. Pads hold code 0 and activation 0. Inlined by hand: half
     * the time of decoding through {@link Base3Matrix#stepCodes} (measured 1.0 vs 2.2 ns per 16
     * weights on a 512-bit machine). lanes: scratch of one vector.
     */
    static float exactRow(Base3Matrix m, int r, float[] xp, float[] lanes) {
        byte[] w = m.units();
        int at = m.rowBase(r), units = m.layout().paddedK() / ReductionLayout.QUINT, step = ReductionLayout.STEP, l = FW.length();
        FloatVector a0 = FloatVector.zero(FW), a1 = a0, a2 = a0, a3 = a0, a4 = a0;
        for (int c = 0; c < units; c++) {
            for (int part = 0; part < PARTS; part++) {
                IntVector d = ((IntVector) ByteVector.fromArray(BW, w, at + c * 64 + part * l).convertShape(VectorOperators.B2I, IW, 0)).and(0xFF);
                int xo = c * ReductionLayout.QUINT + part * l;
                IntVector t = d.mul(3);
                a0 = ((FloatVector) t.lanewise(VectorOperators.LSHR, 8).sub(1).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(FW, xp, xo), a0);
                t = t.and(0xFF).mul(3);
                a1 = ((FloatVector) t.lanewise(VectorOperators.LSHR, 8).sub(1).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(FW, xp, xo + step), a1);
                t = t.and(0xFF).mul(3);
                a2 = ((FloatVector) t.lanewise(VectorOperators.LSHR, 8).sub(1).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(FW, xp, xo + 2 * step), a2);
                t = t.and(0xFF).mul(3);
                a3 = ((FloatVector) t.lanewise(VectorOperators.LSHR, 8).sub(1).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(FW, xp, xo + 3 * step), a3);
                t = t.and(0xFF).mul(3);
                a4 = ((FloatVector) t.lanewise(VectorOperators.LSHR, 8).sub(1).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(FW, xp, xo + 4 * step), a4);
            }
        }
        a0.add(a1).add(a2.add(a3)).add(a4).intoArray(lanes, 0);
        return m.scalePos().get(r) * FloatKernels.laneSum(lanes, 0, l);
    }

    /** Whether {@link #exactRow} and {@link #decodeRow} take m: one scale per row. */
    static boolean unitRows(Base3Matrix m) {
        return m.oneScalePerRow();
    }

    /**
     * Row r of a one-segment, one-scale matrix as floats at w[off …] in padded order: +scale,
     * −scale or 0 as {@link DecodedGemm} decodes any layout, each unit's 16 bytes widened once and
     * its five steps peeled off as in {@link #exactRow} (decoding through
     * {@link Base3Matrix#stepCodes} took about twice as long, a third of VGG's fully connected layer
     * at a batch of 16).
     */
    static void decodeRow(Base3Matrix m, int r, float[] w, int off) {
        byte[] b = m.units();
        int at = m.rowBase(r), units = m.layout().paddedK() / ReductionLayout.QUINT, step = ReductionLayout.STEP;
        float pos = m.scalePos().get(r), neg = -pos;
        FloatVector zero = FloatVector.zero(FW);
        for (int c = 0; c < units; c++) {
            for (int part = 0; part < PARTS; part++) {
                IntVector t = ((IntVector) ByteVector.fromArray(BW, b, at + c * 64 + part * FW.length()).convertShape(VectorOperators.B2I, IW, 0)).and(0xFF);
                int o = off + c * ReductionLayout.QUINT + part * FW.length();
                for (int j = 0; j < 5; j++, o += step) {
                    t = t.mul(3);
                    // digit − 1 = (t >> 8) − 1 ∈ {−1, 0, +1}, compared as ints: no conversion
                    IntVector d = t.lanewise(VectorOperators.LSHR, 8);
                    zero.blend(pos, d.compare(VectorOperators.EQ, 2).cast(FW)).blend(neg, d.compare(VectorOperators.EQ, 0).cast(FW)).intoArray(w, o);
                    t = t.and(0xFF);
                }
            }
        }
    }
}
