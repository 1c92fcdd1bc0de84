package org.ternary4j.runtime.kernel;

import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The BASE3 layout, for small layers (like llama.cpp's TQ1_0): a 16-byte unit holds 5 steps (byte
 * lane i: the base-3 digits of inputs 16·j + i, j = 0..4), 1.6 bits per weight, rows padded to 80
 * inputs instead of 128; decoding costs a few more integer operations per step than 2-bit codes.
 * Rows sit in tiles of four with their units interleaved, as in {@link TwoBitMatrix}. A byte holds
 * v = Σ_j u_j·3^(4−j) as ⌈256·v / 243⌉ (TQ1_0's trick): digit j is then
 * ((byte·3^j mod 256)·3) >> 8, a multiply, mask and shift in 16-bit lanes, no division.
 * Kernels: {@link Base3Kernels} (int8, and the exact batch-1 row), {@link FloatKernels} (exact).
 */
final class Base3Matrix extends PackedTernaryMatrix {

    static final Format FORMAT = new Format(ReductionLayout.QUINT) {
        @Override
        long codeBytes(ReductionLayout layout, int rows) {
            return (rows + 3) / 4 * 4L * bytesPerRow(layout);
        }

        @Override
        PackedTernaryMatrix pack(Plan plan) {
            return new Base3Matrix(plan);
        }
    };

    /** v of five zero codes (u = 1 each). */
    private static final int ALL_ZERO = 121;

    private final byte[] base3;

    private Base3Matrix(Plan plan) {
        super(plan);
        ReductionLayout l = plan.layout();
        int perRow = bytesPerRow(l);
        int[] digits = new int[Math.multiplyExact((plan.rows() + 3) / 4 * 4, perRow)];
        Arrays.fill(digits, ALL_ZERO);
        for (int r = 0; r < plan.rows(); r++) {
            for (int i = 0; i < l.k(); i++) {
                int p = l.padded(i), step = p >> 4;
                digits[tileRowBase(r, perRow) + step / 5 * 64 + (p & 15)] += (plan.u(r, i) - 1) * POW3[4 - step % 5];
            }
        }
        base3 = new byte[digits.length];
        for (int i = 0; i < digits.length; i++) base3[i] = (byte) ((digits[i] * 256 + 242) / 243);
    }

    private Base3Matrix(Base3Matrix m) {
        super(m);
        base3 = m.base3.clone();
    }

    /** Bytes per row: 16 per unit of 80 inputs. */
    private static int bytesPerRow(ReductionLayout l) {
        return l.paddedK() / 5;
    }

    @Override
    public Base3Matrix copy() {
        return new Base3Matrix(this);
    }

    /** Where row r's first unit starts, in bytes. */
    int rowBase(int r) {
        return tileRowBase(r, bytesPerRow(layout()));
    }

    byte[] units() {
        return base3;
    }

    @Override
    int paddedCode(int row, int p) {
        int step = p >> 4, b = base3[rowBase(row) + step / 5 * 64 + (p & 15)] & 0xFF;
        return (((b * POW3[step % 5]) & 0xFF) * 3) >> 8;
    }

    @Override
    ShortVector stepCodes(int row, int step) {
        // sign-extend and mask: ZERO_EXTEND_B2S is not always compiled to an instruction
        ShortVector b = ((ShortVector) ByteVector.fromArray(ByteVector.SPECIES_128, base3, rowBase(row) + step / 5 * 64)
                .convertShape(VectorOperators.B2S, ShortVector.SPECIES_256, 0)).and((short) 0xFF);
        // shift counts as short: the long overload is one call deeper, and C2 left it out of line (a boxed vector per call)
        return b.mul(POW3[step % 5]).and((short) 0xFF).mul((short) 3).lanewise(VectorOperators.LSHR, (short) 8);
    }

    @Override
    int rowTile() {
        return 4;
    }

    @Override
    int rowBytes() {
        return bytesPerRow(layout());
    }

    @Override
    Parallel.RangeBody int8Rows(QuantizedActivations a, float[] y) {
        return (from, to) -> int8(a, from, to, y);
    }

    /** Rows [from, to) (from a multiple of 4) for every finite activation vector; a partial last tile is computed whole (its pad rows are zero codes) and cut. */
    private void int8(QuantizedActivations a, int from, int to, float[] y) {
        int segs = layout().segments();
        int[] steps = layout().segmentSteps();
        int[] sumAll = new int[4 * segs], sumPos = twoScales() ? new int[4 * segs] : null;
        for (int b = 0; b < a.batch; b++) {
            if (!a.finite[b]) continue;
            int q0 = b * a.paddedK;
            for (int r = from; r < to; r += 4) {
                Base3Kernels.rows4(base3, rowBase(r), a.q, q0, steps, false, sumAll);
                if (sumPos != null) Base3Kernels.rows4(base3, rowBase(r), a.q, q0, steps, true, sumPos);
                for (int i = 0; i < 4 && r + i < to; i++) y[b * rows() + r + i] = combine(a, r + i, b, sumAll, sumPos, i * segs);
            }
        }
    }

    /** Batch 1 of a one-segment, one-scale matrix takes {@link Base3Kernels#exactRow}; the rest decodes through {@link #stepCodes}. */
    @Override
    Parallel.RangeBody exactRows(float[] xp, int count, float[] y, int yFirst) {
        if (count != 1 || !Base3Kernels.unitRows(this)) {
            return (from, to) -> FloatKernels.rows(this, xp, count, from, to, y, yFirst);
        }
        boolean finite = FloatKernels.allFinite(xp, 0, FloatKernels.usedSteps(layout()) * ReductionLayout.STEP);
        return (from, to) -> {
            float[] lanes = new float[16];
            for (int r = from; r < to; r++) y[yFirst * rows() + r] = finite ? Base3Kernels.exactRow(this, r, xp, lanes) : exactReference(r, xp, 0);
        };
    }
}
