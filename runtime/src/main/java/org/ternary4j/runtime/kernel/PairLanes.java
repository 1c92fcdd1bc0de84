package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane indices 0, 2, 4, … and 1, 3, 5, … of a pair of preferred-width float vectors, for the
 * two-vector {@code selectFrom} that takes every other value of 2·L consecutive floats: the
 * stride-2 max pools of {@link TapConv} and the graph's conv finish, and the stride-2 phase splits
 * of {@link DepthwiseConv}, {@link PixelSource} and {@link WinogradConv}; and the way back, two
 * vectors' lanes interleaved ({@link WinogradConv}'s two output columns of a tile row).
 */
public final class PairLanes {
    private PairLanes() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    public static final FloatVector EVEN = lanes(i -> 2 * i), ODD = lanes(i -> 2 * i + 1);
    /** a[0], b[0], a[1], b[1], … of the first halves of a and b, then of their second halves. */
    static final FloatVector ZIP_LO = lanes(i -> (i % 2 == 0 ? 0 : L) + i / 2), ZIP_HI = lanes(i -> (i % 2 == 0 ? 0 : L) + L / 2 + i / 2);

    /** The vector of lane(i) in lane i. */
    static FloatVector lanes(java.util.function.IntUnaryOperator lane) {
        float[] ix = new float[L];
        for (int i = 0; i < L; i++) ix[i] = lane.applyAsInt(i);
        return FloatVector.fromArray(F, ix, 0);
    }

    /**
     * y[dst + k] = max(max(a[r0 + 2k], a[r1 + 2k]), max(a[r0 + 2k + 1], a[r1 + 2k + 1])) for k
     * below cols / 2: the 2×2 stride-2 max pool of one pair of rows (each at least cols long). Whole
     * vectors of outputs by plain loads and stores, the rest scalar, maxima in the same order. Masks
     * cost more than they saved on a Zen 3 (28 columns took 29–43 against 45–55 ns a row pair with
     * masked loads and stores), and a masked access that reached past an array's end left the
     * intrinsic for the Vector API's lane-by-lane check (5 % of LeNet-5's profile samples).
     */
    public static void maxPool(float[] a, int r0, int r1, int cols, float[] y, int dst) {
        int pw = cols / 2, k = 0;
        for (; k + L <= pw; k += L) {
            int x = 2 * k;
            FloatVector v0 = FloatVector.fromArray(F, a, r0 + x).max(FloatVector.fromArray(F, a, r1 + x));
            FloatVector v1 = FloatVector.fromArray(F, a, r0 + x + L).max(FloatVector.fromArray(F, a, r1 + x + L));
            EVEN.selectFrom(v0, v1).max(ODD.selectFrom(v0, v1)).intoArray(y, dst + k);
        }
        for (; k < pw; k++) y[dst + k] = Math.max(Math.max(a[r0 + 2 * k], a[r1 + 2 * k]), Math.max(a[r0 + 2 * k + 1], a[r1 + 2 * k + 1]));
    }
}
