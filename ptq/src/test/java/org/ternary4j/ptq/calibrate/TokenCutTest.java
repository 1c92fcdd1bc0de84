package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.ptq.calibrate.CalibratedTernarizerTest.node;
import static org.ternary4j.ptq.calibrate.CalibratedTernarizerTest.tensor;
import static org.ternary4j.ptq.calibrate.IntermediateRunnerTest.value;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.TwoScale;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpzWriter;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxOptions;

/**
 * Token models' calibration batches ordered by real length and cut after their last real token:
 * the real tokens' values and every statistic are those of the uncut batches, with ONNX Runtime
 * on the same graph with a fixed token axis (which is never cut) as the oracle.
 */
class TokenCutTest {
    static final int VOCAB = 12, SEQ = 8, HIDDEN = 4;

    @TempDir
    Path dir;

    /**
     * One masked self-attention block: input_ids, attention_mask int64 [N, seq] → Gather(E) (h) →
     * MatMul W1 (q) → q·hᵀ + (1 − mask)·−10000 → Softmax → ·h (ctx) → MatMul W2 + B2 (b2) → Relu →
     * MatMul W3 (y [N, seq, 3]). {@code seq}: the token axis, a symbol or a fixed size. The mask's
     * float form comes first, as in exported transformers: the cuts carry FLOAT values only.
     */
    static Path attention(Path file, Object seq) throws IOException {
        Random rnd = new Random(17);
        TensorProto one = TensorProto.newBuilder().setName("one").setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(1).build();
        TensorProto big = TensorProto.newBuilder().setName("big").setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(-10000).build();
        TensorProto axes = TensorProto.newBuilder().setName("axes").setDataType(TensorProto.DataType.INT64_VALUE).addDims(1).addInt64Data(1).build();
        AttributeProto toFloat = AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT).setI(TensorProto.DataType.FLOAT_VALUE).build();
        GraphProto g = GraphProto.newBuilder().setName("attention")
                .addInput(value("input_ids", TensorProto.DataType.INT64_VALUE, "N", seq))
                .addInput(value("attention_mask", TensorProto.DataType.INT64_VALUE, "N", seq))
                .addInitializer(tensor("E", rnd, VOCAB, HIDDEN)).addInitializer(tensor("W1", rnd, HIDDEN, HIDDEN))
                .addInitializer(tensor("W2", rnd, HIDDEN, 6)).addInitializer(tensor("B2", rnd, 6)).addInitializer(tensor("W3", rnd, 6, 3))
                .addInitializer(one).addInitializer(big).addInitializer(axes)
                .addNode(node("Cast", List.of("attention_mask"), "mf", toFloat))
                .addNode(node("Sub", List.of("one", "mf"), "pad"))
                .addNode(node("Mul", List.of("pad", "big"), "neg"))
                .addNode(node("Unsqueeze", List.of("neg", "axes"), "neg3"))
                .addNode(node("Gather", List.of("E", "input_ids"), "h"))
                .addNode(node("MatMul", List.of("h", "W1"), "q"))
                .addNode(node("Transpose", List.of("h"), "ht", CalibratedTernarizerTest.ints("perm", 0, 2, 1)))
                .addNode(node("MatMul", List.of("q", "ht"), "s"))
                .addNode(node("Add", List.of("s", "neg3"), "sm"))
                .addNode(node("Softmax", List.of("sm"), "p"))
                .addNode(node("MatMul", List.of("p", "h"), "ctx"))
                .addNode(node("MatMul", List.of("ctx", "W2"), "a2"))
                .addNode(node("Add", List.of("a2", "B2"), "b2"))
                .addNode(node("Relu", List.of("b2"), "r2"))
                .addNode(node("MatMul", List.of("r2", "W3"), "y"))
                .addOutput(value("y", TensorProto.DataType.FLOAT_VALUE, "N", seq, 3))
                .build();
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("ternary4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build();
        return Files.write(file, m.toByteArray());
    }

    /** {@code n} texts of 0 to {@value #SEQ} real tokens; every fifth has a padded position inside it (its mask has a hole). */
    static Path texts(Path file, int n) throws IOException {
        Random rnd = new Random(3);
        long[] ids = new long[n * SEQ], mask = new long[n * SEQ];
        for (int i = 0; i < n; i++) {
            int length = rnd.nextInt(SEQ + 1);
            for (int t = 0; t < SEQ; t++) {
                boolean real = t < length && !(i % 5 == 0 && t == 1);
                ids[i * SEQ + t] = real ? 1 + rnd.nextInt(VOCAB - 1) : 0;
                mask[i * SEQ + t] = real ? 1 : 0;
            }
        }
        NpzWriter.write(file, List.of(new NpzWriter.Longs("input_ids", new int[] {n, SEQ}, ids),
                new NpzWriter.Longs("attention_mask", new int[] {n, SEQ}, mask)));
        return file;
    }

    private static Dataset masks(int[][] masks) {
        int n = masks.length, t = masks[0].length;
        float[] m = new float[n * t], ids = new float[n * t];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < t; j++) {
                m[i * t + j] = masks[i][j];
                ids[i * t + j] = 100 * i + j;
            }
        }
        float[] other = new float[n * 2];
        for (int i = 0; i < other.length; i++) other[i] = i;
        return new Dataset("test", List.of(new Dataset.NamedArray("input_ids", new NdArray(new int[] {n, t}, ids)),
                new Dataset.NamedArray("attention_mask", new NdArray(new int[] {n, t}, m))), null);
    }

    @Test
    void examplesGoByRealLengthAndEachBatchEndsAtItsLongest() throws IOException {
        Dataset data = masks(new int[][] {
            {1, 1, 1, 0, 0, 0}, {1, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 0}, {1, 0, 0, 0, 0, 0},
            {0, 0, 0, 0, 0, 0}, {0, 1, 0, 1, 0, 0}, {1, 1, 0, 0, 0, 0}});
        try (OnnxModel m = OnnxModel.read(attention(dir.resolve("a.onnx"), "T"))) {
            TokenCut cut = TokenCut.plan(m.graph(), data, 3);
            assertNotNull(cut);
            assertEquals(Set.of("input_ids", "attention_mask"), cut.arrays());
            // Lengths 3 1 5 1 0 4 2 (one past the last real token; example 5 has holes): ties keep their order.
            assertEquals(List.of(new Examples(new int[] {4, 1, 3}, 1), new Examples(new int[] {6, 0, 5}, 4), new Examples(new int[] {2}, 5)),
                    cut.batches());
            Dataset b = cut.batch(data, cut.batches().get(1));
            assertArrayEquals(new int[] {3, 4}, b.inputs().get(0).array().shape());
            assertArrayEquals(new float[] {600, 601, 602, 603, 0, 1, 2, 3, 500, 501, 502, 503}, b.inputs().get(0).array().data());
            assertArrayEquals(new float[] {1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1}, b.inputs().get(1).array().data());
        }
    }

    @Test
    void onlyModelsWhoseTokenInputsShareADynamicAxisAreCut() throws IOException {
        Dataset data = CalibrationInputs.load(texts(dir.resolve("t.npz"), 10).toString()).inputs();
        try (OnnxModel fixed = OnnxModel.read(attention(dir.resolve("fixed.onnx"), SEQ));
             OnnxModel dynamic = OnnxModel.read(attention(dir.resolve("dynamic.onnx"), "T"))) {
            assertNull(TokenCut.plan(fixed.graph(), data, 64), "a fixed token axis takes only its own length");
            assertNotNull(TokenCut.plan(dynamic.graph(), data, 64));
            Dataset noMask = new Dataset("test", List.of(data.inputs().get(0)), null);
            assertNull(TokenCut.plan(dynamic.graph(), noMask, 64));
        }
        GraphProto.Builder g = GraphProto.newBuilder().setName("two axes")
                .addInput(value("input_ids", TensorProto.DataType.INT64_VALUE, "N", "S"))
                .addInput(value("attention_mask", TensorProto.DataType.INT64_VALUE, "N", "T"))
                .addNode(node("Add", List.of("input_ids", "attention_mask"), "y"))
                .addOutput(value("y", TensorProto.DataType.INT64_VALUE, "N", "T"));
        Path twoAxes = Files.write(dir.resolve("two.onnx"), ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build().toByteArray());
        try (OnnxModel m = OnnxModel.read(twoAxes)) {
            assertNull(TokenCut.plan(m.graph(), data, 64), "input_ids' token axis is not declared to follow the mask's");
        }
    }

    /** Every part at the first cut holds its examples' values at their real tokens exactly as the uncut model computes them. */
    @Test
    void realTokensKeepTheirValuesInCutBatches() throws IOException {
        int n = 150;
        Dataset data = CalibrationInputs.load(texts(dir.resolve("t.npz"), n).toString()).inputs();
        TokenMask mask = TokenMask.of(data);
        float[] whole;
        try (OnnxModel fixed = OnnxModel.read(attention(dir.resolve("fixed.onnx"), SEQ))) {
            whole = AllValues.of(fixed, data, "ctx");
        }
        int seen = 0;
        long rows = 0, realRows = 0;
        try (OnnxModel m = OnnxModel.read(attention(dir.resolve("dynamic.onnx"), "T")); Cut cut = Cut.first(m, Set.of("ctx"), data, "test")) {
            int previous = 0;
            for (int i = 0; i < cut.parts(); i++) {
                Examples ex = cut.part(i);
                int longest = 1;
                for (int e = 0; e < ex.count(); e++) {
                    assertTrue(mask.length(ex.get(e)) >= previous, "examples in order of length");
                    previous = mask.length(ex.get(e));
                    longest = Math.max(longest, previous);
                }
                assertEquals(longest, ex.tokens());
                try (StretchRun.Values v = cut.load(i, Set.of("ctx"))) {
                    assertArrayEquals(new long[] {ex.count(), ex.tokens(), HIDDEN}, v.shape("ctx"));
                    float[] got = StretchRun.floats(v.get("ctx"), "ctx", "test").values();
                    for (int e = 0; e < ex.count(); e++) {
                        for (int t = 0; t < ex.tokens(); t++) {
                            rows++;
                            if (!mask.keeps(ex.get(e), t)) continue;
                            realRows++;
                            for (int c = 0; c < HIDDEN; c++) {
                                assertEquals(whole[(ex.get(e) * SEQ + t) * HIDDEN + c], got[(e * ex.tokens() + t) * HIDDEN + c], 1e-6f);
                            }
                        }
                    }
                }
                seen += ex.count();
            }
        }
        assertEquals(n, seen);
        assertEquals(mask.realCount(), realRows);
        assertTrue(rows < 0.8 * n * SEQ, rows + " rows run of " + n * SEQ);
    }

    /**
     * Calibrating in cut batches sees the same rows as calibrating uncut: the same sample counts,
     * codes and (up to the order of additions) scales, and the same sensitivities under a budget.
     */
    @Test
    void calibrationInCutBatchesMatchesTheUncut() throws IOException {
        CalibrationInputs data = CalibrationInputs.load(texts(dir.resolve("t.npz"), 150).toString());
        OnnxOptions options = OnnxOptions.of(new TwoScale(), new Grouping.Row()).withAllLayers(true).withEmbeddings(true).withThreads(1);
        List<CalibratedTernarizer.Outcome> outcomes = new ArrayList<>();
        for (Object seq : new Object[] {SEQ, "T"}) {
            Path model = attention(dir.resolve("m" + seq + ".onnx"), seq);
            outcomes.add(CalibratedTernarizer.run(model, dir.resolve("out" + seq + ".onnx"), options, data, Steps.ALL, 2.5, r -> { }, c -> { }));
        }
        Calibrator.Result uncut = outcomes.get(0).calibration(), cut = outcomes.get(1).calibration();
        long real = TokenMask.of(data.inputs()).realCount();
        assertTrue(uncut.notes().stream().anyMatch(n -> n.contains("every token row is computed")), uncut.notes().toString());
        long computed = 0;
        try (OnnxModel m = OnnxModel.read(attention(dir.resolve("plan.onnx"), "T"))) {
            for (Examples b : TokenCut.plan(m.graph(), data.inputs(), StretchRun.Values.PART).batches()) computed += (long) b.count() * b.tokens();
        }
        String rows = computed + " token rows computed";
        assertTrue(cut.notes().stream().anyMatch(n -> n.endsWith(rows)), cut.notes() + " should say " + rows);
        assertEquals(uncut.layers().size(), cut.layers().size());
        for (int i = 0; i < uncut.layers().size(); i++) {
            Calibrator.LayerReport a = uncut.layers().get(i), b = cut.layers().get(i);
            assertEquals(real, a.samples());
            assertEquals(a.samples(), b.samples());
            assertEquals(a.calibratedError(), b.calibratedError(), 1e-4 * a.calibratedError() + 1e-9, a.weight());
        }
        assertEquals(uncut.weights().keySet(), cut.weights().keySet());
        for (Map.Entry<String, TernaryTensor> e : uncut.weights().entrySet()) {
            TernaryTensor a = e.getValue(), b = cut.weights().get(e.getKey());
            assertArrayEquals(a.codes(), b.codes(), e.getKey());
            assertArrayEquals(a.scalePos(), b.scalePos(), 1e-4f, e.getKey());
        }
        assertEquals(Set.of("E", "W1", "W2", "W3"), uncut.budget().decisions().keySet());
        uncut.budget().decisions().forEach((w, d) -> {
            double s = cut.budget().decisions().get(w).sensitivity();
            assertEquals(d.sensitivity(), s, 1e-4 * d.sensitivity() + 1e-12, w);
        });
    }
}
