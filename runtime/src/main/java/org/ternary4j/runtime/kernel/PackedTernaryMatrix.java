package org.ternary4j.runtime.kernel;

import java.util.Arrays;
import java.util.Optional;
import jdk.incubator.vector.ShortVector;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.grouping.Shapes;

/**
 * A ternary weight matrix [rows, k] repacked for the kernels, in one of the code layouts of
 * {@link CodeLayout}, one subclass each: its packing, its code bytes, its scalar decoding and the
 * kernels it runs with. What they share lives here: the {@link ReductionLayout} (padded input
 * order and scale segments), one or two scales per (row, segment) (FP16 when every scale of the
 * tensor is an FP16 value, see {@link ScaleArray}), the automatic choice of
 * a layout, and the scalar references the kernels must agree with. Codes are stored as
 * u = code + 1 (0 = −1, 1 = 0, 2 = +1), pads as u = 1. No float copy of the weights.
 */
public abstract sealed class PackedTernaryMatrix permits TwoBitMatrix, Base3Matrix, TriplesMatrix {

    /**
     * How the codes are stored; each constant names its layout's {@link Format} (a new layout is
     * one subclass and one constant here, plus its place in the automatic choice).
     * {@link #TWO_BIT}: {@link TwoBitMatrix}, {@link #BASE3}: {@link Base3Matrix},
     * {@link #TRIPLES}: {@link TriplesMatrix}.
     *
     * <p>{@link #of(TernaryTensor)} (matmul weights) takes TRIPLES where it applies, the machine has
     * 512-bit vectors (the lookups need vpermw) and it is smaller than the layout the size rule
     * below picks: it measured 1.5–2× faster than TWO_BIT on large matrices. Otherwise, and for
     * convolutions ({@link #of(TernaryTensor, int, int)}, whose pixel kernels read 16 codes of one
     * row at a time), TWO_BIT unless that exceeds {@link #BITS_BUDGET} resident bits per weight
     * (small layers, whose padding and scales weigh more) and BASE3 is smaller.
     */
    public enum CodeLayout {
        TWO_BIT(TwoBitMatrix.FORMAT), BASE3(Base3Matrix.FORMAT), TRIPLES(TriplesMatrix.FORMAT);

        private final Format format;

        CodeLayout(Format format) {
            this.format = format;
        }
    }

    /** What the planner asks of a layout before packing; each layout declares one as its {@code FORMAT}. */
    abstract static class Format {
        /** What the layout pads each row's inputs to a multiple of. */
        final int granule;

        Format(int granule) {
            this.granule = granule;
        }

        /** Why the layout cannot hold the planned matrix, if it cannot. */
        Optional<String> refusal(Plan plan) {
            return Optional.empty();
        }

        /** Bytes of codes (no scales) the packed matrix will keep. */
        abstract long codeBytes(ReductionLayout layout, int rows);

        abstract PackedTernaryMatrix pack(Plan plan);
    }

    /** Resident bits per weight (codes, scales, tables) above which the automatic choice tries BASE3. */
    public static final double BITS_BUDGET = 2.1;

    /** Powers of three: the base-3 digits of BASE3 bytes and of TRIPLES indices. */
    static final short[] POW3 = {1, 3, 9, 27, 81};

    private final CodeLayout code;
    private final int rows;
    private final ReductionLayout layout;
    private final ScaleArray scalePos;
    private final ScaleArray scaleNeg;

    /** The scales of the planned rows: per segment, those of the group of its first input. */
    PackedTernaryMatrix(Plan plan) {
        TernaryTensor t = plan.t();
        int segs = plan.layout().segments(), k = plan.layout().k();
        int[] first = firstLogicalInputOfSegments(plan.layout());
        code = plan.code();
        rows = plan.rows();
        layout = plan.layout();
        float[] pos = new float[rows * segs];
        float[] neg = t.twoScales() ? new float[rows * segs] : null;
        for (int r = 0; r < rows; r++) {
            for (int s = 0; s < segs; s++) {
                int g = first[s] < 0 ? -1 : plan.groupOf()[(plan.rowStart() + r) * k + first[s]];
                pos[r * segs + s] = g < 0 ? 0f : t.scalePos()[g];
                if (neg != null) neg[r * segs + s] = g < 0 ? 0f : t.scaleNeg()[g];
            }
        }
        scalePos = ScaleArray.of(pos, t.halfScales());
        scaleNeg = neg == null ? null : ScaleArray.of(neg, t.halfScales());
    }

    /** A copy with its own scale arrays. */
    PackedTernaryMatrix(PackedTernaryMatrix m) {
        code = m.code;
        rows = m.rows;
        layout = m.layout;
        scalePos = m.scalePos.copy();
        scaleNeg = m.scaleNeg == null ? null : m.scaleNeg.copy();
    }

    /** The whole tensor as a matmul weight [shape[0], rest], layout chosen by speed and size (see {@link CodeLayout}). */
    public static PackedTernaryMatrix of(TernaryTensor t) {
        int[] groupOf = groupIds(t);
        int rows = t.shape()[0];
        Plan bySize = bySize(t, 0, rows, groupOf);
        Plan triples = plan(t, 0, rows, CodeLayout.TRIPLES, groupOf);
        // faster on large layers, but never at the cost of memory: on LeNet's FC1 (2.0 bits against
        // base-3's 1.7) its float path was also slower end to end (31–32 k against 36–37 k images/s)
        boolean faster = triples.refusal().isEmpty() && triples.residentBytes() < bySize.residentBytes();
        if (VectorWidth.WIDE) return (faster ? triples : bySize).pack();
        // without vpermw the same layers keep TWO_BIT and look their sums up across vectors instead,
        // so that AUTO gives int8 to the same layers on every machine
        PackedTernaryMatrix m = bySize.pack();
        return faster && m instanceof TwoBitMatrix two && QuadLutGemm.holds(two) ? two.withQuadTables() : m;
    }

    /** Rows [rowStart, rowStart + rows) of the tensor seen as [shape[0], rest] (one conv group, say), TWO_BIT or BASE3 chosen by size. */
    public static PackedTernaryMatrix of(TernaryTensor t, int rowStart, int rows) {
        return bySize(t, rowStart, rows, groupIds(t)).pack();
    }

    /** Rows [rowStart, rowStart + rows) in the given code layout; refuses a layout that cannot hold them. */
    public static PackedTernaryMatrix of(TernaryTensor t, int rowStart, int rows, CodeLayout codeLayout) {
        Plan plan = plan(t, rowStart, rows, codeLayout, groupIds(t));
        plan.refusal().ifPresent(why -> {
            throw new IllegalArgumentException(why);
        });
        return plan.pack();
    }

    /** Whether the layout can hold the whole tensor as a matrix. */
    static boolean holds(CodeLayout codeLayout, TernaryTensor t) {
        return plan(t, 0, t.shape()[0], codeLayout, groupIds(t)).refusal().isEmpty();
    }

    /** TWO_BIT unless it exceeds the budget and BASE3 is smaller; sizes come from the layouts, only the winner is packed. */
    private static Plan bySize(TernaryTensor t, int rowStart, int rows, int[] groupOf) {
        Plan twoBit = plan(t, rowStart, rows, CodeLayout.TWO_BIT, groupOf);
        long weights = (long) rows * twoBit.layout().k();
        if (weights == 0 || twoBit.residentBytes() * 8.0 / weights <= BITS_BUDGET) return twoBit;
        Plan base3 = plan(t, rowStart, rows, CodeLayout.BASE3, groupOf);
        return base3.residentBytes() < twoBit.residentBytes() ? base3 : twoBit;
    }

    /** A matrix decided but not yet packed: which rows of t, in which layout, and its reduction layout. */
    record Plan(TernaryTensor t, int rowStart, int rows, CodeLayout code, ReductionLayout layout, int[] groupOf) {
        long residentBytes() {
            return PackedTernaryMatrix.residentBytes(code, layout, rows, t.twoScales(), t.halfScales());
        }

        Optional<String> refusal() {
            return code.format.refusal(this);
        }

        PackedTernaryMatrix pack() {
            return code.format.pack(this);
        }

        /** u = code + 1 of (row r of the plan, logical input i). */
        int u(int r, int i) {
            return t.codes()[(rowStart + r) * layout.k() + i] + 1;
        }
    }

    private static Plan plan(TernaryTensor t, int rowStart, int rows, CodeLayout code, int[] groupOf) {
        int[] shape = t.shape();
        int total = Shapes.size(shape), outs = shape[0];
        int k = outs == 0 ? 0 : total / outs;
        if (rowStart < 0 || rows < 0 || rowStart + rows > outs) throw new IllegalArgumentException("rows " + rowStart + ".." + (rowStart + rows) + " outside shape " + Arrays.toString(shape));
        ReductionLayout layout = ReductionLayout.build(rows, k, inputOrders(shape, k), (r, i) -> groupOf[(rowStart + r) * k + i], code.format.granule);
        return new Plan(t, rowStart, rows, code, layout, groupOf);
    }

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
    public abstract PackedTernaryMatrix copy();

    /**
     * Whether the int8 product looks its sums up in tables rather than decoding codes: the TRIPLES
     * layout, or TWO_BIT matrices that TRIPLES would have taken on a 512-bit machine ({@link QuadLutGemm}).
     */
    public boolean tableLookup() {
        return this instanceof TriplesMatrix || this instanceof TwoBitMatrix t && t.quadTables();
    }

    public CodeLayout codeLayout() {
        return code;
    }

    /** u = code + 1 of (row, padded input p), decoded one at a time: the layout's scalar reference. */
    abstract int paddedCode(int row, int p);

    /** Rows the kernels compute together (parallel ranges should start at multiples). */
    abstract int rowTile();

    /** Bytes of packed codes per row. */
    abstract int rowBytes();

    /**
     * The int8 kernel: rows [from, to) of every finite vector of a into y[b·rows + r]. Work that
     * serves every range (TRIPLES tabulates the activations) is done here, once per call.
     */
    abstract Parallel.RangeBody int8Rows(QuantizedActivations a, float[] y);

    /**
     * The exact kernel: rows [from, to) of the {@code count} vectors of xp (padded order, paddedK
     * apart) into y's vectors yFirst + b; NaN and infinity go through {@link #exactReference}.
     */
    abstract Parallel.RangeBody exactRows(float[] xp, int count, float[] y, int yFirst);

    /** The 16 values u = code + 1 of padded inputs [16·step, 16·step + 16) of a row (pads give 1); layouts with vector decoding override it. */
    ShortVector stepCodes(int row, int step) {
        short[] u = new short[ReductionLayout.STEP];
        for (int i = 0; i < u.length; i++) u[i] = (short) paddedCode(row, step * ReductionLayout.STEP + i);
        return ShortVector.fromArray(ShortVector.SPECIES_256, u, 0);
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

    /** Whether each row has one scale: one group per row and one scale per group (what the row-wise float kernels need). */
    public boolean oneScalePerRow() {
        return scaleNeg == null && layout.segments() == 1;
    }

    ScaleArray scalePos() {
        return scalePos;
    }

    /** Each row's scale as a float, for the table products that combine a row's sum with it once ({@link #oneScalePerRow} matrices). */
    float[] rowScales() {
        if (!oneScalePerRow()) throw new IllegalStateException("rows with several scales");
        float[] s = new float[rows];
        scalePos.copyTo(0, rows, s);
        return s;
    }

    /** Null for one-scale groups. */
    ScaleArray scaleNeg() {
        return scaleNeg;
    }

    /** Whether the scales are kept as FP16 (every one is an FP16 value). */
    public boolean halfScales() {
        return scalePos.half() && (scaleNeg == null || scaleNeg.half());
    }

    /** The code in {−1, 0, +1} of (row, logical input): for tests and the exact path's reference. */
    public int code(int row, int input) {
        return paddedCode(row, layout.padded(input)) - 1;
    }

    /**
     * The exact product of a row and activations xp (padded order, from x0), scalar: per segment,
     * the sums of the +1 and of the −1 inputs in padded order, so a zero code skips its input (0·∞
     * would be NaN). The exact kernels must agree up to float rounding; inputs with NaN or infinity
     * take this path as it is.
     */
    float exactReference(int row, float[] xp, int x0) {
        int[] steps = layout.segmentSteps();
        int segs = layout.segments();
        float acc = 0f;
        for (int s = 0; s < segs; s++) {
            float pos = 0f, neg = 0f;
            for (int p = steps[s] * ReductionLayout.STEP; p < steps[s + 1] * ReductionLayout.STEP; p++) {
                int u = paddedCode(row, p);
                if (u == 2) pos += xp[x0 + p];
                else if (u == 0) neg += xp[x0 + p];
            }
            acc += scaleNeg == null ? scalePos.get(row * segs + s) * (pos - neg) : scalePos.get(row * segs + s) * pos - scaleNeg.get(row * segs + s) * neg;
        }
        return acc;
    }

    /** The int8 product of a row and the finite vector b of a, scalar: the int8 kernels must give the same bits. */
    float int8Reference(int row, QuantizedActivations a, int b) {
        int[] steps = layout.segmentSteps();
        int segs = layout.segments();
        int[] all = new int[segs], pos = new int[segs];
        for (int s = 0; s < segs; s++) {
            for (int p = steps[s] * ReductionLayout.STEP; p < steps[s + 1] * ReductionLayout.STEP; p++) {
                int u = paddedCode(row, p), q = a.q[b * a.paddedK + p];
                all[s] += u * q;
                if (u == 2) pos[s] += q;
            }
        }
        return combine(a, row, b, all, twoScales() ? pos : null, 0);
    }

    /**
     * A row's output from its integer sums, the same float operations for every kernel. Per
     * segment with Q = Σq, A = Σ(code+1)·q and P = Σ_{+1} q: the +1 and −1 sums are P and
     * N = Q − A + P, and Σ code·q = A − Q. sumPos is null for one-scale groups.
     */
    float combine(QuantizedActivations a, int row, int b, int[] sumAll, int[] sumPos, int off) {
        int segs = layout.segments();
        float acc = 0f;
        for (int s = 0; s < segs; s++) {
            int q = a.segmentSums[b * segs + s], all = sumAll[off + s];
            if (sumPos == null) {
                acc += scalePos.get(row * segs + s) * (float) (all - q);
            } else {
                int pos = sumPos[off + s], neg = q - all + pos;
                acc += scalePos.get(row * segs + s) * (float) pos - scaleNeg.get(row * segs + s) * (float) neg;
            }
        }
        return acc * a.scale[b];
    }

    /** Bytes this matrix keeps resident: codes, scales and the input permutation if any. */
    public long residentBytes() {
        return residentBytes(codeLayout(), layout, rows, twoScales(), halfScales());
    }

    /** {@link #residentBytes} as codes (with the layout's tables) and scales. */
    public WeightBytes weightBytes() {
        long scales = ScaleArray.bytes((long) rows * layout.segments() * (twoScales() ? 2 : 1), halfScales());
        return new WeightBytes(residentBytes() - scales, scales, 0);
    }

    /** What a matrix of this layout keeps resident, known before packing (the automatic choice compares these). */
    private static long residentBytes(CodeLayout code, ReductionLayout l, int rows, boolean twoScales, boolean halfScales) {
        long b = code.format.codeBytes(l, rows);
        b += ScaleArray.bytes((long) rows * l.segments() * (twoScales ? 2 : 1), halfScales);
        if (l.toPadded() != null) b += (long) l.toPadded().length * 4;
        return b + (long) l.segmentSteps().length * 4;
    }

    /**
     * Where row r starts in the layouts that keep rows in tiles of four with their 16-lane units
     * interleaved (unit c of row 4t + i at 64·c + 16·i from the tile's start), perRow elements a row.
     */
    static int tileRowBase(int r, int perRow) {
        return (r >> 2) * (perRow * 4) + (r & 3) * 16;
    }
}
