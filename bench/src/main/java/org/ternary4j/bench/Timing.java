package org.ternary4j.bench;

import java.util.Arrays;

/**
 * Times one operation: runs it until C2 has had time to compile it (at least {@code warmupMs} and
 * {@code warmupCalls} calls), then takes {@code samples} single-call timings and reports the median.
 * The operation receives the call index so it can rotate among weight copies (working set larger
 * than the caches, so weights are streamed from memory as in a real model).
 */
final class Timing {
    private Timing() {}

    @FunctionalInterface
    interface Op {
        void run(int call) throws Exception;
    }

    static double medianMicros(Op op, long warmupMs, int warmupCalls, int samples) throws Exception {
        int call = 0;
        long until = System.nanoTime() + warmupMs * 1_000_000L;
        while (call < warmupCalls || System.nanoTime() < until) op.run(call++);
        double[] t = new double[samples];
        for (int i = 0; i < samples; i++) {
            long t0 = System.nanoTime();
            op.run(call++);
            t[i] = (System.nanoTime() - t0) / 1e3;
        }
        Arrays.sort(t);
        return samples % 2 == 1 ? t[samples / 2] : (t[samples / 2 - 1] + t[samples / 2]) / 2;
    }
}
