package org.ternary4j.runtime;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.ternary4j.formats.onnx.ValueInfo;
import org.ternary4j.runtime.graph.Tensor;

/**
 * Runs a freshly loaded model on small synthetic inputs (or the caller's: {@link #onInputs}) until the JIT has compiled its kernels:
 * the Vector API code runs 100× slower or more in the interpreter, so without it the first real
 * call took seconds. Inputs follow the declared shapes, each symbolic dimension 1 for the first
 * axis (the batch) and one of {@link #SIDES} elsewhere (the smallest the model accepts: a CNN's
 * downsampling needs some size), floats small and random, integers 0 (a valid token id and
 * index). Runs stop after {@link #MAX_RUNS} or once the loading thread has spent
 * {@link #BUDGET_NANOS} of CPU time (wall time would stretch on a busy machine), whichever comes
 * first: a small model needs hundreds of runs before C2 has compiled its kernels (VGG at batch 1
 * ran 5.5 ms a call after 40 warm-up runs, 0.44 ms after 128, 0.26 after 256, 0.14 ms after 2000
 * and 0.08 ms steady), a large one reaches the budget first. A model none of these inputs fit is not warmed,
 * and {@link Result} says why.
 */
final class WarmUp {
    private WarmUp() {}

    static final int[] SIDES = {32, 64, 128};
    /** At most this many runs (the system property {@code ternary4j.warmUpRuns} sets another: the test suite's many small loads take 40). */
    private static final int MAX_RUNS = Integer.getInteger("ternary4j.warmUpRuns", 500);
    private static final long BUDGET_NANOS = 3_000_000_000L;
    /**
     * The batches of every fourth run, in turn, when the batch dimension is symbolic: batches take
     * other kernels (decoded panels from 8 vectors, images shared among threads), whose first call
     * at batch 16 took 400 ms on VGG after a warm-up at batch 1 alone (1.4 ms once compiled). Both
     * 8 and 16: the panel product runs blocks of 6 and 2 rows at 8, of 12 and 4 at 16, and a block
     * first met after the warm-up could be compiled from the interpreter's profile alone, which
     * leaves its vectors boxed (VGG at batch 16 on two threads: 5.6 MB allocated a run and 83–100
     * against 75–78 µs an image, in four to six JVMs of eight; none of eight warmed at 16).
     */
    static final int[] BATCHES = {8, 16};
    /**
     * The other symbolic sizes of some of those runs: {@code side} less this, odd and no multiple
     * of a vector's lanes, so that the loops' tails run too (a sequence length or an image width
     * the warm-up's whole vectors never left to a tail). Warmed at 32 tokens only, MiniLM's first
     * batch of each other length took up to 15× its steady time while C2 recompiled the attention
     * and panel kernels that reached their tail paths (a corpus embedded in batches sorted by length
     * meets a new length every batch).
     */
    static final int ODD = 3;
    /**
     * Runs at batch 1 before any at {@link #BATCHES}: a large model reaches the CPU budget within a
     * few dozen runs, and batch 1 comes first (PP-OCRv4's recogniser had made 6 runs at batch 1
     * and 2 at batch 8 when its budget ran out).
     */
    private static final int BATCH_ONE_FIRST = Math.min(40, MAX_RUNS / 2);

    /** What the warm-up did: runs and time, the shapes it used and the side its symbolic dimensions took (0 if none fitted), or why it did not run. */
    record Result(int runs, long nanos, String shapes, int side, String skipped) {
        @Override
        public String toString() {
            if (skipped != null) return "warm-up skipped: " + skipped;
            return String.format(java.util.Locale.ROOT, "warm-up at load: %d runs on %s in %.0f ms", runs, shapes, nanos / 1e6);
        }
    }

    static Result run(TernaryModel model, List<ValueInfo> declared) {
        Result r = null;
        for (int side : SIDES) {
            r = run(model, declared, side);
            if (r.skipped() == null) return r;
        }
        return r;
    }

    private static Result run(TernaryModel model, List<ValueInfo> declared, int side) {
        Map<String, ValueInfo> byName = new LinkedHashMap<>();
        for (String name : model.inputNames()) {
            ValueInfo v = declared.stream().filter(d -> d.name().equals(name)).findFirst().orElse(null);
            if (v == null || !v.hasShape() || v.type().isEmpty()) return new Result(0, 0, null, 0, "input '" + name + "' has no declared shape and type");
            byName.put(name, v);
        }
        Map<String, Tensor> inputs = synthetic(byName, side, 1);
        List<Map<String, Tensor>> variants = variants(byName, side);
        String plain = inputs.values().stream().map(t -> Arrays.toString(t.shape())).reduce((a, b) -> a + ", " + b).orElse("no inputs");
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long t0 = System.nanoTime(), c0 = cpu.getCurrentThreadCpuTime();
        int runs = 0, turn = 0;
        // per variant: not run yet (null), ran, or failed (a graph that fixes a size inside, a Reshape to 1 × …: skipped from then on)
        Boolean[] ran = new Boolean[variants.size()];
        try {
            while (runs < MAX_RUNS && cpu.getCurrentThreadCpuTime() - c0 < BUDGET_NANOS) {
                int v = runs >= BATCH_ONE_FIRST && runs % 4 == 3 ? next(ran, turn) : -1;
                if (v >= 0) {
                    turn = v + 1;
                    try {
                        model.run(variants.get(v));
                        ran[v] = true;
                    } catch (RuntimeException e) {
                        ran[v] = false;
                    }
                } else {
                    model.run(inputs);
                }
                runs++;
            }
        } catch (RuntimeException e) {
            return new Result(runs, System.nanoTime() - t0, plain, 0, "inputs " + plain + " do not fit the model: " + e.getMessage());
        }
        String ranOn = java.util.stream.IntStream.range(0, ran.length).filter(i -> ran[i] == Boolean.TRUE)
                .mapToObj(i -> Arrays.toString(variants.get(i).values().iterator().next().shape())).collect(java.util.stream.Collectors.joining(", "));
        String shapes = plain + (ranOn.isEmpty() ? "" : " (every fourth after the first " + BATCH_ONE_FIRST + " in turn on " + ranOn + ")");
        return new Result(runs, System.nanoTime() - t0, shapes, side, null);
    }

    /** The first variant from {@code turn} on, cyclically, that has not failed; −1 if all have. */
    private static int next(Boolean[] ran, int turn) {
        for (int i = 0; i < ran.length; i++) {
            int v = (turn + i) % ran.length;
            if (ran[v] != Boolean.FALSE) return v;
        }
        return -1;
    }

    /**
     * The other inputs of every fourth run: each of {@link #BATCHES} when the batch is symbolic,
     * then, when other dimensions are, those at {@code side − ODD} at batch 1 (and at the first of
     * {@link #BATCHES}).
     */
    private static List<Map<String, Tensor>> variants(Map<String, ValueInfo> declared, int side) {
        boolean batch = declared.values().stream().anyMatch(v -> v.shape().length > 0 && v.shape()[0] < 0);
        boolean sizes = declared.values().stream().anyMatch(v -> Arrays.stream(v.shape()).skip(1).anyMatch(d -> d < 0));
        List<Map<String, Tensor>> variants = new java.util.ArrayList<>();
        if (batch) for (int n : BATCHES) variants.add(synthetic(declared, side, n));
        if (sizes) {
            variants.add(synthetic(declared, side - ODD, 1));
            if (batch) variants.add(synthetic(declared, side - ODD, BATCHES[0]));
        }
        return variants;
    }

    /**
     * The fewest calls and the shortest time per block of the steady-state check (C2 compiles a
     * model's kernels one after another, single compilations taking up to 0.2 s on PP-OCRv4's
     * recogniser), and the most CPU time a warm-up on the caller's inputs takes.
     */
    private static final int STEADY_BLOCK = 5;
    private static final long BLOCK_NANOS = 200_000_000L;
    private static final long CAP_NANOS = 12_000_000_000L;

    /**
     * On the caller's inputs: as many runs as on synthetic ones ({@link #MAX_RUNS} or
     * {@link #BUDGET_NANOS}), then blocks of runs (at least {@link #STEADY_BLOCK} and
     * {@link #BLOCK_NANOS}) until the JIT's threads have compiled for at most a quarter of each of
     * two blocks in a row (where the JVM does not time its compilations: until two blocks' median
     * calls are no 5 % faster than the best block's), up to {@link #CAP_NANOS} of the loading
     * thread's CPU. On two cores C2 took about 8 s to compile the recogniser's kernels at its real
     * size, and after the fixed budget alone its first calls were 10–30× slower than steady. Call
     * times alone stopped too early, as C2 finishes kernels one by one with plateaus between; a
     * JIT wholly idle came too late (C2 went on recompiling a little for the whole 12 s).
     *
     * @throws IllegalArgumentException if the model cannot run on them (with the runtime's reason)
     */
    static Result onInputs(TernaryModel model, Map<String, Tensor> inputs) {
        String shapes = inputs.entrySet().stream().map(e -> e.getKey() + " " + Arrays.toString(e.getValue().shape()))
                .sorted().collect(java.util.stream.Collectors.joining(", ")) + " (the caller's)";
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long t0 = System.nanoTime(), c0 = cpu.getCurrentThreadCpuTime(), budget = c0 + BUDGET_NANOS, cap = c0 + CAP_NANOS;
        int runs = 0;
        try {
            for (; runs < MAX_RUNS && cpu.getCurrentThreadCpuTime() < budget; runs++) model.run(inputs);
            double best = Double.MAX_VALUE;
            for (int quiet = 0; quiet < 2 && cpu.getCurrentThreadCpuTime() < cap; ) {
                long compiled = jitTimed ? jit.getTotalCompilationTime() : 0;
                Block b = Block.run(model, inputs, cpu, cap);
                if (b.runs() == 0) break;
                runs += b.runs();
                boolean steady = jitTimed ? 4_000_000L * (jit.getTotalCompilationTime() - compiled) <= b.nanos() : b.median() > 0.95 * best;
                quiet = steady ? quiet + 1 : 0;
                best = Math.min(best, b.median());
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("warm-up inputs " + shapes + " do not fit the model: " + e.getMessage(), e);
        }
        return new Result(runs, System.nanoTime() - t0, shapes, 0, null);
    }

    /** One block of the steady-state check: its runs, their median time and the block's, in nanoseconds. */
    private record Block(int runs, double median, long nanos) {
        /** At least {@link #STEADY_BLOCK} runs and {@link #BLOCK_NANOS}, ending early once the thread's CPU time reaches cap (one run of a large input may take seconds). */
        static Block run(TernaryModel model, Map<String, Tensor> inputs, java.lang.management.ThreadMXBean cpu, long cap) {
            long[] times = new long[STEADY_BLOCK];
            int n = 0;
            long start = System.nanoTime();
            for (; (n < STEADY_BLOCK || System.nanoTime() - start < BLOCK_NANOS) && cpu.getCurrentThreadCpuTime() < cap; n++) {
                if (n == times.length) times = Arrays.copyOf(times, 2 * n);
                long s = System.nanoTime();
                model.run(inputs);
                times[n] = System.nanoTime() - s;
            }
            Arrays.sort(times, 0, n);
            return new Block(n, n == 0 ? 0 : times[n / 2], System.nanoTime() - start);
        }
    }

    /** One input per declared value, as {@link #synthetic(ValueInfo, int, int)} makes it. */
    private static Map<String, Tensor> synthetic(Map<String, ValueInfo> declared, int side, int batch) {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        declared.forEach((name, v) -> inputs.put(name, synthetic(v, side, batch)));
        return inputs;
    }

    /** An input of v's declared shape, symbolic dimensions {@code batch} on the first axis and {@code side} elsewhere: small random floats, or integer zeros. */
    private static Tensor synthetic(ValueInfo v, int side, int batch) {
        long[] s = v.shape();
        int[] shape = new int[s.length];
        for (int i = 0; i < s.length; i++) shape[i] = s[i] >= 0 ? (int) Math.min(s[i], Integer.MAX_VALUE) : i == 0 ? batch : side;
        int n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (!v.type().get().isFloat()) return new Tensor.I64(shape, new long[n]);
        Random rnd = new Random(n);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian() * 0.5f;
        return new Tensor.F32(shape, x);
    }
}
