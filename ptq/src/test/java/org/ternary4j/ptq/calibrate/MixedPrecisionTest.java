package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxOptions;

/** Mixed precision on small models: every layer is a candidate (first, last, depthwise, embedding), and kept layers reach the written model. */
class MixedPrecisionTest {
    @TempDir
    Path dir;

    private static OnnxOptions options() {
        return OnnxOptions.of(Projections.parse("tnt"), new Grouping.Row()).withEmbeddings(true);
    }

    @Test
    void firstLastDepthwiseAndEmbeddingLayersAreCandidates() throws IOException {
        Path tokens = IntermediateRunnerTest.tokenModel(dir.resolve("tokens.onnx"));
        CalibrationInputs ids = CalibrationInputs.load(IntermediateRunnerTest.tokens(dir.resolve("ids.npz"), 32).toString());
        // No --all-layers: under a budget the first and last layers are candidates all the same. Row scales make these
        // tiny layers cost 9.1 bits/weight at least (744 bits for 82 weights); 10 leaves room for one upgrade.
        var tok = CalibratedTernarizer.run(tokens, dir.resolve("t.onnx"), options(), ids, Steps.ALL, 10.0, r -> { }, c -> { });
        assertEquals(Set.of("E", "W1", "W2"), tok.calibration().budget().decisions().keySet());
        for (GroupingBudget.Decision d : tok.calibration().budget().decisions().values()) assertTrue(d.sensitivity() > 0, d.toString());
        Set<String> embeddingChoices = new java.util.HashSet<>();
        for (GroupingBudget.Candidate c : tok.calibration().budget().candidates()) if (c.weight().equals("E")) embeddingChoices.add(c.choice());
        assertTrue(embeddingChoices.containsAll(List.of("row", "int8", "fp16")), embeddingChoices.toString());
        assertTrue(tok.calibration().budget().bitsPerWeight() <= 10, "" + tok.calibration().budget().bitsPerWeight());

        Path dw = CalibratedTernarizerTest.depthwise(dir.resolve("dw.onnx"));
        java.util.Random rnd = new java.util.Random(3);
        float[] v = new float[32 * 48];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextFloat();
        org.ternary4j.formats.data.NpyWriter.writeFloats(dir.resolve("x.npy"), new org.ternary4j.formats.data.NdArray(new int[] {32, 3, 4, 4}, v));
        CalibrationInputs x = CalibrationInputs.load(dir.resolve("x.npy").toString());
        var d = CalibratedTernarizer.run(dw, dir.resolve("d.onnx"), options(), x, Steps.ALL, 6.0, r -> { }, c -> { });
        assertEquals(Set.of("W1", "W2"), d.calibration().budget().decisions().keySet(), "the depthwise conv (first layer) and the last layer");
        assertTrue(d.calibration().budget().candidates().stream().anyMatch(c -> c.weight().equals("W1") && c.choice().equals("int8")));
    }

    @Test
    void aGenerousBudgetKeepsEveryLayerAndTheModelHoldsTheKeptValues() throws IOException {
        Path tokens = IntermediateRunnerTest.tokenModel(dir.resolve("tokens.onnx"));
        CalibrationInputs ids = CalibrationInputs.load(IntermediateRunnerTest.tokens(dir.resolve("ids.npz"), 32).toString());
        Path out = dir.resolve("t.onnx");
        // 16 bits/weight affords FP16 everywhere, the least error of all candidates.
        var o = CalibratedTernarizer.run(tokens, out, options(), ids, Steps.ALL, 16.0, r -> { }, c -> { });
        Calibrator.Result cal = o.calibration();
        assertEquals(Set.of("E", "W1", "W2"), cal.kept().keySet());
        assertTrue(cal.weights().isEmpty(), "nothing ternary");
        assertTrue(o.result().tensors().isEmpty());
        try (OnnxModel in = OnnxModel.read(tokens); OnnxModel m = OnnxModel.read(out)) {
            float[] e = in.graph().constant("E").orElseThrow().floats();
            float[] half = new float[e.length];
            for (int i = 0; i < e.length; i++) half[i] = Float.float16ToFloat(Float.floatToFloat16(e[i]));
            assertArrayEquals(half, m.graph().constant("E").orElseThrow().floats());
            for (String w : List.of("W1", "W2")) {
                // MatMul weights are stored [in, out]: the kept tensor is canonical [out, in].
                KeptTensor t = cal.kept().get(w);
                int[] s = t.shape();
                assertArrayEquals(org.ternary4j.core.FloatArrays.transpose(t.dequantize(), s[0], s[1]), m.graph().constant(w).orElseThrow().floats(), w);
            }
        }
    }

    @Test
    void theBudgetCountsScalesAtTheWidthTheFileStoresThem() throws IOException {
        Path tokens = IntermediateRunnerTest.tokenModel(dir.resolve("tokens.onnx"));
        CalibrationInputs ids = CalibrationInputs.load(IntermediateRunnerTest.tokens(dir.resolve("ids.npz"), 32).toString());
        // A budget below every layer's least cost: each takes its cheapest candidate, one scale per row (E 10 rows, W1 6, W2 3).
        var f32 = CalibratedTernarizer.run(tokens, dir.resolve("f32.onnx"), options(), ids, Steps.ALL, 1.0, r -> { }, c -> { });
        var f16 = CalibratedTernarizer.run(tokens, dir.resolve("f16.onnx"), options().withHalfScales(true), ids, Steps.ALL, 1.0, r -> { }, c -> { });
        Map<String, Integer> rows = Map.of("E", 10, "W1", 6, "W2", 3);
        for (String w : rows.keySet()) {
            GroupingBudget.Candidate a = f32.calibration().budget().decisions().get(w).chosen(), b = f16.calibration().budget().decisions().get(w).chosen();
            assertEquals("row", a.choice(), w);
            assertEquals("row", b.choice(), w);
            assertEquals(16L * rows.get(w), a.bits() - b.bits(), w + ": FP16 scales cost 16 bits less each");
        }
        long params = 10 * 4 + 4 * 6 + 6 * 3;
        assertEquals(16.0 * 19 / params, f32.calibration().budget().bitsPerWeight() - f16.calibration().budget().bitsPerWeight(), 1e-12);
    }
}
