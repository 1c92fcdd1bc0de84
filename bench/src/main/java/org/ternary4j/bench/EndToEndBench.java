package org.ternary4j.bench;

import static org.ternary4j.core.FloatArrays.argmax;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
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
import org.ternary4j.runtime.graph.Tensor;

/**
 * End-to-end inference: whole models (ternarized in-process with TNT, one scale per row, first and
 * last layers kept in float) on the project's runtime with int8 and with float (exact) activations,
 * against ONNX Runtime FP32 on the same dequantized model — same batch, one session or model
 * loaded once, the input tensor created on every call for all three, medians of interleaved rounds.
 * Also prints how often the runtime's predictions agree with ONNX Runtime's on real images.
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

    /** One (model, batch, threads) configuration: median µs per call of each implementation. */
    record Result(String model, int batch, int threads, double int8Us, double exactUs, double ortUs) {
        double perSecond(double us) {
            return batch * 1e6 / us;
        }
    }

    /** Prediction agreement with ONNX Runtime on {@code n} images. */
    record Agreement(String model, int n, int exactAgree, int int8Agree, double exactMaxDiff, double bitsPerWeight, long packedBytes) {}

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
            agreement(name, proto, ternary, onnxBytes, weights);
            for (int batch : options.batches()) {
                for (int t : options.threads()) {
                    try (TernaryModel int8 = TernaryModel.load(proto, ternary, new TernaryModel.Options(t, false));
                         TernaryModel exact = TernaryModel.load(proto, ternary, new TernaryModel.Options(t, true));
                         OrtSession ort = session(onnxBytes, t)) {
                        print(measure(name, batch, t, int8, exact, ort));
                    }
                }
            }
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

    private Result measure(String name, int batch, int threads, TernaryModel int8, TernaryModel exact, OrtSession ort) throws Exception {
        int[] shape = batchShape(batch);
        long[] ortShape = Arrays.stream(shape).asLongStream().toArray();
        String in = int8.inputNames().getFirst(), ortIn = ort.getInputNames().iterator().next();
        Timing.Op ours8 = i -> int8.run(Map.of(in, new Tensor.F32(shape, slice(i, batch))));
        Timing.Op oursExact = i -> exact.run(Map.of(in, new Tensor.F32(shape, slice(i, batch))));
        Timing.Op onnx = i -> {
            try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(slice(i, batch)), ortShape);
                 OrtSession.Result res = ort.run(Map.of(ortIn, x))) {
                if (res.size() < 1) throw new IllegalStateException("no output");
            }
        };
        long warm = options.quick() ? 500 : 3000;
        int samples = options.quick() ? 600 : (batch == 1 ? 6000 : 1200);
        double[] med = Timing.interleavedMedians(new Timing.Op[] {ours8, oursExact, onnx}, warm, 2000, samples, 10);
        return new Result(name, batch, threads, med[0], med[1], med[2]);
    }

    private void agreement(String name, OnnxModel proto, Map<String, TernaryTensor> ternary, byte[] onnx, long weights) throws Exception {
        int n = Math.min(options.agreementN(), imageCount());
        int exactAgree = 0, int8Agree = 0;
        double maxDiff = 0;
        long packed;
        try (TernaryModel int8 = TernaryModel.load(proto, ternary, new TernaryModel.Options(1, false));
             TernaryModel exact = TernaryModel.load(proto, ternary, new TernaryModel.Options(1, true));
             OrtSession ort = session(onnx, 1)) {
            packed = int8.packedWeightBytes();
            String in = int8.inputNames().getFirst(), out8 = int8.outputNames().getFirst(), ortIn = ort.getInputNames().iterator().next();
            int[] shape = batchShape(1);
            long[] ortShape = Arrays.stream(shape).asLongStream().toArray();
            for (int i = 0; i < n; i++) {
                float[] x = slice(i, 1);
                float[] a = int8.run(Map.of(in, new Tensor.F32(shape, x))).get(out8).floats();
                float[] e = exact.run(Map.of(in, new Tensor.F32(shape, x))).get(out8).floats();
                float[] o;
                try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), ortShape); OrtSession.Result res = ort.run(Map.of(ortIn, t))) {
                    o = flat(res.get(0).getValue());
                }
                if (argmax(e) == argmax(o)) exactAgree++;
                if (argmax(a) == argmax(o)) int8Agree++;
                for (int j = 0; j < o.length; j++) maxDiff = Math.max(maxDiff, Math.abs(e[j] - o[j]));
            }
        }
        print(new Agreement(name, n, exactAgree, int8Agree, maxDiff, packed * 8.0 / weights, packed));
    }

    private static float[] flat(Object v) {
        if (v instanceof float[][] m) return m[0];
        if (v instanceof float[] f) return f;
        throw new IllegalStateException("unexpected ONNX Runtime output " + v.getClass());
    }

    private boolean headerPrinted;

    private void print(Result r) {
        if (options.json()) {
            out.printf(Locale.ROOT, "{\"e2e\":\"throughput\",\"model\":\"%s\",\"batch\":%d,\"threads\":%d,\"int8_images_per_s\":%.1f,"
                            + "\"exact_images_per_s\":%.1f,\"ort_fp32_images_per_s\":%.1f,\"int8_vs_ort\":%.3f,\"exact_vs_ort\":%.3f,"
                            + "\"int8_median_us\":%.2f,\"exact_median_us\":%.2f,\"ort_median_us\":%.2f}%n",
                    r.model(), r.batch(), r.threads(), r.perSecond(r.int8Us()), r.perSecond(r.exactUs()), r.perSecond(r.ortUs()),
                    r.ortUs() / r.int8Us(), r.ortUs() / r.exactUs(), r.int8Us(), r.exactUs(), r.ortUs());
            return;
        }
        if (!headerPrinted) {
            out.printf(Locale.ROOT, "%n%-14s %5s %3s %12s %12s %12s %8s %8s%n", "model", "batch", "thr", "int8 img/s", "exact img/s", "ort img/s", "int8×ort", "exact×ort");
            headerPrinted = true;
        }
        out.printf(Locale.ROOT, "%-14s %5d %3d %12.0f %12.0f %12.0f %8.2f %8.2f%n", r.model(), r.batch(), r.threads(), r.perSecond(r.int8Us()),
                r.perSecond(r.exactUs()), r.perSecond(r.ortUs()), r.ortUs() / r.int8Us(), r.ortUs() / r.exactUs());
    }

    private void print(Agreement a) {
        if (options.json()) {
            out.printf(Locale.ROOT, "{\"e2e\":\"agreement\",\"model\":\"%s\",\"images\":%d,\"exact_agreement\":%.5f,\"int8_agreement\":%.5f,"
                            + "\"exact_max_abs_output_diff\":%.3g,\"packed_bytes\":%d,\"resident_bits_per_weight\":%.4f}%n",
                    a.model(), a.n(), (double) a.exactAgree() / a.n(), (double) a.int8Agree() / a.n(), a.exactMaxDiff(), a.packedBytes(), a.bitsPerWeight());
            return;
        }
        out.printf(Locale.ROOT, "%s (tnt, row scales, first/last layer float): predictions agree with ONNX Runtime FP32 on %d/%d images (exact), "
                        + "%d/%d (int8); max |exact − ort| %.2e; packed layers %d bytes, %.3f bits/weight%n",
                a.model(), a.exactAgree(), a.n(), a.int8Agree(), a.n(), a.exactMaxDiff(), a.packedBytes(), a.bitsPerWeight());
    }
}
