package org.ternary4j.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.formats.onnx.NBitsBlocks;
import org.ternary4j.runtime.kernel.Fp32Matrix;
import org.ternary4j.runtime.kernel.PackedTernaryMatrix;
import org.ternary4j.runtime.kernel.Parallel;
import org.ternary4j.runtime.kernel.TernaryMatmul;

/**
 * {@code ternary4j bench kernels}: the packed ternary GEMV/GEMM (int8 activations, row scales)
 * against the project's FP32 Vector API GEMV/GEMM, ONNX Runtime's FP32 MatMul, ONNX Runtime's
 * 2-bit MatMulNBits with its table-lookup kernel on the same codes and, when a peer
 * program is given, llama.cpp's TQ2_0 and F32 GEMV — all in one run, medians and ratios side by side.
 * Every implementation rotates among enough weight copies (≥ 128 MiB) that weights come from memory.
 */
public final class KernelBench {

    /** What to run. {@code peer} may be null (then the llama.cpp columns say "n/a"). */
    public record Options(List<int[]> shapes, List<Integer> threads, List<Integer> batches, Grouping grouping, Path peer, boolean json, boolean quick) {
        public static Options defaults(Path peer, boolean json, boolean quick) {
            return new Options(List.of(new int[] {4096, 4096}, new int[] {11008, 4096}), List.of(1, 2), List.of(1, 16, 128), new Grouping.Row(), peer, json, quick);
        }
    }

    /**
     * One configuration's medians (µs; NaN when not measured) and the memory bandwidth of its thread
     * count: the median of a read loop timed in the same interleaved rounds as the kernels
     * ({@code memoryBytesPerSecond}, what "of BW" compares with: the same load from other machines
     * falls on both) and the fastest pass of the loop before the run ({@code peakBytesPerSecond}).
     * {@code layout} is the code layout the runtime chose; when that is not TWO_BIT, the same
     * weights in TWO_BIT are timed alongside ({@code twoBitUs}), the measurement behind the choice.
     * {@code pool}: what the ternary kernel's thread pool did over all its calls (warm-up included).
     */
    record Result(String grouping, String layout, int rows, int cols, int batch, int threads, double ternaryUs, double twoBitUs, double javaFp32Us,
                  double ortFp32Us, double ort2BitUs, double llamaTq2Us, double llamaF32Us, long ternaryBytes, double memoryBytesPerSecond,
                  double peakBytesPerSecond, Parallel.Stats pool) {
        String op() {
            return batch == 1 ? "gemv" : "gemm";
        }

        double bitsPerWeight() {
            return ternaryBytes * 8.0 / ((double) rows * cols);
        }

        double weightBytesPerSecond() {
            return ternaryBytes / (ternaryUs / 1e6);
        }
    }

    private static final long WORKING_SET = 128L << 20;
    /** Interleaved measurement rounds per configuration; the peer runs once per round and its medians' median is reported. */
    private static final int ROUNDS = 5;

    private final Options options;
    private final PrintStream out;
    private final MemoryBandwidth memory = new MemoryBandwidth();

    public KernelBench(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public List<Result> run() throws Exception {
        List<Result> results = new ArrayList<>();
        note("cores: %d, load average before the run: %s; ternary weights: random codes, grouping %s, one scale per group",
                Runtime.getRuntime().availableProcessors(), loadAverage(), options.grouping().spec());
        if (options.peer() == null) note("llama.cpp peer: not available (pass --peer PROGRAM to compare with ggml's TQ2_0 and F32 GEMV)");
        else note("llama.cpp peer: %s", options.peer());
        Map<Integer, Double> bandwidth = new java.util.TreeMap<>();
        for (int t : options.threads()) {
            try (Parallel par = Parallel.of(t)) {
                bandwidth.put(t, memory.peakBytesPerSecond(par));
            }
            note("memory read bandwidth, %d thread(s): %.1f GB/s (fastest pass; \"of BW\" compares with its median in each configuration's rounds)", t, bandwidth.get(t) / 1e9);
        }
        for (int t : options.threads()) {
            try (Parallel par = Parallel.of(t)) {
                note("float FMA throughput (register-only loop), %d thread(s): %.0f GMAC/s", t, FmaThroughput.macsPerSecond(par) / 1e9);
            }
        }
        if (Runtime.getRuntime().availableProcessors() > 1) note("cache line round trip between two threads: %.0f ns", CoreToCore.roundTripNanos());
        for (int[] shape : options.shapes()) {
            int rows = shape[0], cols = shape[1];
            Weights weights = Weights.random(rows, cols, options.grouping(), new Random(rows * 31L + cols));
            for (int batch : options.batches()) {
                for (int t : options.threads()) {
                    Result r = measure(weights, batch, t, bandwidth.get(t));
                    results.add(r);
                    print(r);
                }
            }
        }
        note("load average after the run: %s (timings are only comparable on an otherwise idle machine)", loadAverage());
        return results;
    }

    /** The 1-minute load average (Linux), to show whether other processes shared the cores. */
    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private Result measure(Weights w, int batch, int threads, double peakBandwidth) throws Exception {
        int rows = w.rows, cols = w.cols;
        float[] x = new float[batch * cols];
        Random rnd = new Random(batch);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] y = new float[batch * rows];
        long warm = options.quick() ? 300 : 3000;
        int samples = batch == 1 ? (options.quick() ? 30 : 150) : (options.quick() ? 5 : 15);
        OrtMatMul[] sessions = new OrtMatMul[w.fp32Raw.length];
        OrtMatMul[] nBits = new OrtMatMul[w.nBitsCopies];
        // the peer runs once per round, between our rounds, so that load from other machines' work falls on both alike
        Map<String, List<Double>> peer = new java.util.HashMap<>();
        Timing.Op peerRound = batch == 1 && options.peer() != null
                ? r -> LlamaPeer.run(options.peer(), rows, cols, threads).forEach((type, us) -> peer.computeIfAbsent(type, k -> new ArrayList<>()).add(us))
                : null;
        double[] med;
        Parallel.Stats pool;
        // the ternary kernel has a pool of its own, so that its statistics count only its calls
        try (Parallel par = Parallel.of(threads); Parallel ternaryPar = Parallel.of(threads)) {
            for (int i = 0; i < sessions.length; i++) sessions[i] = new OrtMatMul(w.fp32Raw[i], rows, cols, x, batch, threads);
            // ONNX Runtime keeps (and may repack) each session's weights: one session per copy streams them as ours are.
            for (int i = 0; i < nBits.length; i++) nBits[i] = OrtMatMul.nBits(w.nBits, x, batch, threads);
            Timing.Op ternary = i -> TernaryMatmul.gemm(w.ternary[i % w.ternary.length], x, batch, y, ternaryPar);
            Timing.Op twoBit = w.twoBit == null ? null : i -> TernaryMatmul.gemm(w.twoBit[i % w.twoBit.length], x, batch, y, par);
            Timing.Op java = i -> {
                Fp32Matrix m = w.fp32[i % w.fp32.length];
                if (batch == 1) m.gemv(x, y, par);
                else m.gemm(x, batch, y, par);
            };
            Timing.Op ort = i -> sessions[i % sessions.length].run();
            Timing.Op ort2 = i -> nBits[i % nBits.length].run();
            Timing.Op read = memory.pass(par);
            Timing.Op[] ops = twoBit == null ? new Timing.Op[] {ternary, java, ort, ort2, read} : new Timing.Op[] {ternary, java, ort, ort2, read, twoBit};
            double[] all = Timing.interleavedMedians(ops, warm, batch == 1 ? 300 : 10, samples, ROUNDS, peerRound);
            med = Arrays.copyOf(all, 6);
            if (twoBit == null) med[5] = Double.NaN;
            pool = ternaryPar.stats();
        } finally {
            for (OrtMatMul s : sessions) if (s != null) s.close();
            for (OrtMatMul s : nBits) if (s != null) s.close();
        }
        return new Result(options.grouping().spec(), w.ternary[0].codeLayout().name(), rows, cols, batch, threads, med[0], med[5], med[1], med[2], med[3],
                peerMedian(peer, "tq2_0"), peerMedian(peer, "f32"), w.ternary[0].residentBytes(), memory.bytes() / (med[4] / 1e6), peakBandwidth, pool);
    }

    /** The median of the peer's per-round medians for one kernel type (NaN when it did not run). */
    private static double peerMedian(Map<String, List<Double>> peer, String type) {
        List<Double> us = peer.get(type);
        return us == null ? Double.NaN : Timing.median(us.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Random ternary weights (row scales) plus their dequantized FP32 copies, enough copies to exceed the caches. */
    private record Weights(int rows, int cols, PackedTernaryMatrix[] ternary, PackedTernaryMatrix[] twoBit, Fp32Matrix[] fp32, float[][] fp32Raw,
                           NBitsBlocks nBits, int nBitsCopies) {
        static Weights random(int rows, int cols, Grouping grouping, Random rnd) {
            byte[] codes = new byte[rows * cols];
            for (int i = 0; i < codes.length; i++) codes[i] = (byte) (rnd.nextInt(3) - 1);
            int[] shape = {rows, cols};
            float[] scales = new float[grouping.layout(shape).groupCount()];
            for (int g = 0; g < scales.length; g++) scales[g] = 0.01f + rnd.nextFloat() * 0.02f;
            TernaryTensor t = new TernaryTensor(shape, grouping, "random", codes, scales, null);
            PackedTernaryMatrix[] ternary = rotation(PackedTernaryMatrix.of(t));
            PackedTernaryMatrix[] twoBit = ternary[0].codeLayout() == PackedTernaryMatrix.CodeLayout.TWO_BIT ? null
                    : rotation(PackedTernaryMatrix.of(t, 0, rows, PackedTernaryMatrix.CodeLayout.TWO_BIT));
            float[] dense = t.dequantize();
            float[][] raw = new float[copies((long) dense.length * 4)][];
            Fp32Matrix[] fp32 = new Fp32Matrix[raw.length];
            for (int i = 0; i < raw.length; i++) {
                raw[i] = i == 0 ? dense : dense.clone();
                fp32[i] = new Fp32Matrix(rows, cols, raw[i]);
            }
            NBitsBlocks nBits = NBitsBlocks.of(t, 4);
            return new Weights(rows, cols, ternary, twoBit, fp32, raw, nBits, copies(nBits.bytes(4)));
        }

        /** first and enough copies of it to exceed the caches. */
        private static PackedTernaryMatrix[] rotation(PackedTernaryMatrix first) {
            PackedTernaryMatrix[] m = new PackedTernaryMatrix[copies(first.residentBytes())];
            m[0] = first;
            for (int i = 1; i < m.length; i++) m[i] = first.copy();
            return m;
        }

        private static int copies(long bytes) {
            return (int) Math.max(2, (WORKING_SET + bytes - 1) / bytes);
        }
    }

    private boolean headerPrinted;

    private void print(Result r) {
        if (options.json()) {
            out.println(json(r));
            return;
        }
        if (!headerPrinted) {
            out.printf(Locale.ROOT, "%-5s %-11s %5s %3s %-8s %11s %9s %11s %11s %11s %11s %11s %8s %8s %8s %8s %7s %7s %6s %7s %6s%n",
                    "op", "shape", "batch", "thr", "layout", "ternary µs", "2-bit µs", "java-f32 µs", "ort-f32 µs", "ort-2bit µs", "llama-tq2 µs", "llama-f32 µs",
                    "×java", "×ort", "×ort2bit", "×tq2_0", "GB/s", "BW GB/s", "of BW", "of peak", "bits/w");
            headerPrinted = true;
        }
        out.printf(Locale.ROOT, "%-5s %-11s %5d %3d %-8s %11.1f %9s %11.1f %11.1f %11.1f %12s %12s %8.2f %8.2f %8.2f %8s %7.1f %7.1f %5.0f%% %6.0f%% %6.3f%n",
                r.op(), r.rows() + "x" + r.cols(), r.batch(), r.threads(), r.layout().toLowerCase(Locale.ROOT), r.ternaryUs(), num(r.twoBitUs()),
                r.javaFp32Us(), r.ortFp32Us(), r.ort2BitUs(),
                num(r.llamaTq2Us()), num(r.llamaF32Us()), r.javaFp32Us() / r.ternaryUs(), r.ortFp32Us() / r.ternaryUs(), r.ort2BitUs() / r.ternaryUs(),
                Double.isNaN(r.llamaTq2Us()) ? "n/a" : String.format(Locale.ROOT, "%.2f", r.llamaTq2Us() / r.ternaryUs()),
                r.weightBytesPerSecond() / 1e9, r.memoryBytesPerSecond() / 1e9, 100 * r.weightBytesPerSecond() / r.memoryBytesPerSecond(),
                100 * r.weightBytesPerSecond() / r.peakBytesPerSecond(), r.bitsPerWeight());
        if (r.threads() > 1 && r.pool().sharedRanges() > 0) {
            Parallel.Stats p = r.pool();
            out.printf(Locale.ROOT, "      ternary pool: %d shared calls; the calling thread ran %.0f%% of the blocks; workers found parked at %.0f%% of hand-overs; mean start delay %.1f µs%n",
                    p.sharedRanges(), 100.0 * callerShare(p), 100.0 * parkedShare(p), startDelayMicros(p));
        }
    }

    /** Share of the blocks that the calling thread ran itself (1/threads when the workers keep up). */
    static double callerShare(Parallel.Stats p) {
        return p.blocks() == 0 ? Double.NaN : (double) p.callerBlocks() / p.blocks();
    }

    /** Share of hand-overs that found the worker parked (it had to be woken, not spinning). */
    static double parkedShare(Parallel.Stats p) {
        return p.workerTasks() == 0 ? Double.NaN : (double) p.parkedStarts() / p.workerTasks();
    }

    /** Mean µs from hand-over to a worker's start. */
    static double startDelayMicros(Parallel.Stats p) {
        return p.workerTasks() == 0 ? Double.NaN : p.startDelayNanos() / 1e3 / p.workerTasks();
    }

    private void note(String format, Object... args) {
        String text = String.format(Locale.ROOT, format, args);
        if (options.json()) out.println("{\"note\":\"" + text + "\"}");
        else out.println(text);
    }

    static String json(Result r) {
        return String.format(Locale.ROOT,
                "{\"op\":\"%s\",\"grouping\":\"%s\",\"layout\":\"%s\",\"rows\":%d,\"cols\":%d,\"batch\":%d,\"threads\":%d,\"ternary_median_us\":%s,"
                        + "\"two_bit_median_us\":%s,\"java_fp32_median_us\":%s,"
                        + "\"ort_fp32_median_us\":%s,\"ort_2bit_lut_median_us\":%s,\"llama_tq2_0_median_us\":%s,\"llama_f32_median_us\":%s,\"speedup_vs_java_fp32\":%s,"
                        + "\"speedup_vs_ort_fp32\":%s,\"speedup_vs_ort_2bit_lut\":%s,\"speedup_vs_llama_tq2_0\":%s,\"speedup_vs_llama_f32\":%s,\"ternary_weight_bytes\":%d,"
                        + "\"ternary_bits_per_weight\":%.4f,\"weight_bytes_per_s\":%s,\"memory_bytes_per_s\":%s,\"bandwidth_fraction\":%s,\"peak_memory_bytes_per_s\":%s,\"peak_bandwidth_fraction\":%s,"
                        + "\"pool_caller_block_share\":%s,\"pool_parked_start_share\":%s,\"pool_start_delay_us\":%s}",
                r.op(), r.grouping(), r.layout(), r.rows(), r.cols(), r.batch(), r.threads(), jnum(r.ternaryUs()), jnum(r.twoBitUs()), jnum(r.javaFp32Us()),
                jnum(r.ortFp32Us()), jnum(r.ort2BitUs()),
                jnum(r.llamaTq2Us()), jnum(r.llamaF32Us()), jnum(r.javaFp32Us() / r.ternaryUs()), jnum(r.ortFp32Us() / r.ternaryUs()),
                jnum(r.ort2BitUs() / r.ternaryUs()),
                jnum(r.llamaTq2Us() / r.ternaryUs()), jnum(r.llamaF32Us() / r.ternaryUs()), r.ternaryBytes(),
                r.bitsPerWeight(), jnum(r.weightBytesPerSecond()), jnum(r.memoryBytesPerSecond()), jnum(r.weightBytesPerSecond() / r.memoryBytesPerSecond()),
                jnum(r.peakBytesPerSecond()), jnum(r.weightBytesPerSecond() / r.peakBytesPerSecond()),
                jnum(callerShare(r.pool())), jnum(parkedShare(r.pool())), jnum(startDelayMicros(r.pool())));
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String jnum(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4g", v) : "null";
    }
}
