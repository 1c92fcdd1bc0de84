package org.ternary4j.qat.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.qat.graph.TinyGraphs.constant;
import static org.ternary4j.qat.graph.TinyGraphs.floats;
import static org.ternary4j.qat.graph.TinyGraphs.i;
import static org.ternary4j.qat.graph.TinyGraphs.ints;
import static org.ternary4j.qat.graph.TinyGraphs.longs;
import static org.ternary4j.qat.graph.TinyGraphs.node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.ternary4j.core.FloatArrays;
import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.qat.Method;
import org.ternary4j.qat.graph.TinyGraphs;
import org.ternary4j.qat.graph.TinyGraphs.Tensor;

/**
 * Fine-tuning a small CNN given as ONNX (Constant-node and initializer weights, batch norm,
 * depthwise conv, MatMul + Add, softmax): the graph is kept, every fine-tuned weight is ternary per
 * group, ONNX Runtime reproduces what the run reports, a seed reproduces the bytes, and a run
 * can start where another ended.
 */
class FinetuneTest {
    @TempDir
    static Path dir;
    static Path model;
    static Dataset data;
    static Tensor x;

    @BeforeAll
    static void tinyModel() throws Exception {
        Random r = new Random(11);
        model = TinyGraphs.write(dir, "tiny", TinyGraphs.model(11, List.of("x"), List.of("y"), List.of(
                constant("w1", floats("w1", Tensor.random(r, 8, 3, 3, 3))),
                node("Conv", List.of("x", "w1"), "c1", ints("pads", 1, 1, 1, 1)),
                node("BatchNormalization", List.of("c1", "gamma", "beta", "mean", "var"), "b1"),
                node("Relu", List.of("b1"), "r1"),
                constant("dw", floats("dw", Tensor.random(r, 8, 1, 3, 3))),
                node("Conv", List.of("r1", "dw"), "c2", ints("pads", 1, 1, 1, 1), i("group", 8)),
                node("Relu", List.of("c2"), "r2"),
                node("GlobalAveragePool", List.of("r2"), "g"),
                node("Reshape", List.of("g", "flat"), "f"),
                node("MatMul", List.of("f", "w3"), "mm"),
                node("Add", List.of("mm", "b3"), "logits"),
                node("Softmax", List.of("logits"), "y", i("axis", 1))),
                List.of(floats("gamma", Tensor.random(r, 8)), floats("beta", Tensor.random(r, 8)), floats("mean", Tensor.random(r, 8)),
                        floats("var", new Tensor(new int[] {8}, positive(r, 8))), longs("flat", 0, -1),
                        floats("w3", Tensor.random(r, 8, 4)), floats("b3", Tensor.random(r, 4)))));
        x = Tensor.random(r, 96, 3, 8, 8);
        int[] labels = new int[96];
        for (int k = 0; k < labels.length; k++) labels[k] = r.nextInt(4);
        data = new Dataset("tiny.npz", List.of(new Dataset.NamedArray("x", new NdArray(x.shape(), x.data()))), labels);
    }

    private static float[] positive(Random r, int n) {
        float[] v = new float[n];
        for (int k = 0; k < n; k++) v[k] = 0.5f + r.nextFloat();
        return v;
    }

    static FinetuneResult run(Method m, Path init, int epochs, Dataset d) throws Exception {
        return run(FinetuneOptions.builder(m).allLayers(true).epochs(epochs).batchSize(16).learningRate(1e-3f).build(), init, d);
    }

    static FinetuneResult run(FinetuneOptions o, Path init, Dataset d) throws Exception {
        return Finetune.run(new Finetune.Request(model, d, init, o, new FinetuneResult.Listener() {}));
    }

    static Path write(FinetuneResult r, String name) throws Exception {
        Path f = dir.resolve(name + ".onnx");
        Files.write(f, r.output().toBytes());
        return f;
    }

    @ParameterizedTest
    @EnumSource(value = Method.class, names = "FP", mode = EnumSource.Mode.EXCLUDE)
    void keepsTheGraphAndWritesWeightsTernaryPerGroup(Method m) throws Exception {
        FinetuneResult r = run(m, null, 1, data);
        Path out = write(r, "ternary-" + m);
        try (OnnxModel before = OnnxModel.read(model); OnnxModel after = OnnxModel.read(out)) {
            assertEquals(before.graph().nodes().size(), after.graph().nodes().size());
            for (int k = 0; k < before.graph().nodes().size(); k++) {
                OnnxNode a = before.graph().nodes().get(k), b = after.graph().nodes().get(k);
                assertEquals(List.of(a.name(), a.opType(), a.inputs(), a.outputs()), List.of(b.name(), b.opType(), b.inputs(), b.outputs()));
            }
            assertEquals(before.graph().constant("flat").orElseThrow().toString(), after.graph().constant("flat").orElseThrow().toString());
            assertArrayEquals(before.graph().constant("flat").orElseThrow().longs(), after.graph().constant("flat").orElseThrow().longs());
            assertTernary(after, "w1", false, FinetuneOptions.builder(m).build().grouping().forRank(4));
            assertTernary(after, "dw", false, FinetuneOptions.builder(m).build().grouping().forRank(4));
            assertTernary(after, "w3", true, FinetuneOptions.builder(m).build().grouping().forRank(2));
        }
        assertEquals(3, r.layers().stream().filter(FinetuneResult.Layer::ternarized).count());
    }

    /** At most three values per group, read from the written file in the op's layout (MatMul stores [in, out]). */
    private static void assertTernary(OnnxModel m, String name, boolean transposed, Grouping g) throws Exception {
        var t = m.graph().constant(name).orElseThrow();
        int[] s = t.shape();
        float[] v = t.floats();
        int[] canonical = transposed ? new int[] {s[1], s[0]} : s;
        if (transposed) v = FloatArrays.transpose(v, s[0], s[1]);
        GroupLayout layout = g.layout(canonical);
        Set<Float> all = new HashSet<>();
        for (int grp = 0; grp < layout.groupCount(); grp++) {
            Set<Float> values = new HashSet<>();
            for (int j = 0; j < layout.size(grp); j++) values.add(v[layout.position(grp, j)] + 0f);
            assertTrue(values.size() <= 3, name + " group " + grp + " holds " + values);
            all.addAll(values);
        }
        assertTrue(all.size() >= 2, name + " collapsed to " + all);
    }

    @Test
    void onnxRuntimeReproducesTheReportedAgreementAndAccuracyAndTrainingHelps() throws Exception {
        FinetuneResult r = run(Method.TNT, null, 4, data);
        assertTrue(r.after().loss() < r.before().loss(), "distillation loss " + r.before().loss() + " -> " + r.after().loss());
        Path out = write(r, "tnt");
        float[] fp = TinyGraphs.ort(model, Map.of("x", x)).get("y").data();
        float[] tern = TinyGraphs.ort(out, Map.of("x", x)).get("y").data();
        int[] a = Distillation.argMax(fp, 4), b = Distillation.argMax(tern, 4);
        int agree = 0, correct = 0;
        for (int k = 0; k < a.length; k++) {
            if (a[k] == b[k]) agree++;
            if (b[k] == data.labels()[k]) correct++;
        }
        assertEquals((double) agree / a.length, r.after().agreement(), 1e-12);
        assertEquals((double) correct / a.length, r.after().accuracy(), 1e-12);
    }

    /**
     * A sequence model with 300 classes per position (kept as the teacher's top k): the reported
     * agreement is per position, and ONNX Runtime on the written file reproduces it.
     */
    @Test
    void sequenceLogitsOverManyClassesTrainAgainstTheTopKAndOnnxRuntimeReproducesThePerPositionAgreement() throws Exception {
        Random r = new Random(12);
        Path seq = TinyGraphs.write(dir, "seq", TinyGraphs.model(13, List.of("x"), List.of("y"), List.of(
                node("MatMul", List.of("x", "w1"), "h"),
                node("Relu", List.of("h"), "a"),
                node("MatMul", List.of("a", "w2"), "z"),
                node("Add", List.of("z", "b2"), "logits"),
                node("Softmax", List.of("logits"), "y", i("axis", -1))),
                List.of(floats("w1", Tensor.random(r, 6, 16)), floats("w2", Tensor.random(r, 16, 300)), floats("b2", Tensor.random(r, 300)))));
        Tensor sx = Tensor.random(r, 48, 5, 6);
        Dataset d = new Dataset("seq.npz", List.of(new Dataset.NamedArray("x", new NdArray(sx.shape(), sx.data()))), null);
        FinetuneOptions o = FinetuneOptions.builder(Method.TNT).allLayers(true).epochs(3).batchSize(16).learningRate(1e-2f).build();
        FinetuneResult res = Finetune.run(new Finetune.Request(seq, d, null, o, new FinetuneResult.Listener() {}));
        assertTrue(res.after().loss() < res.before().loss(), "distillation loss " + res.before().loss() + " -> " + res.after().loss());
        assertTrue(Double.isNaN(res.after().accuracy()));
        Path out = write(res, "seq-tnt");
        int[] a = Distillation.argMax(TinyGraphs.ort(seq, Map.of("x", sx)).get("y").data(), 300);
        int[] b = Distillation.argMax(TinyGraphs.ort(out, Map.of("x", sx)).get("y").data(), 300);
        assertEquals(48 * 5, a.length);
        int agree = 0;
        for (int k = 0; k < a.length; k++) if (a[k] == b[k]) agree++;
        assertEquals((double) agree / a.length, res.after().agreement(), 1e-12);
        assertTrue(res.after().agreement() > res.before().agreement(), res.before().agreement() + " -> " + res.after().agreement());
    }

    /** FP16 scales: every written value is an FP16 number, training still moves the model, and the bits count 16 per scale. */
    @Test
    void halfScalesTrainAndAreWhatTheModelHolds() throws Exception {
        FinetuneOptions.Builder b = FinetuneOptions.builder(Method.TNT).allLayers(true).epochs(2).batchSize(16).learningRate(1e-3f);
        FinetuneResult half = run(b.halfScales(true).build(), null, data), full = run(b.halfScales(false).build(), null, data);
        assertTrue(half.after().loss() < half.before().loss(), half.before().loss() + " -> " + half.after().loss());
        // the ternary weights train, not only the biases: they end elsewhere than where a vanishing rate leaves them
        FinetuneResult still = run(b.halfScales(true).learningRate(1e-12f).build(), null, data);
        try (OnnxModel trained = OnnxModel.read(write(half, "half-trained")); OnnxModel start = OnnxModel.read(write(still, "half-still"))) {
            for (String w : List.of("w1", "dw", "w3")) {
                assertFalse(Arrays.equals(trained.graph().constant(w).orElseThrow().floats(), start.graph().constant(w).orElseThrow().floats()), w + " did not train");
            }
        }
        try (OnnxModel m = OnnxModel.read(write(half, "half-scales"))) {
            for (String w : List.of("w1", "dw", "w3")) {
                for (float v : m.graph().constant(w).orElseThrow().floats()) assertEquals(v, Float.float16ToFloat(Float.floatToFloat16(v)), w + " holds " + v);
            }
        }
        long weights = half.layers().stream().mapToLong(FinetuneResult.Layer::weights).sum();
        long scales = 8 + 8 + 4; // per-row scales of w1 [8, 27], dw [8, 9], w3 [4, 8]
        assertEquals(16.0 * scales / weights, half.bitsTernary() - full.bitsTernary() + 32.0 * scales / weights, 1e-9);
    }

    @Test
    void sameSeedSameBytesAndAnInitModelIsWhereTrainingStarts() throws Exception {
        FinetuneResult first = run(Method.TNT, null, 1, data), again = run(Method.TNT, null, 1, data);
        assertArrayEquals(first.output().toBytes(), again.output().toBytes());
        FinetuneResult resumed = run(FinetuneOptions.builder(Method.TNT).allLayers(true).batchSize(16).epochs(1).bnExamples(0).build(), write(first, "first"), data);
        assertEquals(first.after().loss(), resumed.before().loss(), 1e-6, "TNT keeps an already ternary weight as it is");
        assertNotEquals(first.before().loss(), resumed.before().loss());
    }

    /** The written statistics are the batch statistics of the ternary conv's output (ONNX Runtime, extra output), weights kept still by a vanishing rate. */
    @Test
    void batchNormStatisticsAreReestimatedOnTheTernaryModel() throws Exception {
        FinetuneResult r = run(FinetuneOptions.builder(Method.TNT).allLayers(true).epochs(1).learningRate(1e-12f).build(), null, data);
        assertStatisticsAreThoseOfTheConvOutput(r, "bn");
    }

    /**
     * Batch norms in their training form: their scale trains, and after training their statistics
     * are those the written model's own conv output has on the examples (ONNX Runtime's values).
     */
    @Test
    void batchNormsInTheirTrainingFormTrainAndEndWithTheStudentsStatistics() throws Exception {
        FinetuneOptions o = FinetuneOptions.builder(Method.TNT).allLayers(true).epochs(3).batchSize(16).learningRate(1e-2f).bnExamples(96).trainNorms(true).build();
        FinetuneResult r = run(o, null, data);
        assertStatisticsAreThoseOfTheConvOutput(r, "bn-trained");
        try (OnnxModel m = OnnxModel.read(write(r, "bn-trained-all")); OnnxModel original = OnnxModel.read(model)) {
            assertNotEquals(original.graph().constant("gamma").orElseThrow().floats()[0], m.graph().constant("gamma").orElseThrow().floats()[0]);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> FinetuneOptions.builder(Method.TNT).trainNorms(true).bnExamples(0).build());
        assertTrue(e.getMessage().contains("re-estimated after training"), e.getMessage());
    }

    /**
     * The first conv and the last MatMul stay full precision: frozen by default (their bytes as
     * stored), trained in float with {@code trainKept} (more than three values per row, moved), and
     * the batch norm after the kept conv then ends with the trained model's statistics.
     */
    @Test
    void keptLayersStayAsStoredUnlessTheyTrainInFloat() throws Exception {
        FinetuneOptions.Builder b = FinetuneOptions.builder(Method.TNT).epochs(2).batchSize(16).learningRate(1e-2f).bnExamples(96).trainNorms(true);
        FinetuneResult frozen = run(b.build(), null, data), trained = run(b.trainKept(true).build(), null, data);
        try (OnnxModel original = OnnxModel.read(model); OnnxModel f = OnnxModel.read(write(frozen, "kept-frozen"));
             OnnxModel t = OnnxModel.read(write(trained, "kept-trained"))) {
            for (String name : List.of("w1", "w3", "b3")) {
                float[] before = original.graph().constant(name).orElseThrow().floats();
                assertArrayEquals(before, f.graph().constant(name).orElseThrow().floats(), name + " frozen");
                float[] after = t.graph().constant(name).orElseThrow().floats();
                assertFalse(Arrays.equals(before, after), name + " trained");
            }
            assertTrue(new HashSet<>(floatList(t.graph().constant("w1").orElseThrow().floats(), 0, 27)).size() > 3, "w1's first row stays float");
            assertTernary(t, "dw", false, b.build().grouping().forRank(4));
        }
        assertStatisticsAreThoseOfTheConvOutput(trained, "kept-trained-bn");
        assertTrue(trained.layers().stream().filter(l -> !l.ternarized()).allMatch(l -> l.reason().endsWith("trained in full precision")),
                trained.layers().toString());
    }

    private static List<Float> floatList(float[] v, int from, int to) {
        List<Float> out = new java.util.ArrayList<>();
        for (int k = from; k < to; k++) out.add(v[k]);
        return out;
    }

    private static void assertStatisticsAreThoseOfTheConvOutput(FinetuneResult r, String name) throws Exception {
        Path out = write(r.output().withOutputs(List.of("c1")), name);
        float[] c1 = TinyGraphs.ort(out, Map.of("x", x)).get("c1").data();
        int n = 96, c = 8, hw = 64;
        try (OnnxModel m = OnnxModel.read(out); OnnxModel original = OnnxModel.read(model)) {
            float[] mean = m.graph().constant("mean").orElseThrow().floats(), var = m.graph().constant("var").orElseThrow().floats();
            assertNotEquals(original.graph().constant("mean").orElseThrow().floats()[0], mean[0]);
            for (int ch = 0; ch < c; ch++) {
                double s = 0, sq = 0;
                for (int e = 0; e < n; e++) for (int p = 0; p < hw; p++) s += c1[(e * c + ch) * hw + p];
                double mu = s / (n * hw);
                for (int e = 0; e < n; e++) for (int p = 0; p < hw; p++) sq += Math.pow(c1[(e * c + ch) * hw + p] - mu, 2);
                assertEquals(mu, mean[ch], 1e-4 * (1 + Math.abs(mu)), "mean of channel " + ch);
                assertEquals(sq / (n * hw), var[ch], 1e-4 * (1 + sq / (n * hw)), "variance of channel " + ch);
            }
        }
    }

    static Path write(OnnxModel m, String name) throws Exception {
        Path f = dir.resolve(name + ".onnx");
        Files.write(f, m.toBytes());
        return f;
    }

    /**
     * A classifier ending in its Gemm (no softmax, as the zoo's models and most exports end) still
     * trains on the labels: its output is taken as the logits, and ONNX Runtime reproduces the
     * reported accuracy. Labels for a model without class logits are refused, not ignored.
     */
    @Test
    void labelsTrainAClassifierWithoutASoftmaxAndAreRefusedWithoutLogits() throws Exception {
        Random r = new Random(14);
        Tensor in = Tensor.random(r, 64, 6);
        int[] labels = new int[64];
        for (int k = 0; k < labels.length; k++) labels[k] = r.nextInt(3);
        Dataset d = new Dataset("plain.npz", List.of(new Dataset.NamedArray("x", new NdArray(in.shape(), in.data()))), labels);
        Path plain = TinyGraphs.write(dir, "plain", TinyGraphs.model(13, List.of("x"), List.of("y"), List.of(
                node("Gemm", List.of("x", "w", "b"), "y", i("transB", 1))),
                List.of(floats("w", Tensor.random(r, 3, 6)), floats("b", Tensor.random(r, 3)))));
        FinetuneOptions o = FinetuneOptions.builder(Method.TNT).allLayers(true).epochs(2).batchSize(16).learningRate(1e-3f).build();
        FinetuneResult result = Finetune.run(new Finetune.Request(plain, d, null, o, new FinetuneResult.Listener() {}));
        float[] y = TinyGraphs.ort(write(result, "plain-tnt"), Map.of("x", in)).get("y").data();
        int[] predicted = Distillation.argMax(y, 3);
        int correct = 0;
        for (int k = 0; k < predicted.length; k++) if (predicted[k] == labels[k]) correct++;
        assertEquals((double) correct / labels.length, result.after().accuracy(), 1e-12);

        Path regression = TinyGraphs.write(dir, "regression", TinyGraphs.model(13, List.of("x"), List.of("y"), List.of(
                node("MatMul", List.of("x", "w"), "h"),
                node("Reshape", List.of("h", "shape"), "y")),
                List.of(floats("w", Tensor.random(r, 6, 4)), longs("shape", 0, 2, 2))));
        var e = assertThrows(IllegalArgumentException.class,
                () -> Finetune.run(new Finetune.Request(regression, d, null, o, new FinetuneResult.Listener() {})));
        assertEquals("plain.npz: has class labels, but " + regression + " has no output of class logits ([N, classes]) to train them on", e.getMessage());
    }

    @Test
    void refusesExamplesWithoutTheModelsInputNamingTheArrays() {
        Dataset wrong = new Dataset("other.npz", List.of(new Dataset.NamedArray("pixels", new NdArray(x.shape(), x.data()))), null);
        var e = assertThrows(IllegalArgumentException.class, () -> run(Method.TNT, null, 1, wrong));
        assertEquals("other.npz: no array for the model input 'x' of " + model, e.getMessage());
    }
}
