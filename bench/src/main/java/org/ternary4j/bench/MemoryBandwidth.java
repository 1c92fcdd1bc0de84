package org.ternary4j.bench;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.runtime.kernel.Parallel;

/**
 * Read bandwidth measured the simple way: sum a 256 MiB int array with vector loads, each thread
 * reading its own contiguous slice. The reference for "weight bytes streamed per second".
 */
final class MemoryBandwidth {
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int INTS = 64 << 20;

    private MemoryBandwidth() {}

    /**
     * Bytes per second read by {@code par.threads()} threads: the fastest of the timed passes
     * (what the memory can deliver; on a shared machine a median mostly measures the other load).
     */
    static double bytesPerSecond(Parallel par) throws Exception {
        int[] data = new int[INTS];
        for (int i = 0; i < INTS; i += 1024) data[i] = i;
        long[] sink = new long[par.threads() * 16];
        Timing.Op pass = call -> par.forRange(INTS, 1 << 16, (from, to) -> {
            IntVector acc = IntVector.zero(I);
            for (int i = from; i < to; i += I.length()) acc = acc.add(IntVector.fromArray(I, data, i));
            sink[(from / (1 << 16)) % sink.length] += acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        });
        Timing.warmUp(pass, 300, 3);
        double us = java.util.Arrays.stream(Timing.sample(pass, 15, 0)).min().orElseThrow();
        if (sink[0] == 42) System.out.print("");
        return INTS * 4.0 / (us / 1e6);
    }
}
