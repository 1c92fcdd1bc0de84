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
}
