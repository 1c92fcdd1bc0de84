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
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.onnx.OnnxResult;
import org.ternary4j.formats.onnx.OnnxTernarizer;
import org.ternary4j.formats.onnx.OnnxTernaryTensor;
import org.ternary4j.runtime.TernaryModel;
import org.ternary4j.runtime.graph.Tensor;

/**
 * The fetched real models end to end (PaddleOCR's direction classifier at batch 1 on a 48×192
 * line, PP-OCRv4's recogniser on a 48×320 line, all-minilm-l6-v2 at batch 1 × 128 tokens),
 * ternarized in-process (TNT, row scales, first and last layers float): the runtime with int8 and
 * with exact activations against ONNX Runtime FP32 on the dequantized model, same inputs and
 * threads, medians of interleaved rounds; plus resident bits per ternary weight and what the
 * warm-up at load did. Models missing from the folder are named and skipped.
 */
public final class RealModelsBench {
    static {
        OrtMatMul.useBundledNativesUnlessPrepared();
    }

    /** @param folder where scripts/fetch-models.sh put the models */
    public record Options(Path folder, List<Integer> threads, boolean json, boolean quick) {}

    private record Case(String file, String label, Map<String, Tensor> inputs) {}

    private final Options options;
    private final PrintStream out;
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();

    public RealModelsBench(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    private static List<Case> cases() {
        Random rnd = new Random(7);
        List<Case> c = new ArrayList<>();
        c.add(new Case("ch_ppocr_mobile_v2.0_cls_infer.onnx", "ocr-cls 1x48x192", Map.of("x", image(rnd, 192))));
        c.add(new Case("ch_PP-OCRv4_rec_infer.onnx", "ocr-rec 1x48x320", Map.of("x", image(rnd, 320))));
        long[] ids = new long[128], mask = new long[128];
        for (int i = 0; i < 128; i++) {
            ids[i] = i == 0 ? 101 : i == 127 ? 102 : 1996 + rnd.nextInt(28000);
            mask[i] = 1;
        }
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("input_ids", new Tensor.I64(new int[] {1, 128}, ids));
        t.put("attention_mask", new Tensor.I64(new int[] {1, 128}, mask));
        t.put("token_type_ids", new Tensor.I64(new int[] {1, 128}, new long[128]));
        c.add(new Case("all-minilm-l6-v2.onnx", "minilm 1x128", t));
        return c;
    }

    private static Tensor image(Random rnd, int w) {
        float[] x = new float[3 * 48 * w];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.tanh(rnd.nextGaussian());
        return new Tensor.F32(new int[] {1, 3, 48, w}, x);
    }

    public void run() throws Exception {
        Path dir = Files.createTempDirectory("t4j-real");
        try {
            for (Case c : cases()) {
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

    private void runCase(Case c, Path model, Path dir) throws Exception {
        Path dequantized = dir.resolve(c.file());
        OnnxResult r = OnnxTernarizer.run(model, dequantized, OnnxOptions.of(Projections.parse("tnt"), Grouping.parse("row")));
        Map<String, TernaryTensor> ternary = new HashMap<>();
        long weights = 0;
        for (OnnxTernaryTensor t : r.tensors()) {
            ternary.put(t.name(), t.tensor());
            weights += t.tensor().codes().length;
        }
        try (OnnxModel proto = OnnxModel.read(dequantized)) {
            byte[] bytes = proto.toBytes();
            for (int threads : options.threads()) {
                try (TernaryModel int8 = TernaryModel.load(proto, ternary, new TernaryModel.Options(threads, false));
                     TernaryModel exact = TernaryModel.load(proto, ternary, new TernaryModel.Options(threads, true));
                     OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
                    so.setIntraOpNumThreads(threads);
                    so.setInterOpNumThreads(1);
                    so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                    so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                    try (OrtSession ort = env.createSession(bytes, so)) {
                        Timing.Op ours8 = i -> int8.run(c.inputs());
                        Timing.Op oursExact = i -> exact.run(c.inputs());
                        Timing.Op onnx = i -> {
                            Map<String, OnnxTensor> in = ortInputs(c.inputs());
                            try (OrtSession.Result res = ort.run(in)) {
                                if (res.size() < 1) throw new IllegalStateException("no output");
                            } finally {
                                for (OnnxTensor t : in.values()) t.close();
                            }
                        };
                        double[] med = Timing.interleavedMedians(new Timing.Op[] {ours8, oursExact, onnx}, options.quick() ? 300 : 2000, 3,
                                options.quick() ? 10 : 40, 5);
                        print(c.label(), threads, med, int8.packedWeightBytes() * 8.0 / weights, int8.warmUp());
                    }
                }
            }
        }
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

    private boolean headerPrinted;

    private void print(String label, int threads, double[] us, double bits, String warmUp) {
        if (options.json()) {
            out.printf(Locale.ROOT, "{\"e2e\":\"real-model\",\"model\":\"%s\",\"threads\":%d,\"int8_median_us\":%.1f,\"exact_median_us\":%.1f,"
                            + "\"ort_fp32_median_us\":%.1f,\"int8_vs_ort\":%.3f,\"exact_vs_ort\":%.3f,\"resident_bits_per_weight\":%.3f}%n",
                    label, threads, us[0], us[1], us[2], us[2] / us[0], us[2] / us[1], bits);
            return;
        }
        if (!headerPrinted) {
            out.printf(Locale.ROOT, "%n%-18s %3s %12s %12s %12s %8s %8s %9s%n", "real model", "thr", "int8 ms", "exact ms", "ort ms", "int8×ort", "exact×ort", "bits/w");
            headerPrinted = true;
        }
        out.printf(Locale.ROOT, "%-18s %3d %12.2f %12.2f %12.2f %8.2f %8.2f %9.3f   (%s)%n", label, threads, us[0] / 1e3, us[1] / 1e3, us[2] / 1e3,
                us[2] / us[0], us[2] / us[1], bits, warmUp);
    }
}
