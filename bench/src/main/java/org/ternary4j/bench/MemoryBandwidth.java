package org.ternary4j.bench;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.runtime.kernel.Parallel;

/**
 * Read bandwidth measured the simple way: sum a 128 MiB int array (four times the largest L3 of
 * the machines here) with vector loads, each thread reading its own contiguous slice. The
 * reference for "weight bytes streamed per second".
 */
final class MemoryBandwidth {
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int INTS = 32 << 20, BLOCK = 1 << 16;

    private final int[] data = new int[INTS];
    private final long[] sink = new long[64];

    MemoryBandwidth() {
        for (int i = 0; i < INTS; i += 1024) data[i] = i;
    }

    /** Bytes one {@link #pass} reads. */
    long bytes() {
        return (long) INTS * Integer.BYTES;
    }

    /** One pass over the array by {@code par}'s threads: an operation to time beside the kernels. */
    Timing.Op pass(Parallel par) {
        return call -> par.forRange(INTS, BLOCK, (from, to) -> {
            IntVector acc = IntVector.zero(I);
            for (int i = from; i < to; i += I.length()) acc = acc.add(IntVector.fromArray(I, data, i));
            sink[(from / BLOCK) % sink.length] += acc.reduceLanes(VectorOperators.ADD);
        });
    }

    /**
     * Bytes per second read by {@code par.threads()} threads: the fastest of 15 passes (what the
     * memory can deliver at its best; a median on a shared machine mostly measures the other load).
     */
    double peakBytesPerSecond(Parallel par) throws Exception {
        Timing.Op pass = pass(par);
        Timing.warmUp(pass, 300, 3);
        double us = java.util.Arrays.stream(Timing.sample(pass, 15, 0)).min().orElseThrow();
        if (sink[0] == 42) System.out.print("");
        return bytes() / (us / 1e6);
    }
}
