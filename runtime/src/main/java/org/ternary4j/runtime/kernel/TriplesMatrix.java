package org.ternary4j.runtime.kernel;

import java.util.Arrays;
import java.util.Optional;

/**
 * The TRIPLES layout, for {@link TripleKernels}' table lookups: tiles of 32 rows, one short per
 * row and 9 inputs — three 5-bit indices Σ uᵢ·3ⁱ of three inputs each (bits 5j..5j+4: inputs
 * 9s + 3j …) — so a 512-bit vector holds 9 inputs of 32 rows (short lane i = row 32t + i), in the
 * blocked order of {@link TripleKernels#offset}. 1.8 bits per weight; rows padded to 32-row tiles
 * and ⌈k / 9⌉ shorts; one scale per row (one segment), so it holds only one-scale groups that
 * each cover whole rows.
 */
final class TriplesMatrix extends PackedTernaryMatrix {

    static final Format FORMAT = new Format(ReductionLayout.NINES) {
        @Override
        Optional<String> refusal(Plan plan) {
            if (!plan.t().twoScales() && plan.layout().segments() == 1) return Optional.empty();
            return Optional.of("the TRIPLES layout needs one scale per row (one group per row, one scale per group)");
        }

        @Override
        long codeBytes(ReductionLayout layout, int rows) {
            return (long) TripleKernels.tiles(rows) * TripleKernels.TILE * ninesOf(layout) * 2;
        }

        @Override
        PackedTernaryMatrix pack(Plan plan) {
            return new TriplesMatrix(plan);
        }
    };

    /** Three zero codes in each 5-bit field. */
    private static final short ALL_ZERO = (short) (TripleKernels.ZERO_TRIPLE * (1 + (1 << 5) + (1 << 10)));

    private final short[] triples;

    private TriplesMatrix(Plan plan) {
        super(plan);
        ReductionLayout l = plan.layout();
        int rows = plan.rows(), nines = ninesOf(l);
        triples = new short[Math.multiplyExact(TripleKernels.tiles(rows) * TripleKernels.TILE, nines)];
        Arrays.fill(triples, ALL_ZERO);
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < l.k(); i++) {
                int p = l.padded(i);
                // each 5-bit field starts at 13 (three zero codes) and stays within 0…26: no carries
                triples[TripleKernels.offset(r, p / 9, rows, nines)] += (short) ((plan.u(r, i) - 1) * POW3[p % 3] << (5 * (p % 9 / 3)));
            }
        }
    }

    private TriplesMatrix(TriplesMatrix m) {
        super(m);
        triples = m.triples.clone();
    }

    /**
     * Shorts per row: ⌈k / 9⌉. The activations are padded to 144 inputs (whole steps of 16 for the
     * shared quantizer and float paths), but the codes stop at the last 9: 4096 inputs take 1.80
     * bits per weight instead of 1.82.
     */
    private static int ninesOf(ReductionLayout l) {
        return (l.k() + TripleKernels.NINE - 1) / TripleKernels.NINE;
    }

    int nines() {
        return ninesOf(layout());
    }

    short[] triples() {
        return triples;
    }

    @Override
    public TriplesMatrix copy() {
        return new TriplesMatrix(this);
    }

    @Override
    int paddedCode(int row, int p) {
        if (p / 9 >= nines()) return 1;
        int index = (triples[TripleKernels.offset(row, p / 9, rows(), nines())] >> (5 * (p % 9 / 3))) & 31;
        return index / POW3[p % 3] % 3;
    }

    /** u of the three inputs of each 5-bit index: DIGITS[3·index + d]. */
    private static final byte[] DIGITS = new byte[32 * 3];

    static {
        for (int i = 0; i < 27; i++) for (int d = 0; d < 3; d++) DIGITS[3 * i + d] = (byte) (i / POW3[d] % 3);
    }

    /** Row's weights in padded order as {neg, 0, pos} by u (the matrix has one segment), into w[off, off + 9·nines). */
    void decodeRow(int row, float pos, float neg, float[] w, int off) {
        int nines = nines(), rows = rows();
        float[] value = {neg, 0f, pos};
        for (int j = 0; j < nines; j++) {
            int v = triples[TripleKernels.offset(row, j, rows, nines)], o = off + 9 * j;
            for (int f = 0; f < 3; f++) {
                int d = 3 * ((v >> (5 * f)) & 31);
                w[o + 3 * f] = value[DIGITS[d]];
                w[o + 3 * f + 1] = value[DIGITS[d + 1]];
                w[o + 3 * f + 2] = value[DIGITS[d + 2]];
            }
        }
    }

    /** A row block of 1024 rows. */
    @Override
    int rowTile() {
        return TripleKernels.BLOCK_TILES * TripleKernels.TILE;
    }

    @Override
    int rowBytes() {
        return nines() * 2;
    }

    /**
     * Each thread tabulates the finite vectors itself, once per call, into its own scratch: built
     * by the calling thread and read by a worker, a 4096-input vector's 87 KB of tables crossed
     * cores at a few GB/s, while the worker builds them from 8 KB of levels in about a microsecond.
     */
    @Override
    Parallel.RangeBody int8Rows(QuantizedActivations a, float[] y) {
        int per = a.paddedK / 3 * TripleKernels.ENTRIES;
        Object call = new Object();
        return (from, to) -> {
            short[] tables = Scratch.shorts(Scratch.Slot.ROW_TABLES, a.batch * per);
            if (Scratch.claim(Scratch.Slot.ROW_TABLES, call)) {
                for (int b = 0; b < a.batch; b++) if (a.finite[b]) TripleKernels.int8Tables(a.q, b * a.paddedK, a.paddedK, tables, b * per);
            }
            TripleKernels.int8Rows(this, a, tables, per, from, to, y);
        };
    }

    /** As {@link #int8Rows}, float tables; a vector with NaN or infinity goes through {@link #exactReference}. */
    @Override
    Parallel.RangeBody exactRows(float[] xp, int count, float[] y, int yFirst) {
        int pk = layout().paddedK(), len = FloatKernels.usedSteps(layout()) * ReductionLayout.STEP, per = pk / 3 * TripleKernels.ENTRIES;
        // built by the calling thread in its scratch, read by every thread of the product while this call runs
        float[] tables = Scratch.floats(Scratch.Slot.FLOAT_TABLES, count * per);
        boolean[] finite = new boolean[count];
        for (int b = 0; b < count; b++) {
            finite[b] = FloatKernels.allFinite(xp, b * pk, len);
            if (finite[b]) TripleKernels.floatTables(xp, b * pk, pk, tables, b * per);
        }
        return (from, to) -> {
            for (int b = 0; b < count; b++) {
                if (!finite[b]) for (int r = from; r < to; r++) y[(yFirst + b) * rows() + r] = exactReference(r, xp, b * pk);
            }
            TripleKernels.floatRows(this, tables, per, finite, from, to, y, yFirst);
        };
    }
}
