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
        warmUp(op, warmupMs, warmupCalls);
        return median(sample(op, samples, 1 << 20));
    }

    static void warmUp(Op op, long warmupMs, int warmupCalls) throws Exception {
        int call = 0;
        long until = System.nanoTime() + warmupMs * 1_000_000L;
        while (call < warmupCalls || System.nanoTime() < until) op.run(call++);
    }

    /** Calls per block of {@link #untilSteady}, and the most time it adds. */
    private static final int STEADY_BLOCK = 10;
    private static final long STEADY_CAP_MS = 15_000;
    /** Warm-ups shorter than this (the benches' quick modes, which the tests run) skip {@link #untilSteady}. */
    private static final long STEADY_FROM_MS = 1000;

    /**
     * After the fixed warm-up, blocks of calls while each block's median is still at least 5 %
     * below the block before (at most {@link #STEADY_CAP_MS}): a large model's first calls at its
     * real input size compile other kernels than its warm-up did, and PP-OCRv4's recogniser took
     * about 100 calls (1.1 s → 13 ms) to settle, so a fixed two seconds had measured it while the
     * JIT was still at work (its median moved between 11.7 and 17.3 ms from run to run).
     */
    static void untilSteady(Op op) throws Exception {
        long until = System.nanoTime() + STEADY_CAP_MS * 1_000_000L;
        double before = median(sample(op, STEADY_BLOCK, 0));
        while (System.nanoTime() < until) {
            double now = median(sample(op, STEADY_BLOCK, 0));
            if (now > 0.95 * before) return;
            before = now;
        }
    }

    /** Single-call timings in µs; calls are numbered from {@code firstCall}. */
    static double[] sample(Op op, int samples, int firstCall) throws Exception {
        double[] t = new double[samples];
        for (int i = 0; i < samples; i++) {
            long t0 = System.nanoTime();
            op.run(firstCall + i);
            t[i] = (System.nanoTime() - t0) / 1e3;
        }
        return t;
    }

    static final long SETTLE_MS = 50;

    static double median(double[] values) {
        double[] t = values.clone();
        Arrays.sort(t);
        int n = t.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    }

    /**
     * Medians of several operations measured in alternating rounds, so that load from other
     * processes during the run falls on every operation alike. Each operation's round starts with
     * {@link #SETTLE_MS} of unmeasured calls: ONNX Runtime's intra-op workers spin after a run and
     * took a core from the next operation (our two-thread GEMV measured no faster than one thread
     * right after an ORT round), while a pause instead let the cores go cold (a 50 ms sleep every
     * 30 calls doubled the median of a two-thread GEMV).
     */
    static double[] interleavedMedians(Op[] ops, long warmupMs, int warmupCalls, int samples, int rounds) throws Exception {
        return interleavedMedians(ops, warmupMs, warmupCalls, samples, rounds, null);
    }

    /** As above, running {@code beforeRound} (given the round number; an external peer, say) at the start of every round. */
    static double[] interleavedMedians(Op[] ops, long warmupMs, int warmupCalls, int samples, int rounds, Op beforeRound) throws Exception {
        for (Op op : ops) {
            warmUp(op, warmupMs, warmupCalls);
            if (warmupMs >= STEADY_FROM_MS) untilSteady(op);
        }
        int per = Math.max(1, samples / rounds);
        double[][] all = new double[ops.length][per * rounds];
        for (int r = 0; r < rounds; r++) {
            if (beforeRound != null) beforeRound.run(r);
            for (int i = 0; i < ops.length; i++) {
                warmUp(ops[i], SETTLE_MS, 1);
                System.arraycopy(sample(ops[i], per, (1 << 20) + r * per), 0, all[i], r * per, per);
            }
        }
        double[] med = new double[ops.length];
        for (int i = 0; i < ops.length; i++) med[i] = median(all[i]);
        return med;
    }
}
