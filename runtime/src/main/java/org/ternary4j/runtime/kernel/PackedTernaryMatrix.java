package org.ternary4j.runtime.kernel;

import java.util.Arrays;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.grouping.Shapes;

/**
 * A ternary weight matrix [rows, k] repacked for the kernels: 2-bit codes u = code + 1 (0 = −1,
 * 1 = 0, 2 = +1), 8 steps of 16 inputs per 16-short chunk — short lane i of a chunk holds, at bits
 * 2j..2j+1, the code of input 16·j + i — so one shift and one mask turn a chunk into the 16 int16
 * codes of a step. Rows are stored in tiles of four with their chunks interleaved (chunk c of row
 * 4t + i at 64·(c + t·chunksPerRow) + 16·i): the four-row kernel then reads one sequential stream,
 * which the hardware prefetcher follows (four separate 1 KiB row streams ran at a third of the
 * memory bandwidth). 2 bits per weight plus pads (none when rows are a multiple of 128 long and
 * segments of 16) plus one or two float scales per (row, segment). No float copy of the weights.
 */
public final class PackedTernaryMatrix {

    private final int rows;
    private final ReductionLayout layout;
    private final short[] codes;
    private final float[] scalePos;
    private final float[] scaleNeg;

    private PackedTernaryMatrix(int rows, ReductionLayout layout, short[] codes, float[] scalePos, float[] scaleNeg) {
        this.rows = rows;
        this.layout = layout;
        this.codes = codes;
        this.scalePos = scalePos;
        this.scaleNeg = scaleNeg;
    }

    /** The whole tensor as a matrix [shape[0], rest]. */
    public static PackedTernaryMatrix of(TernaryTensor t) {
        return of(t, 0, t.shape().length == 0 ? 1 : t.shape()[0]);
    }

    /** Rows [rowStart, rowStart + rows) of the tensor seen as [shape[0], rest] (one conv group, say). */
    public static PackedTernaryMatrix of(TernaryTensor t, int rowStart, int rows) {
        int[] shape = t.shape();
        if (shape.length < 2) throw new IllegalArgumentException("a ternary matrix needs a tensor of rank ≥ 2, got shape " + Arrays.toString(shape));
        int total = Shapes.size(shape), outs = shape[0];
        int k = outs == 0 ? 0 : total / outs;
        if (rowStart < 0 || rows < 0 || rowStart + rows > outs) throw new IllegalArgumentException("rows " + rowStart + ".." + (rowStart + rows) + " outside shape " + Arrays.toString(shape));
        int[] groupOf = groupIds(t.grouping().layout(shape), total);
        ReductionLayout layout = ReductionLayout.build(rows, k, inputOrders(shape, k), (r, i) -> groupOf[(rowStart + r) * k + i]);
        int segs = layout.segments(), rowShorts = layout.paddedK() / 8;
        short[] codes = new short[Math.multiplyExact((rows + 3) / 4 * 4, layout.paddedK() / 8)];
        Arrays.fill(codes, (short) 0x5555);
        float[] pos = new float[rows * segs];
        float[] neg = t.twoScales() ? new float[rows * segs] : null;
        byte[] src = t.codes();
        int[] firstInput = firstLogicalInputOfSegments(layout);
        for (int r = 0; r < rows; r++) {
            int row = rowStart + r;
            for (int i = 0; i < k; i++) {
                int p = layout.padded(i);
                int at = rowBase(r, rowShorts) + (p >> 7) * 64 + (p & 15);
                int shift = ((p >> 4) & 7) * 2;
                codes[at] = (short) ((codes[at] & ~(3 << shift)) | ((src[row * k + i] + 1) << shift));
            }
            for (int s = 0; s < segs; s++) {
                int g = firstInput[s] < 0 ? -1 : groupOf[row * k + firstInput[s]];
                pos[r * segs + s] = g < 0 ? 0f : t.scalePos()[g];
                if (neg != null) neg[r * segs + s] = g < 0 ? 0f : t.scaleNeg()[g];
            }
        }
        return new PackedTernaryMatrix(rows, layout, codes, pos, neg);
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
        return new PackedTernaryMatrix(rows, layout, codes.clone(), scalePos.clone(), scaleNeg == null ? null : scaleNeg.clone());
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

    short[] codes() {
        return codes;
    }

    float[] scalePos() {
        return scalePos;
    }

    float[] scaleNeg() {
        return scaleNeg;
    }

    /** Where row r's first chunk starts: rows are stored in tiles of four, chunk-interleaved. */
    int rowBase(int r) {
        return rowBase(r, rowShorts());
    }

    private static int rowBase(int r, int rowShorts) {
        return (r >> 2) * (rowShorts * 4) + (r & 3) * 16;
    }

    /** Shorts of packed codes per row. */
    int rowShorts() {
        return layout.paddedK() / 8;
    }

    /** The code in {−1, 0, +1} of (row, logical input): for tests and the exact path's reference. */
    public int code(int row, int input) {
        int p = layout.padded(input);
        int v = codes[rowBase(row) + (p >> 7) * 64 + (p & 15)];
        return ((v >> (((p >> 4) & 7) * 2)) & 3) - 1;
    }

    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;

    /**
     * The 16 codes u = code + 1 ∈ {0, 1, 2} of padded inputs [16·step, 16·step + 16) of a row
     * (pads read 1): the float kernels' only view of the packed bits besides {@link #code}.
     */
    ShortVector stepCodes(int row, int step) {
        return ShortVector.fromArray(S16, codes, rowBase(row) + (step >>> 3) * 64)
                .lanewise(VectorOperators.LSHR, 2 * (step & 7)).and((short) 3);
    }

    /** Bytes this matrix keeps resident: codes, scales and the input permutation if any. */
    public long residentBytes() {
        long b = (long) codes.length * 2 + (long) scalePos.length * 4 + (scaleNeg == null ? 0 : (long) scaleNeg.length * 4);
        if (layout.toPadded() != null) b += (long) layout.toPadded().length * 4;
        return b + (long) layout.segmentSteps().length * 4;
    }
}
