package org.ternary4j.runtime.kernel;

import java.util.Arrays;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The TWO_BIT layout: a 16-short chunk holds 8 steps of 16 inputs (short lane i, bits 2j..2j+1:
 * input 16·j + i), so one shift turns a chunk into a step's codes; rows are padded to whole chunks
 * of 128 inputs. Rows sit in tiles of four with their chunks interleaved (chunk c of row 4t + i at
 * 64·(c + t·chunksPerRow) + 16·i): the four-row kernels then read one sequential stream, which the
 * hardware prefetcher follows (four separate 1 KiB row streams ran at a third of the memory
 * bandwidth). Kernels: {@link IntKernels} (int8), {@link FloatKernels} (exact).
 */
final class TwoBitMatrix extends PackedTernaryMatrix {

    static final Format FORMAT = new Format(ReductionLayout.CHUNK) {
        @Override
        long codeBytes(ReductionLayout layout, int rows) {
            return (rows + 3) / 4 * 4L * shortsPerRow(layout) * 2;
        }

        @Override
        PackedTernaryMatrix pack(Plan plan) {
            return new TwoBitMatrix(plan);
        }
    };

    private final short[] codes;
    /** Whether the int8 product from {@link QuadLutGemm#MIN_BATCH} vectors looks its sums up in {@link QuadLutGemm}'s tables (set where the matrix is one that TRIPLES would take on a 512-bit machine). */
    private final boolean quadTables;

    private TwoBitMatrix(Plan plan) {
        super(plan);
        quadTables = false;
        ReductionLayout l = plan.layout();
        int shorts = shortsPerRow(l);
        codes = new short[Math.multiplyExact((plan.rows() + 3) / 4 * 4, shorts)];
        Arrays.fill(codes, (short) 0x5555);
        for (int r = 0; r < plan.rows(); r++) {
            for (int i = 0; i < l.k(); i++) {
                int p = l.padded(i), at = tileRowBase(r, shorts) + (p >> 7) * 64 + (p & 15), shift = ((p >> 4) & 7) * 2;
                codes[at] = (short) ((codes[at] & ~(3 << shift)) | (plan.u(r, i) << shift));
            }
        }
    }

    /** m with these codes and its own scale arrays; {@code quadTables}: its int8 product's kind (see {@link #withQuadTables}). */
    private TwoBitMatrix(TwoBitMatrix m, short[] codes, boolean quadTables) {
        super(m);
        this.codes = codes;
        this.quadTables = quadTables;
    }

    /** Shorts per row: 16 per chunk of 128 inputs. */
    private static int shortsPerRow(ReductionLayout l) {
        return l.paddedK() / 8;
    }

    /** This matrix (sharing its codes) with its int8 product from {@link QuadLutGemm#MIN_BATCH} vectors by {@link QuadLutGemm} (what {@link #tableLookup} then reports). */
    TwoBitMatrix withQuadTables() {
        if (!QuadLutGemm.holds(this)) throw new IllegalArgumentException("quad tables need one scale per row");
        return new TwoBitMatrix(this, codes, true);
    }

    boolean quadTables() {
        return quadTables;
    }

    short[] codes() {
        return codes;
    }

    int shortsPerRow() {
        return shortsPerRow(layout());
    }

    @Override
    public TwoBitMatrix copy() {
        return new TwoBitMatrix(this, codes.clone(), quadTables);
    }

    /** Where row r's first chunk starts, in shorts. */
    private int rowBase(int r) {
        return tileRowBase(r, shortsPerRow(layout()));
    }

    @Override
    int paddedCode(int row, int p) {
        return (codes[rowBase(row) + (p >> 7) * 64 + (p & 15)] >> (((p >> 4) & 7) * 2)) & 3;
    }

    @Override
    ShortVector stepCodes(int row, int step) {
        return ShortVector.fromArray(ShortVector.SPECIES_256, codes, rowBase(row) + (step >> 3) * 64)
                .lanewise(VectorOperators.LSHR, (short) ((step & 7) * 2)).and((short) 3);
    }

    @Override
    int rowTile() {
        return 4;
    }

    @Override
    int rowBytes() {
        return layout().paddedK() / 4;
    }

    @Override
    Parallel.RangeBody int8Rows(QuantizedActivations a, float[] y) {
        return (from, to) -> int8(a, from, to, y);
    }

    /** Rows [from, to) (from a multiple of 4) for every finite activation vector: whole tiles, then single rows. */
    private void int8(QuantizedActivations a, int from, int to, float[] y) {
        int segs = layout().segments(), rows = rows();
        int[] steps = layout().segmentSteps();
        int[] sumAll = new int[4 * segs], sumPos = twoScales() ? new int[4 * segs] : null;
        boolean blocks = a.negLaneSums != null && !twoScales();
        float[] y4 = new float[4];
        for (int b = 0; b < a.batch; b++) {
            if (!a.finite[b]) continue;
            int q0 = b * a.paddedK;
            int r = from;
            for (; blocks && r + 4 <= to; r += 4) {
                IntKernels.rows4Blocks(codes, rowBase(r), a.qt, q0, a.negLaneSums, b * segs * ReductionLayout.STEP, steps, scalePos(), r * segs, y4);
                for (int i = 0; i < 4; i++) y[b * rows + r + i] = y4[i] * a.scale[b];
            }
            for (; r + 4 <= to; r += 4) {
                IntKernels.rows4(codes, rowBase(r), a.q, a.qt, a.qt2, q0, steps, 0, 3, sumAll);
                if (sumPos != null) IntKernels.rows4(codes, rowBase(r), a.q, a.qt, a.qt2, q0, steps, 1, 1, sumPos);
                for (int i = 0; i < 4; i++) y[b * rows + r + i] = combine(a, r + i, b, sumAll, sumPos, i * segs);
            }
            for (; r < to; r++) {
                IntKernels.single(codes, rowBase(r), a.q, q0, steps, 0, 3, sumAll);
                if (sumPos != null) IntKernels.single(codes, rowBase(r), a.q, q0, steps, 1, 1, sumPos);
                y[b * rows + r] = combine(a, r, b, sumAll, sumPos, 0);
            }
        }
    }

    @Override
    Parallel.RangeBody exactRows(float[] xp, int count, float[] y, int yFirst) {
        return (from, to) -> FloatKernels.rows(this, xp, count, from, to, y, yFirst);
    }
}
