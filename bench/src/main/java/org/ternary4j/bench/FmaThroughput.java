package org.ternary4j.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.runtime.kernel.Parallel;

/**
 * The float multiply-add ceiling of this machine: a loop of twelve independent vector FMA chains
 * on registers (no loads), one copy per thread. The reference for "multiply-adds per second" of
 * the float kernels, and the test of whether the machine's threads are cores of their own (two
 * hardware threads of one core share its FMA units, so two threads would not add up).
 */
final class FmaThroughput {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int STEPS = 2_000_000;

    private FmaThroughput() {}

    /** Multiply-adds per second of {@code par.threads()} threads together: the fastest timed pass. */
    static double macsPerSecond(Parallel par) throws Exception {
        int threads = par.threads();
        float[] sink = new float[threads * 16];
        Timing.Op pass = call -> par.forRange(threads, 1, (from, to) -> {
            for (int t = from; t < to; t++) sink[t * 16] += chains(STEPS);
        });
        Timing.warmUp(pass, 300, 3);
        double us = java.util.Arrays.stream(Timing.sample(pass, 9, 0)).min().orElseThrow();
        if (sink[0] == 42) System.out.print("");
        return (double) threads * STEPS * 12 * F.length() / (us / 1e6);
    }

    private static float chains(int steps) {
        FloatVector m = FloatVector.broadcast(F, 0.999f), c = FloatVector.broadcast(F, 1e-3f);
        FloatVector a0 = FloatVector.broadcast(F, 1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (int i = 0; i < steps; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).reduceLanes(VectorOperators.ADD);
    }
}
