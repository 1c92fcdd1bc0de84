package org.ternary4j.core.projection;

/**
 * Maps one group of weights to ternary codes and scales (spec §2). Implementations are stateless
 * and thread-safe; the CLI spelling of each is {@link #spec()}.
 */
public interface Projection {

    /** The spelling that {@link Projections#parse} turns back into this projection. */
    String spec();

    /** Whether this projection may give +1 and −1 different scales. */
    default boolean twoScales() {
        return false;
    }

    /**
     * Projects {@code w[0..n)} (finite values) and writes a code in {−1, 0, +1} to each of
     * {@code codes[0..n)}. Returns the group's scales; a group with no nonzero code gets zero scales.
     */
    Scales project(float[] w, int n, byte[] codes);
}
