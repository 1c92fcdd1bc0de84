package org.ternary4j.ptq.calibrate;

import java.util.Arrays;

/**
 * The calibration examples one part of a cut holds: their indices in the calibration set, in the
 * order of the part's rows, and how many token positions the part's token values have per example
 * ({@link TokenCut}; 0: as many as the data stores, nothing cut). Statistics number an example's
 * rows by its index, so which rows a sample keeps does not depend on how the examples were batched.
 */
record Examples(int[] index, int tokens) {
    Examples {
        index = index.clone();
        if (tokens < 0) throw new IllegalArgumentException("negative token count " + tokens);
    }

    /** Examples {@code first ..< first + count}, nothing cut. */
    static Examples range(int first, int count) {
        int[] index = new int[count];
        for (int i = 0; i < count; i++) index[i] = first + i;
        return new Examples(index, 0);
    }

    int count() {
        return index.length;
    }

    /** The calibration-set index of the part's {@code i}-th example. */
    int get(int i) {
        return index[i];
    }

    /** The part's examples {@code from ..< to}. */
    Examples slice(int from, int to) {
        return new Examples(Arrays.copyOfRange(index, from, to), tokens);
    }

    @Override
    public int[] index() {
        return index.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Examples e && e.tokens == tokens && Arrays.equals(e.index, index);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(index) + tokens;
    }

    @Override
    public String toString() {
        return "Examples" + Arrays.toString(index) + (tokens == 0 ? "" : " at " + tokens + " tokens");
    }
}
