package org.ternary4j.runtime.kernel;

/**
 * Where each input of a matrix row (the reduction axis) sits in the packed kernel layout, and the
 * segments of that axis that share one scale. Kernels work in steps of {@link #STEP} inputs and
 * chunks of {@link #CHUNK}; a segment boundary always falls on a step, so every segment is
 * padded to a whole number of steps (pads hold code 0 and activation 0) and the axis to a whole
 * number of granules ({@link #CHUNK}s for 2-bit codes, {@link #QUINT}s for base-3, {@link #NINES} for TRIPLES). The input order may be permuted (conv kernels grouped per channel fibre or
 * kernel position become contiguous when inputs are ordered spatial-major).
 *
 * @param k               logical inputs per row
 * @param paddedK         inputs per row in the packed layout, a multiple of {@code granule}
 * @param toPadded        padded position of each logical input, or null for the identity
 * @param segmentSteps    segment s covers steps [segmentSteps[s], segmentSteps[s+1])
 * @param granule         what paddedK is a multiple of: {@link #CHUNK}, {@link #QUINT} or {@link #NINES}
 */
public record ReductionLayout(int k, int paddedK, int[] toPadded, int[] segmentSteps, int granule) {

    /** Inputs per step: one 256-bit vector of int16 lanes. */
    public static final int STEP = 16;
    /** Inputs per chunk: a 2-bit code for each of 8 steps fits one 16-lane vector of shorts. */
    public static final int CHUNK = 128;
    /** Inputs per base-3 group: five steps, a base-3 digit each, in one byte per lane. */
    public static final int QUINT = 80;
    /** The TRIPLES granule: whole steps of 16 and whole short lanes of 9 inputs (see {@link TripleKernels}). */
    public static final int NINES = 144;

    public int segments() {
        return segmentSteps.length - 1;
    }

    /**
     * Whether the block kernel applies: several segments, each a whole number of chunks and at
     * most {@link IntKernels#RUN} steps long (llama.cpp-like blocks of 128…2048 inputs).
     */
    public boolean wholeChunkBlocks() {
        if (segments() < 2 || granule != CHUNK) return false;
        for (int s = 0; s < segments(); s++) {
            int a = segmentSteps[s], b = segmentSteps[s + 1];
            if ((a & 7) != 0 || (b & 7) != 0 || b - a > IntKernels.RUN) return false;
        }
        return true;
    }

    /**
     * Whether the padded order keeps the logical one (pads only between segments and at the end):
     * a product over the k logical inputs then adds the same terms in the same order as one over
     * the padded axis, whose pad terms (0·0) change no sum.
     */
    public boolean keepsOrder() {
        if (toPadded == null) return true;
        for (int i = 1; i < k; i++) if (toPadded[i] <= toPadded[i - 1]) return false;
        return true;
    }

    /** Whether o places the same inputs at the same padded places in the same segments (a record compares its arrays by identity). */
    public boolean sameOrder(ReductionLayout o) {
        return k == o.k && paddedK == o.paddedK && granule == o.granule && java.util.Arrays.equals(toPadded, o.toPadded)
                && java.util.Arrays.equals(segmentSteps, o.segmentSteps);
    }

    public int padded(int logical) {
        return toPadded == null ? logical : toPadded[logical];
    }

    /** Copies one logical input vector into padded order (dst must be zero at the pads). */
    public void scatter(float[] src, int srcOff, float[] dst, int dstOff) {
        if (toPadded == null) System.arraycopy(src, srcOff, dst, dstOff, k);
        else for (int i = 0; i < k; i++) dst[dstOff + toPadded[i]] = src[srcOff + i];
    }

    /**
     * The layout for rows whose inputs have group ids {@code groupOf(row, input)}: among the input
     * orders offered, the one with the fewest segments (ties keep the first order), padded to
     * whole granules.
     */
    static ReductionLayout build(int rows, int k, int[][] orders, GroupIds groupOf, int granule) {
        int[] bestOrder = null;
        boolean[] bestCuts = null;
        int bestCount = Integer.MAX_VALUE;
        for (int[] order : orders) {
            boolean[] cuts = new boolean[k + 1];
            int count = 1;
            for (int r = 0; r < rows; r++) {
                int prev = k == 0 ? 0 : groupOf.of(r, at(order, 0));
                for (int i = 1; i < k; i++) {
                    int g = groupOf.of(r, at(order, i));
                    if (g != prev && !cuts[i]) {
                        cuts[i] = true;
                        count++;
                    }
                    prev = g;
                }
            }
            if (count < bestCount) {
                bestCount = count;
                bestOrder = order;
                bestCuts = cuts;
            }
        }
        return pad(k, bestOrder, bestCuts, bestCount, granule);
    }

    private static ReductionLayout pad(int k, int[] order, boolean[] cuts, int segments, int granule) {
        int[] steps = new int[segments + 1];
        if (segments == 1) {
            int padded = roundUp(Math.max(k, 1), granule);
            steps[1] = padded / STEP;
            return new ReductionLayout(k, padded, inverse(order, k), steps, granule);
        }
        int[] logicalToPadded = new int[k];
        int s = 0, base = 0, start = 0;
        for (int i = 0; i <= k; i++) {
            if (i == k || (i > 0 && cuts[i])) {
                base += roundUp(i - start, STEP);
                steps[++s] = base / STEP;
                start = i;
            }
            if (i < k) logicalToPadded[at(order, i)] = base + (i - start);
        }
        boolean identity = true;
        for (int i = 0; i < k && identity; i++) identity = logicalToPadded[i] == i;
        // blocks that are whole steps need no table (and let activations be quantized in one vector pass)
        return new ReductionLayout(k, roundUp(Math.max(base, 1), granule), identity ? null : logicalToPadded, steps, granule);
    }

    private static int[] inverse(int[] order, int k) {
        if (order == null) return null;
        int[] p = new int[k];
        for (int i = 0; i < k; i++) p[order[i]] = i;
        return p;
    }

    private static int at(int[] order, int i) {
        return order == null ? i : order[i];
    }

    static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }

    @FunctionalInterface
    interface GroupIds {
        int of(int row, int input);
    }
}
