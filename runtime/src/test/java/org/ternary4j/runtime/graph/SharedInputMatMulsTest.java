package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.runtime.graph.Onnx.node;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.runtime.TernaryModel;
import org.ternary4j.runtime.kernel.PackedTernaryMatrix;

/**
 * A transformer layer's query, key and value projections (three MatMuls by packed TRIPLES
 * weights reading one x, two with a bias Add) run as one step: each output has the bits of a
 * model holding that MatMul alone, on the int8 and the exact path, for one and two threads, for
 * row counts below the shared-table batch, within one thread's share and split between two, and
 * with a row that is not finite (which takes the exact reference). The oracle models run the same
 * products one step each.
 */
class SharedInputMatMulsTest {
    private static final int K = 384;
    private static final String[] NAMES = {"q", "k", "v"};
    private static final int[] OUTS = {384, 384, 96};

    private record Weights(Map<String, TernaryTensor> ternary, List<OnnxMl.TensorProto> inits) {}

    private static Weights weights() {
        Random rnd = new Random(11);
        Map<String, TernaryTensor> ternary = new HashMap<>();
        List<OnnxMl.TensorProto> inits = new ArrayList<>();
        for (int i = 0; i < NAMES.length; i++) {
            TernaryTensor w = TernaryModelTest.randomTernary(rnd, new int[] {OUTS[i], K}, new Grouping.Row(), false);
            ternary.put("w" + NAMES[i], w);
            inits.add(Onnx.floats("w" + NAMES[i], new int[] {K, OUTS[i]}, TernaryModelTest.transpose(w.dequantize(), OUTS[i], K)));
            float[] bias = new float[OUTS[i]];
            for (int j = 0; j < bias.length; j++) bias[j] = (float) rnd.nextGaussian();
            inits.add(Onnx.floats("b" + NAMES[i], new int[] {OUTS[i]}, bias));
        }
        return new Weights(ternary, inits);
    }

    /** x [1, rows, K] times the projections named in {@code which}: q and k with their bias Add, v without. */
    private static OnnxMl.ModelProto model(List<String> which, Weights w) {
        List<OnnxMl.NodeProto> nodes = new ArrayList<>();
        for (String p : which) {
            boolean biased = !p.equals("v");
            nodes.add(node("MatMul", new String[] {"x", "w" + p}, new String[] {biased ? p + "m" : p}));
            if (biased) nodes.add(node("Add", new String[] {p + "m", "b" + p}, new String[] {p}));
            nodes.add(node("Relu", new String[] {p}, new String[] {p + "r"})); // a reader of each output, after all three
        }
        return Onnx.model(13, new String[] {"x"}, which.stream().map(p -> p + "r").toArray(String[]::new), nodes, w.inits());
    }

    @ParameterizedTest(name = "{0} rows, {1} thread(s), {2}")
    @CsvSource({"3, 1, AUTO", "40, 1, AUTO", "40, 2, AUTO", "130, 2, AUTO", "130, 1, FLOAT", "130, 2, FLOAT", "65, 2, INT8"})
    void eachOutputHasTheBitsOfItsMatMulAlone(int rows, int threads, Activations activations) throws Exception {
        Weights w = weights();
        Assumptions.assumeTrue(PackedTernaryMatrix.of(w.ternary().get("wq")).tableLookup(), "TRIPLES needs 512-bit vectors");
        Random rnd = new Random(rows);
        float[] x = new float[rows * K];
        for (int j = 0; j < x.length; j++) x[j] = (float) rnd.nextGaussian();
        x[K + 5] = Float.NaN; // row 1 goes through the exact reference on the int8 path
        Map<String, Tensor> in = Map.of("x", new Tensor.F32(new int[] {1, rows, K}, x));
        List<String> all = List.of(NAMES);
        try (TernaryModel shared = TernaryModel.load(Onnx.read(model(all, w)), w.ternary(), new TernaryModel.Options(threads, activations, false))) {
            Map<String, Tensor> got = shared.run(in);
            for (String p : NAMES) {
                Map<String, TernaryTensor> one = Map.of("w" + p, w.ternary().get("w" + p));
                try (TernaryModel alone = TernaryModel.load(Onnx.read(model(List.of(p), w)), one, new TernaryModel.Options(threads, activations, false))) {
                    Tensor want = alone.run(in).get(p + "r");
                    assertArrayEquals(want.shape(), got.get(p + "r").shape(), p);
                    assertArrayEquals(want.floats(), got.get(p + "r").floats(), p + ": the bits of its MatMul alone");
                }
            }
            Map<String, Long> nanos = new HashMap<>();
            shared.profile(in, nanos);
            boolean int8 = activations != Activations.FLOAT;
            assertEquals(int8 ? 3 : 0, shared.activationUse().int8Layers(), "each projection counts as a layer");
            assertEquals(3, shared.activationUse().ternaryLayers());
            assertTrue(nanos.containsKey("MatMul SharedInputMatMuls"), "one step for the three: " + nanos.keySet());
            assertTrue(!nanos.containsKey("MatMul TernaryMatMul"), "no MatMul runs alone: " + nanos.keySet());
        }
    }
}
