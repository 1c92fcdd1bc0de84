package org.ternary4j.runtime.kernel;

import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.grouping.Shapes;

/**
 * A ternary weight matrix [rows, k] repacked for the kernels, in one of three code layouts (see
 * {@link CodeLayout}). TWO_BIT and BASE3 store rows in tiles of four with their 16-lane units interleaved
 * (unit c of row 4t + i at 64·(c + t·unitsPerRow) + 16·i): the four-row kernels then read one
 * sequential stream, which the hardware prefetcher follows (four separate 1 KiB row streams ran at
 * a third of the memory bandwidth). Codes are stored as u = code + 1 (0 = −1, 1 = 0, 2 = +1), pads
 * as u = 1; one or two float scales per (row, segment). No float copy of the weights.
 */
public final class PackedTernaryMatrix {

    /**
     * How the codes are stored. {@link #TWO_BIT}: a 16-short chunk holds 8 steps of 16 inputs (short
     * lane i, bits 2j..2j+1: input 16·j + i), so one shift turns a chunk into a step's codes; rows
     * are padded to whole chunks of 128 inputs. {@link #BASE3}: a 16-byte unit holds 5 steps (byte
     * lane i: the base-3 digits of inputs 16·j + i, j = 0..4), 1.6 bits per weight and rows padded to
     * 80 inputs; decoding costs a few more integer operations per step. Both keep rows in tiles of
     * four (above). {@link #TRIPLES}: tiles of 32 rows, one short per row and 9 inputs — three 5-bit
     * indices Σ uᵢ·3ⁱ of three inputs each (bits 5j..5j+4: inputs 9s + 3j …) — so a 512-bit vector
     * holds 9 inputs of 32 rows (short lane i = row 32t + i) for {@link TripleKernels}' table
     * lookups, in the blocked order of {@link TripleKernels#offset}; 1.8 bits per weight, rows
     * padded to 32-row tiles and ⌈k / 9⌉ shorts, one scale per row (one segment).
     *
     * <p>{@link #of(TernaryTensor)} (matmul weights) takes TRIPLES where it applies, the machine has
     * 512-bit vectors (the lookups need vpermw) and it is smaller than the layout the size rule
     * below picks: it measured 1.5–2× faster than TWO_BIT on large matrices. Otherwise, and for
     * convolutions
     * ({@link #of(TernaryTensor, int, int)}, whose pixel kernels read 16 codes of one row at a
     * time), TWO_BIT unless that exceeds {@link #BITS_BUDGET} resident bits per weight (small
     * layers, whose padding and scales weigh more) and BASE3 is smaller.
     */
    public enum CodeLayout { TWO_BIT, BASE3, TRIPLES }

    /** Resident bits per weight (codes, scales, tables) above which the automatic choice tries BASE3. */
    public static final double BITS_BUDGET = 2.1;

    private final int rows;
    private final ReductionLayout layout;
    private final short[] codes;
    private final byte[] base3;
    private final short[] triples;
    private final float[] scalePos;
    private final float[] scaleNeg;

    private PackedTernaryMatrix(int rows, ReductionLayout layout, short[] codes, byte[] base3, short[] triples, float[] scalePos, float[] scaleNeg) {
        this.rows = rows;
        this.layout = layout;
        this.codes = codes;
        this.base3 = base3;
        this.triples = triples;
        this.scalePos = scalePos;
        this.scaleNeg = scaleNeg;
    }

    /** The whole tensor as a matmul weight [shape[0], rest], layout chosen by speed and size (see {@link CodeLayout}). */
    public static PackedTernaryMatrix of(TernaryTensor t) {
        int[] groupOf = groupIds(t);
        int rows = t.shape()[0];
        Plan bySize = bySize(t, 0, rows, groupOf);
        if (!VectorWidth.WIDE || !triplesApply(t, groupOf)) return bySize.pack();
        // faster on large layers, but never at the cost of memory: on LeNet's FC1 (2.0 bits against
        // base-3's 1.7) its float path was also slower end to end (31–32 k against 36–37 k images/s)
        Plan triples = plan(t, 0, rows, CodeLayout.TRIPLES, groupOf);
        return (triples.residentBytes() < bySize.residentBytes() ? triples : bySize).pack();
    }

    /** Whether the TRIPLES layout can hold t: rank ≥ 2, one scale per group, and each row's inputs all in one group. */
    static boolean triplesApply(TernaryTensor t) {
        return t.shape().length >= 2 && triplesApply(t, groupIds(t));
    }

    private static boolean triplesApply(TernaryTensor t, int[] groupOf) {
        int[] shape = t.shape();
        if (t.twoScales() || shape.length < 2) return false;
        int total = groupOf.length, k = shape[0] == 0 ? 0 : total / shape[0];
        for (int i = 0; i < total; i++) if (groupOf[i] != groupOf[i - i % k]) return false;
        return true;
    }

    /** Rows [rowStart, rowStart + rows) of the tensor seen as [shape[0], rest] (one conv group, say), TWO_BIT or BASE3 chosen by size. */
    public static PackedTernaryMatrix of(TernaryTensor t, int rowStart, int rows) {
        return bySize(t, rowStart, rows, groupIds(t)).pack();
    }

    /** TWO_BIT unless it exceeds the budget and BASE3 is smaller; sizes come from the layouts, only the winner is packed. */
    private static Plan bySize(TernaryTensor t, int rowStart, int rows, int[] groupOf) {
        Plan twoBit = plan(t, rowStart, rows, CodeLayout.TWO_BIT, groupOf);
        long weights = (long) rows * twoBit.layout().k();
        if (weights == 0 || twoBit.residentBytes() * 8.0 / weights <= BITS_BUDGET) return twoBit;
        Plan base3 = plan(t, rowStart, rows, CodeLayout.BASE3, groupOf);
        return base3.residentBytes() < twoBit.residentBytes() ? base3 : twoBit;
    }

    /** Rows [rowStart, rowStart + rows) in the given code layout. */
    public static PackedTernaryMatrix of(TernaryTensor t, int rowStart, int rows, CodeLayout codeLayout) {
        return plan(t, rowStart, rows, codeLayout, groupIds(t)).pack();
    }

    /** A matrix decided but not yet packed: its reduction layout and what it will keep resident. */
    private record Plan(TernaryTensor t, int rowStart, int rows, CodeLayout code, ReductionLayout layout, int[] groupOf) {
        long residentBytes() {
            return PackedTernaryMatrix.residentBytes(code, layout, rows, t.twoScales());
        }

        PackedTernaryMatrix pack() {
            return PackedTernaryMatrix.pack(this);
        }
    }

    private static Plan plan(TernaryTensor t, int rowStart, int rows, CodeLayout codeLayout, int[] groupOf) {
        int[] shape = t.shape();
        int total = Shapes.size(shape), outs = shape[0];
        int k = outs == 0 ? 0 : total / outs;
        if (rowStart < 0 || rows < 0 || rowStart + rows > outs) throw new IllegalArgumentException("rows " + rowStart + ".." + (rowStart + rows) + " outside shape " + Arrays.toString(shape));
        boolean b3 = codeLayout == CodeLayout.BASE3, tr = codeLayout == CodeLayout.TRIPLES;
        if (tr && !triplesApply(t, groupOf)) throw new IllegalArgumentException("the TRIPLES layout needs one scale per row (one group per row, one scale per group)");
        ReductionLayout layout = ReductionLayout.build(rows, k, tr ? new int[][] {null} : inputOrders(shape, k), (r, i) -> groupOf[(rowStart + r) * k + i],
                b3 ? ReductionLayout.QUINT : tr ? ReductionLayout.NINES : ReductionLayout.CHUNK);
        return new Plan(t, rowStart, rows, codeLayout, layout, groupOf);
    }

    private static PackedTernaryMatrix pack(Plan plan) {
        TernaryTensor t = plan.t();
        int rowStart = plan.rowStart(), rows = plan.rows(), k = plan.layout().k();
        int[] groupOf = plan.groupOf();
        ReductionLayout layout = plan.layout();
        boolean b3 = plan.code() == CodeLayout.BASE3, tr = plan.code() == CodeLayout.TRIPLES;
        int segs = layout.segments(), units = unitsPerRow(layout, b3), tiles = (rows + 3) / 4;
        short[] codes = b3 || tr ? null : new short[Math.multiplyExact(tiles * 4, units)];
        int[] digits = b3 ? new int[Math.multiplyExact(tiles * 4, units)] : null;
        int nines = ninesOf(layout);
        short[] triples = tr ? new short[Math.multiplyExact(TripleKernels.tiles(rows) * TripleKernels.TILE, nines)] : null;
        if (codes != null) Arrays.fill(codes, (short) 0x5555);
        if (digits != null) Arrays.fill(digits, BASE3_ALL_ZERO);
        if (triples != null) Arrays.fill(triples, TRIPLES_ALL_ZERO);
        float[] pos = new float[rows * segs];
        float[] neg = t.twoScales() ? new float[rows * segs] : null;
        byte[] src = t.codes();
        int[] firstInput = firstLogicalInputOfSegments(layout);
        for (int r = 0; r < rows; r++) {
            int row = rowStart + r, base = tr ? 0 : rowBase(r, units);
            for (int i = 0; i < k; i++) {
                int p = layout.padded(i), step = p >> 4, u = src[row * k + i] + 1;
                if (tr) {
                    // each 5-bit field starts at 13 (three zero codes) and stays within 0…26: no carries
                    triples[TripleKernels.offset(r, p / 9, rows, nines)] += (short) ((u - 1) * POW3[p % 3] << (5 * (p % 9 / 3)));
                } else if (b3) {
                    digits[base + step / 5 * 64 + (p & 15)] += (u - 1) * POW3[4 - step % 5];
                } else {
                    int at = base + (step >> 3) * 64 + (p & 15), shift = (step & 7) * 2;
                    codes[at] = (short) ((codes[at] & ~(3 << shift)) | (u << shift));
                }
            }
            for (int s = 0; s < segs; s++) {
                int g = firstInput[s] < 0 ? -1 : groupOf[row * k + firstInput[s]];
                pos[r * segs + s] = g < 0 ? 0f : t.scalePos()[g];
                if (neg != null) neg[r * segs + s] = g < 0 ? 0f : t.scaleNeg()[g];
            }
        }
        byte[] base3 = null;
        if (digits != null) {
            base3 = new byte[digits.length];
            for (int i = 0; i < digits.length; i++) base3[i] = (byte) ((digits[i] * 256 + 242) / 243);
        }
        return new PackedTernaryMatrix(rows, layout, codes, base3, triples, pos, neg);
    }

    private static final short TRIPLES_ALL_ZERO = (short) (TripleKernels.ZERO_TRIPLE * (1 + (1 << 5) + (1 << 10)));

    /**
     * Shorts per TRIPLES row: ⌈k / 9⌉. The activations are padded to 144 inputs (whole steps of 16
     * for the shared quantizer and float paths), but the codes stop at the last 9: 4096 inputs take
     * 1.80 bits per weight instead of 1.82.
     */
    private static int ninesOf(ReductionLayout l) {
        return (l.k() + TripleKernels.NINE - 1) / TripleKernels.NINE;
    }

    /** Shorts per row in the TRIPLES layout. */
    int nines() {
        return ninesOf(layout);
    }


    /**
     * Base-3 bytes hold v = Σ_j u_j·3^(4−j) as ⌈256·v / 243⌉ (llama.cpp's TQ1_0 trick): digit j is
     * then ((byte·3^j mod 256)·3) >> 8, a multiply, mask and shift in 16-bit lanes, no division.
     */
    static final short[] POW3 = {1, 3, 9, 27, 81};
    /** v of five zero codes (u = 1 each). */
    private static final int BASE3_ALL_ZERO = 121;

    /** Each weight's group id; refuses tensors that are not matrices. */
    private static int[] groupIds(TernaryTensor t) {
        int[] shape = t.shape();
        if (shape.length < 2) throw new IllegalArgumentException("a ternary matrix needs a tensor of rank ≥ 2, got shape " + Arrays.toString(shape));
        return groupIds(t.grouping().layout(shape), Shapes.size(shape));
    }

    private static int[] groupIds(GroupLayout groups, int total) {
        int[] id = new int[total];
        for (int g = 0; g < groups.groupCount(); g++) {
            for (int j = 0; j < groups.size(g); j++) id[groups.position(g, j)] = g;
        }
        return id;
    }

    /** Identity, and for conv kernels [O, I, spatial…] also spatial-major (input p·I + c is c·S + p). */
    private static int[][] inputOrders(int[] shape, int k) {
        int spatial = 1;
        for (int d = 2; d < shape.length; d++) spatial *= shape[d];
        if (shape.length < 3 || spatial == 1 || shape[1] == 1) return new int[][] {null};
        int cin = shape[1];
        int[] order = new int[k];
        for (int p = 0; p < spatial; p++) for (int c = 0; c < cin; c++) order[p * cin + c] = c * spatial + p;
        return new int[][] {null, order};
    }

    private static int[] firstLogicalInputOfSegments(ReductionLayout layout) {
        int segs = layout.segments();
        int[] first = new int[segs];
        Arrays.fill(first, -1);
        for (int i = 0; i < layout.k(); i++) {
            int step = layout.padded(i) / ReductionLayout.STEP;
            int s = segmentOfStep(layout.segmentSteps(), step);
            if (first[s] < 0 || layout.padded(first[s]) > layout.padded(i)) first[s] = i;
        }
        return first;
    }

    private static int segmentOfStep(int[] steps, int step) {
        int s = Arrays.binarySearch(steps, step);
        return s >= 0 ? Math.min(s, steps.length - 2) : -s - 2;
    }

    /** An independent copy (benchmarks rotate among copies so weights stream from memory). */
    public PackedTernaryMatrix copy() {
        return new PackedTernaryMatrix(rows, layout, codes == null ? null : codes.clone(), base3 == null ? null : base3.clone(),
                triples == null ? null : triples.clone(), scalePos.clone(),
                scaleNeg == null ? null : scaleNeg.clone());
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return layout.k();
    }

    public ReductionLayout layout() {
        return layout;
    }

    public boolean twoScales() {
        return scaleNeg != null;
    }

    public CodeLayout codeLayout() {
        return base3 != null ? CodeLayout.BASE3 : triples != null ? CodeLayout.TRIPLES : CodeLayout.TWO_BIT;
    }

    /** The 2-bit chunks (null in the BASE3 layout). */
    short[] codes() {
        return codes;
    }

    /** The base-3 units (null in the other layouts). */
    byte[] base3() {
        return base3;
    }

    /** The TRIPLES tiles (null in the other layouts). */
    short[] triples() {
        return triples;
    }

    float[] scalePos() {
        return scalePos;
    }

    float[] scaleNeg() {
        return scaleNeg;
    }

    /** Where row r's first unit starts (in shorts for TWO_BIT, bytes for BASE3): tiles of four rows, unit-interleaved. */
    int rowBase(int r) {
        return rowBase(r, unitsPerRow(layout, base3 != null));
    }

    private static int rowBase(int r, int units) {
        return (r >> 2) * (units * 4) + (r & 3) * 16;
    }

    /** 16-lane units per row: shorts (8 steps each) or bytes (5 steps each, 16 per unit). */
    private static int unitsPerRow(ReductionLayout l, boolean base3) {
        return base3 ? l.paddedK() / 5 : l.paddedK() / 8;
    }

    /** Rows the kernels compute together: a row block of 1024 for TRIPLES, a tile of 4 otherwise (parallel ranges should start at multiples). */
    int rowTile() {
        return triples != null ? TripleKernels.BLOCK_TILES * TripleKernels.TILE : 4;
    }

    /** Bytes of packed codes per row. */
    int rowBytes() {
        return base3 != null ? layout.paddedK() / 5 : triples != null ? nines() * 2 : layout.paddedK() / 4;
    }

    /** u = code + 1 of (row, padded input p). */
    int paddedCode(int row, int p) {
        if (triples != null) {
            if (p / 9 >= nines()) return 1;
            int index = (triples[TripleKernels.offset(row, p / 9, rows, nines())] >> (5 * (p % 9 / 3))) & 31;
            return index / POW3[p % 3] % 3;
        }
        int step = p >> 4;
        if (base3 != null) {
            int b = base3[rowBase(row) + step / 5 * 64 + (p & 15)] & 0xFF;
            return (((b * POW3[step % 5]) & 0xFF) * 3) >> 8;
        }
        return (codes[rowBase(row) + (step >> 3) * 64 + (p & 15)] >> ((step & 7) * 2)) & 3;
    }

    /** The 16 values u = code + 1 of padded inputs [16·step, 16·step + 16) of a row (pads give 1). */
    ShortVector stepCodes(int row, int step) {
        if (triples != null) {
            // only the rare non-finite fallback reads TRIPLES codes this way
            short[] u = new short[ReductionLayout.STEP];
            for (int i = 0; i < u.length; i++) u[i] = (short) paddedCode(row, step * ReductionLayout.STEP + i);
            return ShortVector.fromArray(ShortVector.SPECIES_256, u, 0);
        }
        if (base3 != null) {
            // sign-extend and mask: ZERO_EXTEND_B2S is not always compiled to an instruction
            ShortVector b = ((ShortVector) ByteVector.fromArray(ByteVector.SPECIES_128, base3, rowBase(row) + step / 5 * 64)
                    .convertShape(VectorOperators.B2S, ShortVector.SPECIES_256, 0)).and((short) 0xFF);
            // shift counts as short: the long overload is one call deeper, and C2 left it out of line (a boxed vector per call)
            return b.mul(POW3[step % 5]).and((short) 0xFF).mul((short) 3).lanewise(VectorOperators.LSHR, (short) 8);
        }
        return ShortVector.fromArray(ShortVector.SPECIES_256, codes, rowBase(row) + (step >> 3) * 64)
                .lanewise(VectorOperators.LSHR, (short) ((step & 7) * 2)).and((short) 3);
    }

    /** The code in {−1, 0, +1} of (row, logical input): for tests and the exact path's reference. */
    public int code(int row, int input) {
        return paddedCode(row, layout.padded(input)) - 1;
    }

    /** Bytes this matrix keeps resident: codes, scales and the input permutation if any. */
    public long residentBytes() {
        return residentBytes(codeLayout(), layout, rows, twoScales());
    }

    /** What a matrix of this layout keeps resident, known before packing (the automatic choice compares these). */
    private static long residentBytes(CodeLayout code, ReductionLayout l, int rows, boolean twoScales) {
        long tileRows = (rows + 3) / 4 * 4L;
        long b = switch (code) {
            case TWO_BIT -> tileRows * unitsPerRow(l, false) * 2;
            case BASE3 -> tileRows * unitsPerRow(l, true);
            case TRIPLES -> (long) TripleKernels.tiles(rows) * TripleKernels.TILE * ninesOf(l) * 2;
        };
        b += (long) rows * l.segments() * 4 * (twoScales ? 2 : 1);
        if (l.toPadded() != null) b += (long) l.toPadded().length * 4;
        return b + (long) l.segmentSteps().length * 4;
    }
}
