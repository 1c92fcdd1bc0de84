package org.ternary4j.bench;

import static org.ternary4j.core.FloatArrays.argmax;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.onnx.OnnxResult;
import org.ternary4j.formats.onnx.OnnxTernarizer;
import org.ternary4j.formats.onnx.OnnxTernaryTensor;
import org.ternary4j.runtime.TernaryModel;
import org.ternary4j.runtime.graph.Activations;
import org.ternary4j.runtime.graph.Tensor;

/**
 * End-to-end inference: whole models (ternarized in-process with TNT, one scale per row, first and
 * last layers kept in float) on the project's runtime with int8 and with float (exact) activations,
 * against ONNX Runtime FP32 on the same dequantized model — same batch, one session or model
 * loaded once, the input tensor created on every call for both, medians of interleaved rounds.
 * One mode at a time, the default first, each against ONNX Runtime timed beside it: the kernels
 * of another mode compiled in the same JVM change the type profiles the Vector API is compiled
 * with (VGG's default mode at batch 16 on two threads ran at 19.7–20.8k images/s with the int8
 * model loaded beside it, 21.0–28.2k without). Then prints how often the runtime's predictions
 * agree with ONNX Runtime's on real images.
 */
public final class EndToEndBench {
    static {
        OrtMatMul.useBundledNativesUnlessPrepared();
    }

    /**
     * @param images      test images [count, example shape…] (e.g. Fashion-MNIST's test set)
     * @param agreementN  images on which predictions are compared (at most the images given)
     */
    public record Options(List<Path> models, float[] images, int[] imageShape, List<Integer> threads, List<Integer> batches, int agreementN,
                          boolean json, boolean quick) {}

    /** The runtime's activation modes, in the columns' order: the default first. */
    private static final Activations[] MODES = {Activations.AUTO, Activations.INT8, Activations.FLOAT};

    /** How a mode is called in the table and the JSON. */
    private static String label(Activations a) {
        return a == Activations.FLOAT ? "exact" : a.name().toLowerCase(Locale.ROOT);
    }

    /**
     * One (model, batch, threads) configuration: median µs per call of the runtime in each of
     * {@link #MODES} and of ONNX Runtime timed beside each ({@code ortUs[k]} with mode k), and
     * whether each mode ran the batch as one part per thread ({@link TernaryModel#splitsBatches}).
     */
    record Result(String model, int batch, int threads, double[] oursUs, double[] ortUs, boolean[] split) {
        double perSecond(double us) {
            return batch * 1e6 / us;
        }
    }

    /** Prediction agreement with ONNX Runtime on {@code n} images, per mode of {@link #MODES}. */
    record Agreement(String model, int n, int[] agree, double exactMaxDiff, double bitsPerWeight, long packedBytes) {}

    private final Options options;
    private final PrintStream out;
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();

    public EndToEndBench(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public void run() throws Exception {
        Path dir = Files.createTempDirectory("t4j-e2e");
        try {
            for (Path model : options.models()) runModel(model, dir);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    private void runModel(Path model, Path dir) throws Exception {
        String name = model.getFileName().toString().replaceFirst("\\.onnx$", "");
        Path dequantized = dir.resolve(name + "-tnt-row.onnx");
        OnnxResult r = OnnxTernarizer.run(model, dequantized, OnnxOptions.of(Projections.parse("tnt"), Grouping.parse("row")));
        Map<String, TernaryTensor> ternary = new HashMap<>();
        long weights = 0;
        for (OnnxTernaryTensor t : r.tensors()) {
            ternary.put(t.name(), t.tensor());
            weights += t.tensor().codes().length;
        }
        byte[] onnxBytes = Files.readAllBytes(dequantized);
        try (OnnxModel proto = OnnxModel.read(dequantized)) {
            List<int[]> configs = new java.util.ArrayList<>();
            for (int batch : options.batches()) for (int t : options.threads()) configs.add(new int[] {batch, t});
            double[][] ours = new double[configs.size()][MODES.length], ort = new double[configs.size()][MODES.length];
            boolean[][] split = new boolean[configs.size()][MODES.length];
            for (int k = 0; k < MODES.length; k++) {
                for (int c = 0; c < configs.size(); c++) {
                    int batch = configs.get(c)[0], t = configs.get(c)[1];
                    try (TernaryModel m = TernaryModel.load(proto, ternary, new TernaryModel.Options(t, MODES[k])); OrtSession s = session(onnxBytes, t)) {
                        double[] med = measure(batch, m, s);
                        ours[c][k] = med[0];
                        ort[c][k] = med[1];
                        split[c][k] = m.splitsBatches(batch);
                    }
                }
            }
            agreement(name, proto, ternary, onnxBytes, weights);
            for (int c = 0; c < configs.size(); c++) print(new Result(name, configs.get(c)[0], configs.get(c)[1], ours[c], ort[c], split[c]));
        }
    }

    private OrtSession session(byte[] model, int threads) throws OrtException {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return env.createSession(model, o);
        }
    }

    private int imageSize() {
        int s = 1;
        for (int d = 1; d < options.imageShape().length; d++) s *= options.imageShape()[d];
        return s;
    }

    private int imageCount() {
        return options.imageShape()[0];
    }

    private int[] batchShape(int batch) {
        int[] s = options.imageShape().clone();
        s[0] = batch;
        return s;
    }

    /** Images [first, first + batch) (wrapping around the set) as a fresh array, as a caller would hand them over. */
    private float[] slice(int call, int batch) {
        int per = imageSize(), first = (int) ((long) call * batch % Math.max(1, imageCount() - batch + 1));
        return Arrays.copyOfRange(options.images(), first * per, (first + batch) * per);
    }

    /** The model in each of {@link #MODES}. */
    private static TernaryModel[] load(OnnxModel proto, Map<String, TernaryTensor> ternary, int threads) throws IOException {
        TernaryModel[] ours = new TernaryModel[MODES.length];
        for (int k = 0; k < MODES.length; k++) ours[k] = TernaryModel.load(proto, ternary, new TernaryModel.Options(threads, MODES[k]));
        return ours;
    }

    /** Medians of our model and of ONNX Runtime, interleaved, on batches of real images. */
    private double[] measure(int batch, TernaryModel ours, OrtSession ort) throws Exception {
        int[] shape = batchShape(batch);
        long[] ortShape = Arrays.stream(shape).asLongStream().toArray();
        String in = ours.inputNames().getFirst(), ortIn = ort.getInputNames().iterator().next();
        Timing.Op[] ops = {
                i -> ours.run(Map.of(in, new Tensor.F32(shape, slice(i, batch)))),
                i -> {
                    try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(slice(i, batch)), ortShape);
                         OrtSession.Result res = ort.run(Map.of(ortIn, x))) {
                        if (res.size() < 1) throw new IllegalStateException("no output");
                    }
                }};
        long warm = options.quick() ? 500 : 3000;
        int samples = options.quick() ? 600 : (batch == 1 ? 6000 : 1200);
        return Timing.interleavedMedians(ops, warm, 2000, samples, 10);
    }

    private void agreement(String name, OnnxModel proto, Map<String, TernaryTensor> ternary, byte[] onnx, long weights) throws Exception {
        int n = Math.min(options.agreementN(), imageCount());
        int[] agree = new int[MODES.length];
        int exact = Arrays.asList(MODES).indexOf(Activations.FLOAT);
        double maxDiff = 0;
        long packed;
        TernaryModel[] ours = load(proto, ternary, 1);
        try (OrtSession ort = session(onnx, 1)) {
            packed = ours[0].packedWeightBytes();
            String in = ours[0].inputNames().getFirst(), out = ours[0].outputNames().getFirst(), ortIn = ort.getInputNames().iterator().next();
            int[] shape = batchShape(1);
            long[] ortShape = Arrays.stream(shape).asLongStream().toArray();
            for (int i = 0; i < n; i++) {
                float[] x = slice(i, 1);
                float[] o;
                try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), ortShape); OrtSession.Result res = ort.run(Map.of(ortIn, t))) {
                    o = flat(res.get(0).getValue());
                }
                for (int k = 0; k < MODES.length; k++) {
                    float[] y = ours[k].run(Map.of(in, new Tensor.F32(shape, x))).get(out).floats();
                    if (argmax(y) == argmax(o)) agree[k]++;
                    if (k == exact) for (int j = 0; j < o.length; j++) maxDiff = Math.max(maxDiff, Math.abs(y[j] - o[j]));
                }
            }
        } finally {
            for (TernaryModel m : ours) m.close();
        }
        print(new Agreement(name, n, agree, maxDiff, packed * 8.0 / weights, packed));
    }

    private static float[] flat(Object v) {
        if (v instanceof float[][] m) return m[0];
        if (v instanceof float[] f) return f;
        throw new IllegalStateException("unexpected ONNX Runtime output " + v.getClass());
    }

    private boolean headerPrinted;

    private void print(Result r) {
        if (options.json()) {
            StringBuilder j = new StringBuilder(String.format(Locale.ROOT, "{\"e2e\":\"throughput\",\"model\":\"%s\",\"batch\":%d,\"threads\":%d",
                    r.model(), r.batch(), r.threads()));
            for (int k = 0; k < MODES.length; k++) {
                double us = r.oursUs()[k];
                j.append(String.format(Locale.ROOT, ",\"%s_images_per_s\":%.1f,\"%1$s_vs_ort\":%.3f,\"%1$s_median_us\":%.2f,\"%1$s_ort_median_us\":%.2f,\"%1$s_split_by_thread\":%b",
                        label(MODES[k]), r.perSecond(us), r.ortUs()[k] / us, us, r.ortUs()[k], r.split()[k]));
            }
            out.println(j.append(String.format(Locale.ROOT, ",\"ort_fp32_images_per_s\":%.1f,\"ort_median_us\":%.2f}", r.perSecond(r.ortUs()[0]), r.ortUs()[0])));
            return;
        }
        if (!headerPrinted) {
            out.printf(Locale.ROOT, "%n%-14s %5s %3s", "model", "batch", "thr");
            for (Activations a : MODES) out.printf(Locale.ROOT, " %12s", label(a) + " img/s");
            out.printf(Locale.ROOT, " %12s", "ort img/s");
            for (Activations a : MODES) out.printf(Locale.ROOT, " %9s", label(a) + "×ort");
            out.printf(Locale.ROOT, "  %s%n", "one part per thread");
            headerPrinted = true;
        }
        out.printf(Locale.ROOT, "%-14s %5d %3d", r.model(), r.batch(), r.threads());
        for (double us : r.oursUs()) out.printf(Locale.ROOT, " %12.0f", r.perSecond(us));
        out.printf(Locale.ROOT, " %12.0f", r.perSecond(r.ortUs()[0]));
        for (int k = 0; k < MODES.length; k++) out.printf(Locale.ROOT, " %9.2f", r.ortUs()[k] / r.oursUs()[k]);
        List<String> split = new java.util.ArrayList<>();
        for (int k = 0; k < MODES.length; k++) if (r.split()[k]) split.add(label(MODES[k]));
        out.printf(Locale.ROOT, "  %s%n", split.isEmpty() ? "-" : String.join(",", split));
    }

    private void print(Agreement a) {
        if (options.json()) {
            StringBuilder j = new StringBuilder(String.format(Locale.ROOT, "{\"e2e\":\"agreement\",\"model\":\"%s\",\"images\":%d", a.model(), a.n()));
            for (int k = 0; k < MODES.length; k++) j.append(String.format(Locale.ROOT, ",\"%s_agreement\":%.5f", label(MODES[k]), (double) a.agree()[k] / a.n()));
            out.println(j.append(String.format(Locale.ROOT, ",\"exact_max_abs_output_diff\":%.3g,\"packed_bytes\":%d,\"resident_bits_per_weight\":%.4f}",
                    a.exactMaxDiff(), a.packedBytes(), a.bitsPerWeight())));
            return;
        }
        StringBuilder agree = new StringBuilder();
        for (int k = 0; k < MODES.length; k++) agree.append(k == 0 ? "" : ", ").append(a.agree()[k]).append('/').append(a.n()).append(" (").append(label(MODES[k])).append(')');
        out.printf(Locale.ROOT, "%s (tnt, row scales, first/last layer float): predictions agree with ONNX Runtime FP32 on %s images; "
                        + "max |exact − ort| %.2e; packed layers %d bytes, %.3f bits/weight%n",
                a.model(), agree, a.exactMaxDiff(), a.packedBytes(), a.bitsPerWeight());
    }
}
