package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane indices 0, 2, 4, … and 1, 3, 5, … of a pair of preferred-width float vectors, for the
 * two-vector {@code selectFrom} that takes every other value of 2·L consecutive floats: the
 * stride-2 max pools of {@link TapConv} and the graph's conv finish, and the stride-2 phase splits
 * of {@link DepthwiseConv} and {@link PixelSource}.
 */
public final class PairLanes {
    private PairLanes() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    public static final FloatVector EVEN = lanes(0), ODD = lanes(1);

    private static FloatVector lanes(int first) {
        float[] ix = new float[F.length()];
        for (int i = 0; i < ix.length; i++) ix[i] = first + 2 * i;
        return FloatVector.fromArray(F, ix, 0);
    }
}
