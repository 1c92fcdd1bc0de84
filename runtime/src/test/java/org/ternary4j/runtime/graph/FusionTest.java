package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.ternary4j.runtime.graph.Onnx.f;
import static org.ternary4j.runtime.graph.Onnx.i;
import static org.ternary4j.runtime.graph.Onnx.ints;
import static org.ternary4j.runtime.graph.Onnx.node;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.runtime.kernel.Parallel;

/**
 * BatchNormalization, Relu and a 2×2 MaxPool folded into the Conv/Gemm before them: the same bits as the unfused
 * graph (made unfusable by exposing the intermediate values as graph outputs), and ONNX Runtime's
 * result within float tolerance.
 */
class FusionTest {
    private static final int C = 2, H = 11, W = 9, O = 6, HIDDEN = 13, OUT = 7;

    private static List<OnnxMl.TensorProto> bn(String p, int n, Random rnd) {
        return List.of(OperatorsTest.vec(p + ".g", n, rnd), OperatorsTest.vec(p + ".b", n, rnd), OperatorsTest.vec(p + ".m", n, rnd),
                Onnx.floats(p + ".v", new int[] {n}, TernaryModelTest.positive(rnd, n)));
    }

    private static OnnxMl.NodeProto bnNode(String in, String p, String out) {
        return node("BatchNormalization", new String[] {in, p + ".g", p + ".b", p + ".m", p + ".v"}, new String[] {out}, f("epsilon", 1e-3f));
    }

    /**
     * Conv (float, or ternary when {@code conv} is given) + BN + Relu + 2×2 pool, float Gemm (α, β,
     * [1, N] bias) + BN + Relu, ternary Gemm + BN; {@code exposed} adds intermediates as outputs.
     */
    static OnnxMl.ModelProto model(Random rnd, TernaryTensor conv, TernaryTensor fc2, List<String> exposed) {
        int flat = O * 5 * 4;
        List<OnnxMl.TensorProto> inits = new ArrayList<>();
        float[] convW = OperatorsTest.gauss(rnd, O * C * 9);
        inits.add(Onnx.floats("conv.w", new int[] {O, C, 3, 3}, conv == null ? convW : conv.dequantize()));
        inits.add(OperatorsTest.vec("conv.b", O, rnd));
        inits.addAll(bn("bn1", O, rnd));
        inits.add(Onnx.floats("fc1.w", new int[] {flat, HIDDEN}, OperatorsTest.gauss(rnd, flat * HIDDEN)));
        inits.add(Onnx.floats("fc1.b", new int[] {1, HIDDEN}, OperatorsTest.gauss(rnd, HIDDEN)));
        inits.addAll(bn("bn2", HIDDEN, rnd));
        inits.add(Onnx.floats("fc2.w", fc2.shape(), fc2.dequantize()));
        inits.add(OperatorsTest.vec("fc2.b", OUT, rnd));
        inits.addAll(bn("bn3", OUT, rnd));
        List<OnnxMl.NodeProto> nodes = List.of(
                node("Conv", new String[] {"x", "conv.w", "conv.b"}, new String[] {"c"}, ints("pads", 1, 0, 1, 1)),
                bnNode("c", "bn1", "b1"),
                node("Relu", new String[] {"b1"}, new String[] {"r1"}),
                node("MaxPool", new String[] {"r1"}, new String[] {"p"}, ints("kernel_shape", 2, 2), ints("strides", 2, 2)),
                node("Flatten", new String[] {"p"}, new String[] {"f"}),
                node("Gemm", new String[] {"f", "fc1.w", "fc1.b"}, new String[] {"h"}, f("alpha", 0.5f), f("beta", 2f)),
                bnNode("h", "bn2", "b2"),
                node("Relu", new String[] {"b2"}, new String[] {"r2"}),
                node("Gemm", new String[] {"r2", "fc2.w", "fc2.b"}, new String[] {"g"}, i("transB", 1)),
                bnNode("g", "bn3", "y"));
        List<String> outs = new ArrayList<>(List.of("y"));
        outs.addAll(exposed);
        return Onnx.model(13, new String[] {"x"}, outs.toArray(String[]::new), nodes, inits);
    }

    @ParameterizedTest(name = "ternary conv {0}")
    @ValueSource(booleans = {false, true})
    void fusedEqualsUnfusedBitForBitAndMatchesOnnxRuntime(boolean ternaryConv) throws Exception {
        TernaryTensor fc2 = TernaryModelTest.randomTernary(new Random(3), new int[] {OUT, HIDDEN}, new Grouping.Row(), true);
        TernaryTensor conv = ternaryConv ? TernaryModelTest.randomTernary(new Random(5), new int[] {O, C, 3, 3}, new Grouping.Row(), false) : null;
        Map<String, TernaryTensor> packed = ternaryConv ? Map.of("fc2.w", fc2, "conv.w", conv) : Map.of("fc2.w", fc2);
        OnnxMl.ModelProto fusedModel = model(new Random(7), conv, fc2, List.of());
        OnnxMl.ModelProto unfusedModel = model(new Random(7), conv, fc2, List.of("c", "b1", "h", "b2", "g"));
        Graph fused = Graph.compile(Onnx.read(fusedModel), packed), unfused = Graph.compile(Onnx.read(unfusedModel), packed);
        assertEquals(4, fused.stepCount(), "conv+bn+relu+pool, flatten, gemm+bn+relu, gemm+bn");
        assertEquals(10, unfused.stepCount());
        Map<String, Tensor> in = Map.of("x", OperatorsTest.input(new int[] {3, C, H, W}, new Random(9), false));
        for (Activations activations : Activations.values()) {
            float[] a = fused.run(in, activations, Parallel.serial()).get("y").floats();
            float[] b = unfused.run(in, activations, Parallel.serial()).get("y").floats();
            assertArrayEquals(b, a, "fused = unfused, activations " + activations);
        }
        float[] expected = Onnx.ort(fusedModel, in).get("y").floats(), got = fused.run(in, Activations.FLOAT, Parallel.serial()).get("y").floats();
        double scale = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        for (int k = 0; k < expected.length; k++) assertEquals(expected[k], got[k], 1e-4 * scale, "vs ONNX Runtime at " + k);
    }

    /** Only a 2×2, stride-2, unpadded MaxPool joins the conv's epilogue; others stay a step of their own and still match ONNX Runtime. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"k3s2", "k2s1", "k2s2-pad", "k2s2-ceil", "k2s2"})
    void onlyTwoByTwoPoolsAreFused(String pool) throws Exception {
        Random rnd = new Random(6);
        List<OnnxMl.TensorProto> inits = List.of(Onnx.floats("w", new int[] {O, C, 3, 3}, OperatorsTest.gauss(rnd, O * C * 9)));
        OnnxMl.AttributeProto[] attrs = switch (pool) {
            case "k3s2" -> new OnnxMl.AttributeProto[] {ints("kernel_shape", 3, 3), ints("strides", 2, 2)};
            case "k2s1" -> new OnnxMl.AttributeProto[] {ints("kernel_shape", 2, 2), ints("strides", 1, 1)};
            case "k2s2-pad" -> new OnnxMl.AttributeProto[] {ints("kernel_shape", 2, 2), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1)};
            case "k2s2-ceil" -> new OnnxMl.AttributeProto[] {ints("kernel_shape", 2, 2), ints("strides", 2, 2), i("ceil_mode", 1)};
            default -> new OnnxMl.AttributeProto[] {ints("kernel_shape", 2, 2), ints("strides", 2, 2)};
        };
        List<OnnxMl.NodeProto> nodes = List.of(
                node("Conv", new String[] {"x", "w"}, new String[] {"c"}),
                node("Relu", new String[] {"c"}, new String[] {"r"}),
                node("MaxPool", new String[] {"r"}, new String[] {"y"}, attrs));
        OnnxMl.ModelProto model = Onnx.model(13, new String[] {"x"}, new String[] {"y"}, nodes, inits);
        Graph g = Graph.compile(Onnx.read(model), Map.of());
        assertEquals(pool.equals("k2s2") ? 1 : 2, g.stepCount(), "steps for " + pool);
        Map<String, Tensor> in = Map.of("x", OperatorsTest.input(new int[] {2, C, H, W}, rnd, false));
        Tensor expected = Onnx.ort(model, in).get("y"), got = g.run(in, Activations.FLOAT, Parallel.serial()).get("y");
        assertArrayEquals(expected.shape(), got.shape());
        float[] e = expected.floats(), a = got.floats();
        for (int k = 0; k < e.length; k++) assertEquals(e[k], a[k], 1e-4 * (1 + Math.abs(e[k])), "at " + k);
    }

    @Test
    void valueReadTwiceIsNotFused() throws Exception {
        Random rnd = new Random(4);
        List<OnnxMl.TensorProto> inits = new ArrayList<>(bn("bn", O, rnd));
        inits.add(Onnx.floats("w", new int[] {O, C, 3, 3}, OperatorsTest.gauss(rnd, O * C * 9)));
        List<OnnxMl.NodeProto> nodes = List.of(
                node("Conv", new String[] {"x", "w"}, new String[] {"c"}),
                bnNode("c", "bn", "b"),
                node("Relu", new String[] {"b"}, new String[] {"r"}),
                node("Add", new String[] {"r", "c"}, new String[] {"y"}));
        OnnxMl.ModelProto model = Onnx.model(13, new String[] {"x"}, new String[] {"y"}, nodes, inits);
        Graph g = Graph.compile(Onnx.read(model), Map.of());
        assertEquals(4, g.stepCount(), "c is read by the normalization and by Add: conv, bn, relu and add stay separate");
        Map<String, Tensor> in = Map.of("x", OperatorsTest.input(new int[] {1, C, H, W}, rnd, false));
        float[] expected = Onnx.ort(model, in).get("y").floats(), got = g.run(in, Activations.FLOAT, Parallel.serial()).get("y").floats();
        for (int k = 0; k < expected.length; k++) assertEquals(expected[k], got[k], 1e-4 * (1 + Math.abs(expected[k])), "at " + k);
    }

    /**
     * Conv + HardSwish as exporters write it (Add 3, Clip [0, 6] by inputs or, before opset 11, by
     * attributes, then Div 6 and Mul by the conv output, or Mul first and Div last): one step, the unfused graph's bits, ONNX Runtime's values.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"float-divide-first", "float-divide-last", "ternary-divide-first", "ternary-divide-last", "opset9-ternary-divide-last"})
    void hardSwishJoinsTheConvEpilogue(String variant) throws Exception {
        Random rnd = new Random(8);
        boolean ternary = variant.contains("ternary"), divideLast = variant.endsWith("last"), opset9 = variant.startsWith("opset9");
        int opset = opset9 ? 9 : 13;
        TernaryTensor t = TernaryModelTest.randomTernary(new Random(5), new int[] {O, C, 3, 3}, new Grouping.Row(), false);
        List<OnnxMl.TensorProto> inits = List.of(Onnx.floats("w", new int[] {O, C, 3, 3}, ternary ? t.dequantize() : OperatorsTest.gauss(rnd, O * C * 9)), OperatorsTest.vec("b", O, rnd),
                Onnx.floats("three", new int[] {1}, new float[] {3f}), Onnx.floats("zero", new int[] {}, new float[] {0f}),
                Onnx.floats("six", new int[] {}, new float[] {6f}));
        List<OnnxMl.NodeProto> tail = divideLast
                ? List.of(node("Mul", new String[] {"c", "k"}, new String[] {"m"}), node("Div", new String[] {"m", "six"}, new String[] {"y"}))
                : List.of(node("Div", new String[] {"k", "six"}, new String[] {"d"}), node("Mul", new String[] {"d", "c"}, new String[] {"y"}));
        List<OnnxMl.NodeProto> nodes = new ArrayList<>(List.of(
                node("Conv", new String[] {"x", "w", "b"}, new String[] {"c"}, ints("pads", 1, 1, 1, 1)),
                node("Add", new String[] {"three", "c"}, new String[] {"a"}),
                opset9 ? node("Clip", new String[] {"a"}, new String[] {"k"}, f("min", 0f), f("max", 6f))
                        : node("Clip", new String[] {"a", "zero", "six"}, new String[] {"k"})));
        nodes.addAll(tail);
        Map<String, TernaryTensor> packed = ternary ? Map.of("w", t) : Map.of();
        OnnxMl.ModelProto model = Onnx.model(opset, new String[] {"x"}, new String[] {"y"}, nodes, inits);
        OnnxMl.ModelProto exposed = Onnx.model(opset, new String[] {"x"}, new String[] {"y", "c"}, nodes, inits);
        Graph fused = Graph.compile(Onnx.read(model), packed), unfused = Graph.compile(Onnx.read(exposed), packed);
        assertEquals(1, fused.stepCount(), "conv + hardswish");
        assertEquals(5, unfused.stepCount(), "c is a graph output: nothing fused");
        float[][] ys = fusedAgainstUnfused(model, fused, unfused, rnd);
        float[] a = ys[0], expected = ys[1];
        int low = 0, high = 0;
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], a[k], 1e-4 * (1 + Math.abs(expected[k])), "vs ONNX Runtime at " + k);
            if (expected[k] == 0f) low++;
            if (expected[k] > 6f) high++;
        }
        assertEquals(true, low > 0 && high > 0, "both clip bounds reached: " + low + " at 0, " + high + " above 6");
    }
    /**
     * PP-OCRv4's learnable affine blocks: Conv, Mul by a scalar (constant first), Add of a scalar,
     * HardSwish with Mul first and Div last, then another scalar Mul and Add, all one step with the
     * unfused graph's bits and ONNX Runtime's values ("before-only": no affine after the HardSwish).
     * A Mul with no Add after it is not fused.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"float", "ternary", "ternary-before-only", "ternary-mul-only"})
    void scalarAffinesAroundHardSwishJoinTheConvEpilogue(String variant) throws Exception {
        Random rnd = new Random(9);
        boolean ternary = variant.startsWith("ternary"), mulOnly = variant.endsWith("mul-only"), after = !mulOnly && !variant.endsWith("before-only");
        TernaryTensor t = TernaryModelTest.randomTernary(new Random(6), new int[] {O, C, 3, 3}, new Grouping.Row(), false);
        List<OnnxMl.TensorProto> inits = new ArrayList<>(List.of(Onnx.floats("w", new int[] {O, C, 3, 3}, ternary ? t.dequantize() : OperatorsTest.gauss(rnd, O * C * 9)),
                OperatorsTest.vec("b", O, rnd), Onnx.floats("s", new int[] {1}, new float[] {1.3841065f}),
                Onnx.floats("three", new int[] {}, new float[] {3f}), Onnx.floats("zero", new int[] {}, new float[] {0f}), Onnx.floats("six", new int[] {}, new float[] {6f})));
        if (!mulOnly) inits.add(Onnx.floats("t", new int[] {1}, new float[] {0.58607715f}));
        if (after) inits.addAll(List.of(Onnx.floats("s2", new int[] {1}, new float[] {0.1675188f}), Onnx.floats("t2", new int[] {1}, new float[] {3.470043e-5f})));
        List<OnnxMl.NodeProto> nodes = new ArrayList<>();
        nodes.add(node("Conv", new String[] {"x", "w", "b"}, new String[] {"c"}, ints("pads", 1, 1, 1, 1)));
        nodes.add(node("Mul", new String[] {"s", "c"}, new String[] {mulOnly ? "v" : "m"}));
        if (!mulOnly) nodes.add(node("Add", new String[] {"m", "t"}, new String[] {"v"}));
        nodes.addAll(List.of(node("Add", new String[] {"v", "three"}, new String[] {"a"}), node("Clip", new String[] {"a", "zero", "six"}, new String[] {"k"}),
                node("Mul", new String[] {"v", "k"}, new String[] {"p"}), node("Div", new String[] {"p", "six"}, new String[] {after ? "h" : "y"})));
        if (after) nodes.addAll(List.of(node("Mul", new String[] {"s2", "h"}, new String[] {"q"}), node("Add", new String[] {"q", "t2"}, new String[] {"y"})));
        Map<String, TernaryTensor> packed = ternary ? Map.of("w", t) : Map.of();
        OnnxMl.ModelProto model = Onnx.model(13, new String[] {"x"}, new String[] {"y"}, nodes, inits);
        OnnxMl.ModelProto exposed = Onnx.model(13, new String[] {"x"}, new String[] {"y", "c"}, nodes, inits);
        Graph fused = Graph.compile(Onnx.read(model), packed), unfused = Graph.compile(Onnx.read(exposed), packed);
        assertEquals(mulOnly ? nodes.size() : 1, fused.stepCount(), mulOnly ? "a Mul alone is not fused, nor what reads it" : "conv + affine + hardswish (+ affine)");
        assertEquals(nodes.size(), unfused.stepCount(), "c is a graph output: nothing fused");
        float[][] ys = fusedAgainstUnfused(model, fused, unfused, rnd);
        float[] a = ys[0], expected = ys[1];
        float floor = after ? 3.470043e-5f : 0f, top = after ? 6f * 0.1675188f : 6f;
        int low = 0, high = 0;
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], a[k], 1e-4 * (1 + Math.abs(expected[k])), "vs ONNX Runtime at " + k);
            if (expected[k] == floor) low++;
            if (expected[k] > top) high++;
        }
        assertEquals(true, low > 0 && high > 0, "both clip bounds reached: " + low + " at the floor, " + high + " above the top");
    }

    /**
     * The fused graph's output y on inputs large enough to pass both clip bounds, after checking it
     * has the unfused graph's bits; with ONNX Runtime's output of {@code model} on the same inputs.
     */
    private static float[][] fusedAgainstUnfused(OnnxMl.ModelProto model, Graph fused, Graph unfused, Random rnd) throws Exception {
        float[] x = OperatorsTest.input(new int[] {2, C, H, W}, rnd, false).floats().clone();
        for (int k = 0; k < x.length; k++) x[k] *= 4;
        Map<String, Tensor> in = Map.of("x", new Tensor.F32(new int[] {2, C, H, W}, x));
        float[] a = fused.run(in, Activations.FLOAT, Parallel.serial()).get("y").floats(), b = unfused.run(in, Activations.FLOAT, Parallel.serial()).get("y").floats();
        assertArrayEquals(b, a, "fused = unfused");
        return new float[][] {a, Onnx.ort(model, in).get("y").floats()};
    }
}
