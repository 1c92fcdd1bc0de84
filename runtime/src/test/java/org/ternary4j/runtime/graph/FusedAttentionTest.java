package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.ternary4j.runtime.graph.Onnx.i;
import static org.ternary4j.runtime.graph.Onnx.node;

import ai.onnx.proto.OnnxMl;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.runtime.TernaryModel;

/**
 * Attention from the projections' [b, s, h, d] layout as BERT exporters write it (head
 * Transposes, MatMul, Div, Add mask, Softmax, MatMul, Transpose back) fused into one step: the
 * bits of the nodes run one by one (kept apart by exposing the PV product as a graph output), for
 * one and two threads, and ONNX Runtime's result within float tolerance; head sizes above one
 * panel, masks per key and per query, and a mask that widens the batch (outside the fused case).
 */
class FusedAttentionTest {

    private static OnnxMl.ModelProto model(boolean exposeProduct) {
        List<OnnxMl.TensorProto> inits = List.of(Onnx.floats("root", new int[0], new float[] {5.656854f}));
        List<OnnxMl.NodeProto> nodes = List.of(
                node("Transpose", new String[] {"k"}, new String[] {"kt"}, Onnx.ints("perm", 0, 2, 3, 1)),
                node("Transpose", new String[] {"v"}, new String[] {"vt"}, Onnx.ints("perm", 0, 2, 1, 3)),
                node("Transpose", new String[] {"q"}, new String[] {"qt"}, Onnx.ints("perm", 0, 2, 1, 3)),
                node("MatMul", new String[] {"qt", "kt"}, new String[] {"sc"}),
                node("Div", new String[] {"sc", "root"}, new String[] {"d"}),
                node("Add", new String[] {"d", "m"}, new String[] {"a"}),
                node("Softmax", new String[] {"a"}, new String[] {"p"}, i("axis", -1)),
                node("MatMul", new String[] {"p", "vt"}, new String[] {"o"}),
                node("Transpose", new String[] {"o"}, new String[] {"y"}, Onnx.ints("perm", 0, 2, 1, 3)));
        return Onnx.model(13, new String[] {"q", "k", "v", "m"}, exposeProduct ? new String[] {"y", "o"} : new String[] {"y"}, nodes, inits);
    }

    @ParameterizedTest(name = "b{0} s{1} t{2} h{3} d{4} e{5}, mask {6}")
    @CsvSource({"1, 7, 7, 2, 8, 8, 1x1x1x7", "2, 37, 45, 3, 40, 33, 2x1x1x45", "1, 128, 128, 2, 32, 32, 1x1x128x128", "2, 3, 5, 1, 4, 6, 5",
            "1, 5, 9, 2, 8, 8, 1x1x5x1", "1, 6, 6, 2, 8, 8, 2x1x1x6"}) // a mask per query (one value a row); the last mask widens the batch: the step runs the nodes one by one
    void fusedAttentionGivesTheBitsOfTheNodes(int b, int s, int t, int h, int d, int e, String mask) throws Exception {
        Random rnd = new Random(b * 1000 + s * 31 + t + h + d + e);
        int[] ms = java.util.Arrays.stream(mask.split("x")).mapToInt(Integer::parseInt).toArray();
        Map<String, Tensor> in = Map.of("q", gaussian(rnd, b, s, h, d), "k", gaussian(rnd, b, t, h, d), "v", gaussian(rnd, b, t, h, e),
                "m", masked(rnd, ms));
        assertEquals(Set.of("Fused FusedAttention"), steps(model(false), in));
        assertEquals(Set.of("Fused AttentionSoftmax", "MatMul", "Transpose Generic"), steps(model(true), in));
        float[] got = run(model(false), in, 1);
        assertArrayEquals(run(model(true), in, 1), got, "fused against the nodes");
        assertArrayEquals(got, run(model(false), in, 2), "two threads");
        float[] want = Onnx.ort(model(false), in).get("y").floats();
        assertEquals(want.length, got.length);
        for (int k = 0; k < want.length; k++) assertEquals(want[k], got[k], 2e-5 * (1 + Math.abs(want[k])), "ONNX Runtime, element " + k);
    }

    private static Tensor gaussian(Random rnd, int... shape) {
        float[] x = new float[java.util.Arrays.stream(shape).reduce(1, Math::multiplyExact)];
        for (int k = 0; k < x.length; k++) x[k] = (float) (rnd.nextGaussian() * 2);
        return new Tensor.F32(shape, x);
    }

    /** A BERT mask: 0 where attended, the float minimum where padded. */
    private static Tensor masked(Random rnd, int... shape) {
        float[] m = new float[java.util.Arrays.stream(shape).reduce(1, Math::multiplyExact)];
        for (int k = 0; k < m.length; k++) m[k] = k > 0 && rnd.nextInt(4) == 0 ? -3.4028235e38f : 0f;
        return new Tensor.F32(shape, m);
    }

    private static float[] run(OnnxMl.ModelProto model, Map<String, Tensor> in, int threads) throws Exception {
        try (TernaryModel t = TernaryModel.load(Onnx.read(model), Map.of(), new TernaryModel.Options(threads, Activations.FLOAT, false))) {
            return t.run(in).get("y").floats();
        }
    }

    private static Set<String> steps(OnnxMl.ModelProto model, Map<String, Tensor> in) throws Exception {
        try (TernaryModel t = TernaryModel.load(Onnx.read(model), Map.of(), new TernaryModel.Options(1, Activations.FLOAT, false))) {
            Map<String, Long> nanos = new java.util.HashMap<>();
            t.profile(in, nanos);
            return nanos.keySet();
        }
    }
}
