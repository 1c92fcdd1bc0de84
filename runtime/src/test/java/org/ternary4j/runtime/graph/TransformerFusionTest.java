package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.ternary4j.runtime.graph.Onnx.i;
import static org.ternary4j.runtime.graph.Onnx.node;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.runtime.TernaryModel;

/**
 * Attention's Div √d, Add mask, Softmax fused into one step: the same bits as the unfused nodes
 * (kept apart by exposing the Div's output as a graph output), for one and two threads, and ONNX
 * Runtime's result within float tolerance; masks of several broadcast shapes, either Add operand
 * order, and a mask that widens the scores (outside the fused case: the nodes run one by one).
 * The same for a residual Add joined to the LayerNorm after it, and for GELU's five nodes
 * (tensors of one and of many of its 4096-element chunks, with and without a tail).
 */
class TransformerFusionTest {

    private static OnnxMl.ModelProto model(boolean maskFirst, boolean exposeDiv) {
        List<OnnxMl.TensorProto> inits = new ArrayList<>();
        inits.add(Onnx.floats("root", new int[0], new float[] {(float) Math.sqrt(32)}));
        List<OnnxMl.NodeProto> nodes = List.of(
                node("Div", new String[] {"s", "root"}, new String[] {"d"}),
                node("Add", maskFirst ? new String[] {"m", "d"} : new String[] {"d", "m"}, new String[] {"a"}),
                node("Softmax", new String[] {"a"}, new String[] {"p"}, i("axis", 3)));
        return Onnx.model(13, new String[] {"s", "m"}, exposeDiv ? new String[] {"p", "d"} : new String[] {"p"}, nodes, inits);
    }

    @ParameterizedTest(name = "scores {0}, mask {1}, mask first {2}")
    @CsvSource({"2x3x5x37, 2x1x1x37, false", "2x3x5x37, 2x1x1x37, true", "1x2x4x16, 1x2x4x1, false", "1x2x4x16, 16, true",
            "1x3x5x20, 2x1x1x20, false"})
    void fusedAttentionSoftmaxGivesTheBitsOfTheNodes(String scores, String mask, boolean maskFirst) throws Exception {
        int[] ss = dims(scores), ms = dims(mask);
        Random rnd = new Random(scores.hashCode() + mask.hashCode());
        float[] s = new float[size(ss)], m = new float[size(ms)];
        for (int k = 0; k < s.length; k++) s[k] = (float) (rnd.nextGaussian() * 8);
        // a BERT mask: 0 where attended, a large negative value where padded
        for (int k = 0; k < m.length; k++) m[k] = rnd.nextInt(4) == 0 ? -3.4028235e38f : 0f;
        Map<String, Tensor> in = Map.of("s", new Tensor.F32(ss, s), "m", new Tensor.F32(ms, m));
        float[] fused = run(model(maskFirst, false), in, 1), unfused = run(model(maskFirst, true), in, 1);
        assertEquals(java.util.Set.of("Fused AttentionSoftmax"), steps(model(maskFirst, false), in));
        assertEquals(java.util.Set.of("Div Generic", "Add Generic", "Softmax Generic"), steps(model(maskFirst, true), in));
        assertArrayEquals(unfused, fused, "fused against the nodes");
        assertArrayEquals(fused, run(model(maskFirst, false), in, 2), "two threads");
        float[] want = Onnx.ort(model(maskFirst, false), in).get("p").floats();
        assertEquals(want.length, fused.length);
        for (int k = 0; k < want.length; k++) assertEquals(want[k], fused[k], 1e-6, "ONNX Runtime, element " + k);
    }

    /** Add(a, b) then a LayerNorm spelled out as exporters write it; {@code exposeSum} keeps the Add apart. */
    private static OnnxMl.ModelProto residualModel(int len, boolean exposeSum) {
        Random rnd = new Random(len);
        float[] gamma = new float[len], beta = new float[len];
        for (int k = 0; k < len; k++) {
            gamma[k] = (float) (1 + 0.2 * rnd.nextGaussian());
            beta[k] = (float) (0.1 * rnd.nextGaussian());
        }
        List<OnnxMl.TensorProto> inits = List.of(Onnx.floats("two", new int[0], new float[] {2f}), Onnx.floats("eps", new int[0], new float[] {1e-12f}),
                Onnx.floats("g", new int[] {len}, gamma), Onnx.floats("b", new int[] {len}, beta));
        List<OnnxMl.NodeProto> nodes = List.of(
                node("Add", new String[] {"a", "r"}, new String[] {"x"}),
                node("ReduceMean", new String[] {"x"}, new String[] {"mean"}, Onnx.ints("axes", -1), i("keepdims", 1)),
                node("Sub", new String[] {"x", "mean"}, new String[] {"d"}),
                node("Pow", new String[] {"d", "two"}, new String[] {"sq"}),
                node("ReduceMean", new String[] {"sq"}, new String[] {"var"}, Onnx.ints("axes", -1), i("keepdims", 1)),
                node("Add", new String[] {"var", "eps"}, new String[] {"ve"}),
                node("Sqrt", new String[] {"ve"}, new String[] {"sd"}),
                node("Div", new String[] {"d", "sd"}, new String[] {"n"}),
                node("Mul", new String[] {"n", "g"}, new String[] {"ng"}),
                node("Add", new String[] {"ng", "b"}, new String[] {"p"}));
        return Onnx.model(13, new String[] {"a", "r"}, exposeSum ? new String[] {"p", "x"} : new String[] {"p"}, nodes, inits);
    }

    @ParameterizedTest(name = "input {0}, residual {1}")
    @CsvSource({"3x41x37, 3x41x37", "2x5x16, 1x16"})
    void residualAddJoinsTheLayerNormWithTheBitsOfTheNodes(String input, String residual) throws Exception {
        int[] as = dims(input), rs = dims(residual);
        int len = as[as.length - 1];
        Random rnd = new Random(input.hashCode());
        float[] a = new float[size(as)], r = new float[size(rs)];
        for (int k = 0; k < a.length; k++) a[k] = (float) (rnd.nextGaussian() * 3 + 1);
        for (int k = 0; k < r.length; k++) r[k] = (float) rnd.nextGaussian();
        Map<String, Tensor> in = Map.of("a", new Tensor.F32(as, a), "r", new Tensor.F32(rs, r));
        assertEquals(java.util.Set.of("Fused ResidualLayerNorm"), steps(residualModel(len, false), in));
        float[] fused = run(residualModel(len, false), in, 1);
        assertArrayEquals(run(residualModel(len, true), in, 1), fused, "fused against the nodes");
        assertArrayEquals(fused, run(residualModel(len, false), in, 2), "two threads");
        float[] want = Onnx.ort(residualModel(len, false), in).get("p").floats();
        for (int k = 0; k < want.length; k++) assertEquals(want[k], fused[k], 1e-4 * (1 + Math.abs(want[k])), "ONNX Runtime, element " + k);
    }

    /** GELU as exporters write it, x · (erf(x / √2) + 1) · ½; {@code exposeErf} keeps the nodes apart. */
    private static OnnxMl.ModelProto geluModel(boolean exposeErf) {
        List<OnnxMl.TensorProto> inits = List.of(Onnx.floats("root", new int[0], new float[] {(float) Math.sqrt(2)}),
                Onnx.floats("one", new int[0], new float[] {1f}), Onnx.floats("half", new int[0], new float[] {0.5f}));
        List<OnnxMl.NodeProto> nodes = List.of(
                node("Div", new String[] {"s", "root"}, new String[] {"d"}),
                node("Erf", new String[] {"d"}, new String[] {"e"}),
                node("Add", new String[] {"e", "one"}, new String[] {"e1"}),
                node("Mul", new String[] {"s", "e1"}, new String[] {"m"}),
                node("Mul", new String[] {"m", "half"}, new String[] {"p"}));
        return Onnx.model(13, new String[] {"s"}, exposeErf ? new String[] {"p", "e"} : new String[] {"p"}, nodes, inits);
    }

    /** Tensors of less than one 4096-element chunk, of several (the fused kernel goes a chunk at a time), with and without a tail of single lanes. */
    @ParameterizedTest(name = "shape {0}")
    @CsvSource({"1x7x96", "1x3x3000", "2x128x1536", "1x9000x1"})
    void fusedGeluGivesTheBitsOfTheNodes(String shape) throws Exception {
        int[] ss = dims(shape);
        Random rnd = new Random(shape.hashCode());
        float[] s = new float[size(ss)];
        for (int k = 0; k < s.length; k++) s[k] = (float) (rnd.nextGaussian() * 3);
        Map<String, Tensor> in = Map.of("s", new Tensor.F32(ss, s));
        float[] fused = run(geluModel(false), in, 1);
        assertEquals(java.util.Set.of("Fused Gelu"), steps(geluModel(false), in));
        assertArrayEquals(run(geluModel(true), in, 1), fused, "fused against the nodes");
        assertArrayEquals(fused, run(geluModel(false), in, 2), "two threads");
        float[] want = Onnx.ort(geluModel(false), in).get("p").floats();
        for (int k = 0; k < want.length; k++) assertEquals(want[k], fused[k], 1e-6 * (1 + Math.abs(want[k])), "ONNX Runtime, element " + k);
    }

    private static float[] run(OnnxMl.ModelProto model, Map<String, Tensor> in, int threads) throws Exception {
        try (TernaryModel t = TernaryModel.load(Onnx.read(model), Map.of(), new TernaryModel.Options(threads, Activations.FLOAT, false))) {
            return t.run(in).get("p").floats();
        }
    }

    /** The steps the runtime ran, by the names its profile gives them. */
    private static java.util.Set<String> steps(OnnxMl.ModelProto model, Map<String, Tensor> in) throws Exception {
        try (TernaryModel t = TernaryModel.load(Onnx.read(model), Map.of(), new TernaryModel.Options(1, Activations.FLOAT, false))) {
            Map<String, Long> nanos = new java.util.HashMap<>();
            t.profile(in, nanos);
            return nanos.keySet();
        }
    }

    private static int[] dims(String s) {
        return java.util.Arrays.stream(s.trim().split("x")).mapToInt(Integer::parseInt).toArray();
    }

    private static int size(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }
}
