package org.ternary4j.qat.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.ternary4j.qat.graph.TinyGraphs.f;
import static org.ternary4j.qat.graph.TinyGraphs.floats;
import static org.ternary4j.qat.graph.TinyGraphs.ints;
import static org.ternary4j.qat.graph.TinyGraphs.node;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.qat.Method;
import org.ternary4j.qat.graph.GraphInterpreter;
import org.ternary4j.qat.graph.TinyGraphs;
import org.ternary4j.qat.graph.TinyGraphs.Tensor;

/**
 * A layer norm written out as nodes (as BERT exports have it) and a LayerNormalization node: both
 * affines are found; with {@code trainLayerNorms} they train and ONNX Runtime on the written file
 * reproduces the loss the run reports; without it they are written back unchanged.
 */
class LayerNormsTest {
    @TempDir
    static Path dir;
    static Path model;
    static Dataset data;
    static Tensor x;

    @BeforeAll
    static void model() throws Exception {
        Random r = new Random(21);
        model = TinyGraphs.write(dir, "norms", TinyGraphs.model(17, List.of("x"), List.of("y"), List.of(
                node("MatMul", List.of("x", "w1"), "h"),
                node("ReduceMean", List.of("h"), "mu", ints("axes", -1)),
                node("Sub", List.of("h", "mu"), "d"),
                node("Pow", List.of("d", "two"), "d2"),
                node("ReduceMean", List.of("d2"), "var", ints("axes", -1)),
                node("Add", List.of("var", "eps"), "ve"),
                node("Sqrt", List.of("ve"), "sd"),
                node("Div", List.of("d", "sd"), "n"),
                node("Mul", List.of("n", "gamma"), "scaled"),
                node("Add", List.of("scaled", "beta"), "ln1"),
                node("MatMul", List.of("ln1", "w2"), "h2"),
                node("LayerNormalization", List.of("h2", "gamma2", "beta2"), "y", f("epsilon", 1e-5f))),
                List.of(floats("w1", Tensor.random(r, 6, 8)), floats("w2", Tensor.random(r, 8, 5)),
                        floats("two", new Tensor(new int[0], new float[] {2f})), floats("eps", new Tensor(new int[0], new float[] {1e-5f})),
                        floats("gamma", Tensor.random(r, 8)), floats("beta", Tensor.random(r, 8)),
                        floats("gamma2", Tensor.random(r, 5)), floats("beta2", Tensor.random(r, 5)))));
        x = Tensor.random(r, 64, 6);
        data = new Dataset("norms.npz", List.of(new Dataset.NamedArray("x", new NdArray(x.shape(), x.data()))), null);
    }

    @Test
    void findsTheAffineOfWrittenOutAndNodeLayerNorms() throws Exception {
        try (OnnxModel m = OnnxModel.read(model); NDManager nd = NDManager.newBaseManager()) {
            assertEquals(List.of("gamma", "beta", "gamma2", "beta2"), LayerNorms.affine(GraphInterpreter.of(m, nd)));
        }
    }

    @Test
    void trainedWhenAskedAndOnnxRuntimeReproducesTheReportedLoss() throws Exception {
        FinetuneResult trained = run(true), frozen = run(false);
        Path out = dir.resolve("trained.onnx");
        Files.write(out, trained.output().toBytes());
        Path kept = dir.resolve("frozen.onnx");
        Files.write(kept, frozen.output().toBytes());
        try (OnnxModel original = OnnxModel.read(model); OnnxModel t = OnnxModel.read(out); OnnxModel k = OnnxModel.read(kept)) {
            for (String name : List.of("gamma", "beta", "gamma2", "beta2")) {
                float[] before = original.graph().constant(name).orElseThrow().floats();
                assertFalse(Arrays.equals(before, t.graph().constant(name).orElseThrow().floats()), name + " trained");
                assertArrayEquals(before, k.graph().constant(name).orElseThrow().floats(), name + " frozen");
            }
        }
        // The loss of a plain output: mean squared error over the teacher's mean square.
        float[] teacher = TinyGraphs.ort(model, Map.of("x", x)).get("y").data(), student = TinyGraphs.ort(out, Map.of("x", x)).get("y").data();
        double se = 0, sq = 0;
        for (int i = 0; i < teacher.length; i++) {
            se += Math.pow(student[i] - teacher[i], 2);
            sq += (double) teacher[i] * teacher[i];
        }
        assertEquals(se / sq, trained.after().loss(), 1e-4 * se / sq);
    }

    private static FinetuneResult run(boolean norms) throws Exception {
        FinetuneOptions o = FinetuneOptions.builder(Method.TNT).allLayers(true).epochs(3).batchSize(16).learningRate(1e-2f).trainLayerNorms(norms).build();
        return Finetune.run(new Finetune.Request(model, data, null, o, new FinetuneResult.Listener() {}));
    }
}
