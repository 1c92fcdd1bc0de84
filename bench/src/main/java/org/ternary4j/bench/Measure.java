package org.ternary4j.bench;

import java.util.Arrays;

/**
 * A small timing harness: warm the code up until the JIT has compiled it, then time several
 * runs and keep the median, which shrugs off the noise of a shared machine better than a mean.
 */
public final class Measure {
    private Measure() {}

    /** Median wall time in nanoseconds of {@code runs} calls, after at least {@code warmupNanos} of warm-up. */
    public static double medianNanos(Runnable task, long warmupNanos, int runs) {
        long end = System.nanoTime() + warmupNanos;
        int warm = 0;
        do {
            task.run();
            warm++;
        } while (System.nanoTime() < end || warm < 2);
        long[] t = new long[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            task.run();
            t[i] = System.nanoTime() - t0;
        }
        Arrays.sort(t);
        return runs % 2 == 1 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2.0;
    }
}
