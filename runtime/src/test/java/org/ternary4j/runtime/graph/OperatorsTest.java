package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.runtime.graph.Onnx.f;
import static org.ternary4j.runtime.graph.Onnx.i;
import static org.ternary4j.runtime.graph.Onnx.ints;
import static org.ternary4j.runtime.graph.Onnx.longs;
import static org.ternary4j.runtime.graph.Onnx.node;
import static org.ternary4j.runtime.graph.Onnx.s;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ternary4j.runtime.TernaryModel;

/** Every float operator, one small model each, against ONNX Runtime on the same model and inputs. */
class OperatorsTest {

    /** One case: a graph of nodes over float inputs a, b (shapes given; b may be absent) and initializers. */
    record Case(String name, int opset, int[] a, int[] b, List<OnnxMl.NodeProto> nodes, List<OnnxMl.TensorProto> inits, boolean positive, String... longOutputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        List<Case> c = new ArrayList<>();
        String[] ab = {"a", "b"}, a = {"a"}, y = {"y"};
        int[] s234 = {2, 3, 4}, s31 = {3, 1};
        for (String op : new String[] {"Add", "Sub", "Mul", "Div"}) c.add(new Case(op, 13, s234, s31, List.of(node(op, ab, y)), List.of(), false));
        c.add(new Case("Pow", 13, s234, new int[] {4}, List.of(node("Pow", ab, y)), List.of(), true));
        for (String op : new String[] {"Relu", "Sigmoid", "Tanh", "Erf"}) c.add(new Case(op, 13, s234, null, List.of(node(op, a, y)), List.of(), false));
        c.add(new Case("Sqrt", 13, s234, null, List.of(node("Sqrt", a, y)), List.of(), true));
        int[] img = {2, 3, 7, 6};
        c.add(new Case("MaxPool", 13, img, null, List.of(node("MaxPool", a, y, ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1))), List.of(), false));
        c.add(new Case("MaxPool-ceil", 13, img, null, List.of(node("MaxPool", a, y, ints("kernel_shape", 2, 2), ints("strides", 2, 2), i("ceil_mode", 1))), List.of(), false));
        c.add(new Case("AveragePool", 13, img, null, List.of(node("AveragePool", a, y, ints("kernel_shape", 3, 2), ints("pads", 1, 0, 1, 1))), List.of(), false));
        c.add(new Case("AveragePool-incl", 13, img, null, List.of(node("AveragePool", a, y, ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1), i("count_include_pad", 1))), List.of(), false));
        c.add(new Case("AveragePool-same", 13, img, null, List.of(node("AveragePool", a, y, ints("kernel_shape", 3, 3), ints("strides", 2, 2), s("auto_pad", "SAME_UPPER"))), List.of(), false));
        c.add(new Case("GlobalAveragePool", 13, img, null, List.of(node("GlobalAveragePool", a, y)), List.of(), false));
        // every window inside the input (PP-OCRv4's 3×2 average pool), also with a bottom pad no window reaches and dilation
        c.add(new Case("AveragePool-inside", 13, new int[] {2, 5, 9, 14}, null, List.of(node("AveragePool", a, y, ints("kernel_shape", 3, 2), ints("strides", 3, 2))), List.of(), false));
        c.add(new Case("AveragePool-unreached-pad", 13, img, null, List.of(node("AveragePool", a, y, ints("kernel_shape", 2, 2), ints("strides", 3, 2), ints("pads", 0, 0, 1, 0), i("count_include_pad", 1))), List.of(), false));
        c.add(new Case("AveragePool-dilated", 19, img, null, List.of(node("AveragePool", a, y, ints("kernel_shape", 2, 3), ints("dilations", 2, 1))), List.of(), false));
        Random rnd = new Random(3);
        c.add(new Case("BatchNormalization", 13, img, null, List.of(node("BatchNormalization", new String[] {"a", "g", "bt", "m", "v"}, y, f("epsilon", 1e-3f))),
                List.of(vec("g", 3, rnd), vec("bt", 3, rnd), vec("m", 3, rnd), Onnx.floats("v", new int[] {3}, new float[] {0.5f, 1.5f, 2f})), false));
        c.add(new Case("Flatten", 13, img, null, List.of(node("Flatten", a, y, i("axis", 2))), List.of(), false));
        c.add(new Case("Reshape", 13, img, null, List.of(node("Reshape", new String[] {"a", "sh"}, y)), List.of(longs("sh", new int[] {3}, 0, -1, 6)), false));
        c.add(new Case("Transpose", 13, img, null, List.of(node("Transpose", a, y, ints("perm", 0, 2, 3, 1))), List.of(), false));
        c.add(new Case("Concat", 13, new int[] {2, 3, 4}, new int[] {2, 5, 4}, List.of(node("Concat", ab, y, i("axis", -2))), List.of(), false));
        c.add(new Case("Softmax-13", 13, s234, null, List.of(node("Softmax", a, y, i("axis", 1))), List.of(), false));
        c.add(new Case("Softmax-11", 11, s234, null, List.of(node("Softmax", a, y, i("axis", 1))), List.of(), false));
        c.add(new Case("Gather", 13, s234, null, List.of(node("Gather", new String[] {"a", "ix"}, y, i("axis", 1))), List.of(longs("ix", new int[] {2, 2}, 2, 0, -1, 1)), false));
        c.add(new Case("ReduceMean", 13, img, null, List.of(node("ReduceMean", a, y, ints("axes", -1, 1), i("keepdims", 0))), List.of(), false));
        c.add(new Case("ReduceMean-18", 18, img, null, List.of(node("ReduceMean", new String[] {"a", "ax"}, y)), List.of(longs("ax", new int[] {1}, 2)), false));
        c.add(new Case("Shape", 13, img, null, List.of(node("Shape", a, y)), List.of(), false, "y"));
        c.add(new Case("Unsqueeze", 13, s234, null, List.of(node("Unsqueeze", new String[] {"a", "ax"}, y)), List.of(longs("ax", new int[] {2}, 0, -1)), false));
        c.add(new Case("Unsqueeze-11", 11, s234, null, List.of(node("Unsqueeze", a, y, ints("axes", 1))), List.of(), false));
        c.add(new Case("Squeeze", 13, new int[] {1, 3, 1, 4}, null, List.of(node("Squeeze", new String[] {"a", "ax"}, y)), List.of(longs("ax", new int[] {1}, 2)), false));
        c.add(new Case("Slice", 13, img, null, List.of(node("Slice", new String[] {"a", "st", "en", "ax", "sp"}, y)),
                List.of(longs("st", new int[] {3}, 1, -1, 0), longs("en", new int[] {3}, 100, 0, 5), longs("ax", new int[] {3}, 2, 3, 1), longs("sp", new int[] {3}, 2, -2, 1)), false));
        c.add(new Case("Conv", 13, new int[] {2, 4, 7, 6}, null, List.of(node("Conv", new String[] {"a", "w", "bias"}, y, ints("strides", 2, 1), ints("pads", 1, 0, 1, 2), i("group", 2))),
                List.of(Onnx.floats("w", new int[] {6, 2, 3, 3}, gauss(rnd, 108)), vec("bias", 6, rnd)), false));
        c.add(new Case("Conv-same", 13, new int[] {1, 3, 8, 7}, null, List.of(node("Conv", new String[] {"a", "w"}, y, ints("strides", 2, 2), s("auto_pad", "SAME_LOWER"))),
                List.of(Onnx.floats("w", new int[] {4, 3, 4, 4}, gauss(rnd, 192))), false));
        c.add(new Case("Conv-dilated", 13, new int[] {1, 3, 8, 8}, null, List.of(node("Conv", new String[] {"a", "w"}, y, ints("dilations", 2, 3), ints("pads", 2, 1, 0, 3))),
                List.of(Onnx.floats("w", new int[] {4, 3, 3, 3}, gauss(rnd, 108))), false));
        c.add(new Case("Gemm", 13, new int[] {3, 5}, null, List.of(node("Gemm", new String[] {"a", "w", "bias"}, y, i("transB", 1), f("alpha", 0.5f), f("beta", 2f))),
                List.of(Onnx.floats("w", new int[] {4, 5}, gauss(rnd, 20)), vec("bias", 4, rnd)), false));
        c.add(new Case("Gemm-transA", 13, new int[] {5, 3}, null, List.of(node("Gemm", new String[] {"a", "w"}, y, i("transA", 1))),
                List.of(Onnx.floats("w", new int[] {5, 4}, gauss(rnd, 20))), false));
        c.add(new Case("MatMul", 13, new int[] {2, 3, 5}, new int[] {5, 4}, List.of(node("MatMul", ab, y)), List.of(), false));
        c.add(new Case("MatMul-batched", 13, new int[] {2, 1, 3, 5}, new int[] {3, 5, 2}, List.of(node("MatMul", ab, y)), List.of(), false));
        // operators of the PaddleOCR and MiniLM exports
        c.add(new Case("Clip-9", 9, s234, null, List.of(node("Clip", a, y, f("min", -0.5f), f("max", 0.7f))), List.of(), false));
        c.add(new Case("Clip-13", 13, s234, null, List.of(node("Clip", new String[] {"a", "lo", ""}, y)), List.of(Onnx.floats("lo", new int[] {}, new float[] {-0.25f})), false));
        c.add(new Case("HardSigmoid", 13, s234, null, List.of(node("HardSigmoid", a, y, f("alpha", 0.1666667f), f("beta", 0.5f))), List.of(), false));
        c.add(new Case("HardSwish", 14, s234, null, List.of(node("HardSwish", a, y)), List.of(), false));
        for (String op : new String[] {"Neg", "Exp", "Abs"}) c.add(new Case(op, 13, s234, null, List.of(node(op, a, y)), List.of(), false));
        c.add(new Case("Cast-int64", 13, s234, null, List.of(node("Mul", new String[] {"a", "ten"}, new String[] {"a10"}), node("Cast", new String[] {"a10"}, y, i("to", 7))),
                List.of(Onnx.floats("ten", new int[] {}, new float[] {10f})), false, "y"));
        c.add(new Case("Cast-float16", 13, s234, null, List.of(node("Cast", a, new String[] {"h"}, i("to", 10)), node("Cast", new String[] {"h"}, y, i("to", 1))), List.of(), false));
        c.add(new Case("Where-Greater", 13, s234, s31, List.of(node("Greater", ab, new String[] {"c"}), node("Where", new String[] {"c", "a", "b"}, y)), List.of(), false));
        c.add(new Case("Less-Not", 13, s234, s31, List.of(node("Less", ab, new String[] {"c"}), node("Not", new String[] {"c"}, new String[] {"nc"}),
                node("Cast", new String[] {"nc"}, y, i("to", 7))), List.of(), false, "y"));
        c.add(new Case("Equal", 13, s234, null, List.of(node("Equal", new String[] {"a", "a"}, new String[] {"c"}), node("Cast", new String[] {"c"}, y, i("to", 7))), List.of(), false, "y"));
        c.add(new Case("Expand", 13, s31, null, List.of(node("Expand", new String[] {"a", "sh"}, y)), List.of(longs("sh", new int[] {3}, 2, 1, 4)), false));
        c.add(new Case("ConstantOfShape", 13, s234, null, List.of(node("Shape", a, new String[] {"sh"}),
                node("ConstantOfShape", new String[] {"sh"}, new String[] {"k"}, tensorAttr("value", Onnx.floats("v", new int[] {1}, new float[] {1.5f}))),
                node("Add", new String[] {"a", "k"}, y)), List.of(), false));
        c.add(new Case("Mul-channels", 13, new int[] {2, 3, 5, 7}, new int[] {1, 3, 1, 1}, List.of(node("Mul", ab, y)), List.of(), false));
        c.add(new Case("Div-both-broadcast", 13, new int[] {2, 1, 4}, new int[] {3, 1}, List.of(node("Div", ab, y)), List.of(), false));
        c.add(new Case("Sub-middle", 13, new int[] {2, 3, 4}, new int[] {2, 1, 4}, List.of(node("Sub", ab, y)), List.of(), false));
        c.add(new Case("Add-scalar-first", 13, new int[] {1}, new int[] {2, 3, 17}, List.of(node("Add", ab, y)), List.of(), false));
        c.add(new Case("Softmax-last", 13, new int[] {2, 3, 37}, null, List.of(node("Softmax", a, y, i("axis", -1))), List.of(), false));
        c.add(new Case("ReduceMean-last", 13, new int[] {2, 3, 37}, null, List.of(node("ReduceMean", a, y, ints("axes", -1))), List.of(), false));
        c.add(new Case("Pow-2", 13, new int[] {2, 3, 37}, null, List.of(node("Pow", new String[] {"a", "two"}, y)), List.of(Onnx.floats("two", new int[] {}, new float[] {2f})), false));
        c.add(new Case("MatMul-const", 13, new int[] {2, 3, 5}, null, List.of(node("MatMul", new String[] {"a", "w"}, y)), List.of(Onnx.floats("w", new int[] {5, 19}, gauss(rnd, 95))), false));
        c.add(new Case("MatMul-attention", 13, new int[] {2, 4, 9, 8}, new int[] {2, 4, 8, 21}, List.of(node("MatMul", ab, y)), List.of(), false));
        // the upsampling of detection heads (PP-OCRv4's DBNet: nearest, asymmetric, floor, ×2; ConvTranspose 2×2 stride 2)
        int[] map = {1, 3, 5, 4};
        String[] rs = {"a", "", "sc"};
        OnnxMl.TensorProto x2 = Onnx.floats("sc", new int[] {4}, new float[] {1, 1, 2, 2});
        c.add(new Case("Resize-nearest-det", 13, map, null, List.of(node("Resize", rs, y, s("mode", "nearest"), s("coordinate_transformation_mode", "asymmetric"), s("nearest_mode", "floor"))), List.of(x2), false));
        // rows of 42 outputs: two vector gathers and a scalar tail per row
        c.add(new Case("Resize-nearest-wide", 13, new int[] {1, 2, 3, 21}, null, List.of(node("Resize", rs, y, s("coordinate_transformation_mode", "asymmetric"), s("nearest_mode", "floor"))), List.of(x2), false));
        c.add(new Case("Resize-nearest-default", 13, map, null, List.of(node("Resize", rs, y)), List.of(Onnx.floats("sc", new int[] {4}, new float[] {1, 1, 1.5f, 0.5f})), false));
        c.add(new Case("Resize-nearest-ceil", 13, map, null, List.of(node("Resize", rs, y, s("nearest_mode", "ceil"))),
                List.of(Onnx.floats("sc", new int[] {4}, new float[] {1, 1, 2.5f, 1.75f})), false));
        c.add(new Case("Resize-nearest-prefer-ceil-align", 13, map, null, List.of(node("Resize", new String[] {"a", "", "", "sz"}, y, s("coordinate_transformation_mode", "align_corners"), s("nearest_mode", "round_prefer_ceil"))),
                List.of(longs("sz", new int[] {4}, 2, 3, 9, 7)), false));
        c.add(new Case("Resize-linear-half-pixel", 13, map, null, List.of(node("Resize", rs, y, s("mode", "linear"))), List.of(Onnx.floats("sc", new int[] {4}, new float[] {1, 1, 2, 3})), false));
        c.add(new Case("Resize-linear-down-pytorch", 13, map, null, List.of(node("Resize", rs, y, s("mode", "linear"), s("coordinate_transformation_mode", "pytorch_half_pixel"))),
                List.of(Onnx.floats("sc", new int[] {4}, new float[] {1, 1, 0.6f, 0.5f})), false));
        c.add(new Case("Resize-linear-align-sizes", 13, map, null, List.of(node("Resize", new String[] {"a", "", "", "sz"}, y, s("mode", "linear"), s("coordinate_transformation_mode", "align_corners"))),
                List.of(longs("sz", new int[] {4}, 1, 3, 8, 1)), false));
        c.add(new Case("Resize-linear-asymmetric-3d", 13, new int[] {2, 5, 6}, null, List.of(node("Resize", rs, y, s("mode", "linear"), s("coordinate_transformation_mode", "asymmetric"))),
                List.of(Onnx.floats("sc", new int[] {3}, new float[] {1, 2, 1.5f})), false));
        c.add(new Case("Resize-10", 10, map, null, List.of(node("Resize", new String[] {"a", "sc"}, y)), List.of(x2), false));
        c.add(new Case("ConvTranspose-det", 13, new int[] {1, 4, 5, 6}, null, List.of(node("ConvTranspose", new String[] {"a", "w", "bias"}, y, ints("kernel_shape", 2, 2), ints("strides", 2, 2))),
                List.of(Onnx.floats("w", new int[] {4, 3, 2, 2}, gauss(rnd, 48)), vec("bias", 3, rnd)), false));
        c.add(new Case("ConvTranspose-padded-grouped", 13, new int[] {2, 4, 5, 4}, null, List.of(node("ConvTranspose", new String[] {"a", "w"}, y, ints("strides", 2, 3), ints("pads", 1, 0, 2, 1),
                ints("output_padding", 1, 2), ints("dilations", 1, 2), i("group", 2))), List.of(Onnx.floats("w", new int[] {4, 3, 3, 3}, gauss(rnd, 108))), false));
        c.add(new Case("ConvTranspose-valid", 13, new int[] {1, 2, 4, 4}, null, List.of(node("ConvTranspose", new String[] {"a", "w"}, y, s("auto_pad", "VALID"))),
                List.of(Onnx.floats("w", new int[] {2, 5, 3, 2}, gauss(rnd, 60))), false));
        // a transformer-style chain: LayerNorm by hand, then GELU with Erf, with shape arithmetic
        c.add(new Case("layernorm-gelu", 13, s234, null, List.of(
                node("ReduceMean", a, new String[] {"mu"}, ints("axes", -1)),
                node("Sub", new String[] {"a", "mu"}, new String[] {"d"}),
                node("Pow", new String[] {"d", "two"}, new String[] {"d2"}),
                node("ReduceMean", new String[] {"d2"}, new String[] {"var"}, ints("axes", -1)),
                node("Add", new String[] {"var", "eps"}, new String[] {"ve"}),
                node("Sqrt", new String[] {"ve"}, new String[] {"sd"}),
                node("Div", new String[] {"d", "sd"}, new String[] {"n"}),
                node("Div", new String[] {"n", "sqrt2"}, new String[] {"ns"}),
                node("Erf", new String[] {"ns"}, new String[] {"e"}),
                node("Add", new String[] {"e", "one"}, new String[] {"e1"}),
                node("Mul", new String[] {"n", "e1"}, new String[] {"g"}),
                node("Shape", new String[] {"g"}, new String[] {"shp"}),
                node("Gather", new String[] {"shp", "zero"}, new String[] {"n0"}, i("axis", 0)),
                node("Unsqueeze", new String[] {"n0", "zero1"}, new String[] {"n0u"}),
                node("Concat", new String[] {"n0u", "minus1"}, new String[] {"newshape"}, i("axis", 0)),
                node("Reshape", new String[] {"g", "newshape"}, y)),
                List.of(Onnx.floats("two", new int[] {}, new float[] {2f}), Onnx.floats("eps", new int[] {}, new float[] {1e-5f}),
                        Onnx.floats("sqrt2", new int[] {}, new float[] {(float) Math.sqrt(2)}), Onnx.floats("one", new int[] {}, new float[] {1f}),
                        longs("zero", new int[] {}, 0), longs("zero1", new int[] {1}, 0), longs("minus1", new int[] {1}, -1)), false));
        return c.stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesOnnxRuntime(Case c) throws Exception {
        Random rnd = new Random(c.name().hashCode());
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("a", input(c.a(), rnd, c.positive()));
        if (c.b() != null) in.put("b", input(c.b(), rnd, false));
        String[] inputs = c.b() == null ? new String[] {"a"} : new String[] {"a", "b"};
        OnnxMl.ModelProto model = Onnx.model(c.opset(), inputs, new String[] {"y"}, c.nodes(), c.inits(), c.longOutputs());
        Tensor expected = Onnx.ort(model, in).get("y");
        try (TernaryModel m = TernaryModel.load(Onnx.read(model), Map.of(), TernaryModel.Options.defaults())) {
            Tensor got = m.run(in).get("y");
            assertArrayEquals(expected.shape(), got.shape(), "shape");
            if (expected instanceof Tensor.I64 e) {
                assertArrayEquals(e.data(), got.longs());
                return;
            }
            float[] ev = expected.floats(), gv = got.floats();
            for (int k = 0; k < ev.length; k++) assertEquals(ev[k], gv[k], 2e-5 * (1 + Math.abs(ev[k])), "element " + k);
        }
    }

    /**
     * A packed ternary ConvTranspose weight (canonical [out, in/group, kh, kw]) runs as the float
     * initializer ONNX Runtime gets: each stored element [in, out/group, kh, kw] written here by
     * hand from the codes and the output channel's scale.
     */
    @org.junit.jupiter.api.Test
    void aTernaryConvTransposeWeightRunsAsItsDequantizedInitializer() throws Exception {
        Random rnd = new Random(9);
        int groups = 2, in = 4, outPer = 3, k = 2, out = outPer * groups, inPer = in / groups;
        byte[] codes = new byte[out * inPer * k * k];
        for (int j = 0; j < codes.length; j++) codes[j] = (byte) (rnd.nextInt(3) - 1);
        float[] scale = new float[out];
        for (int o = 0; o < out; o++) scale[o] = 0.5f + o;
        org.ternary4j.core.TernaryTensor t = new org.ternary4j.core.TernaryTensor(new int[] {out, inPer, k, k}, new org.ternary4j.core.grouping.Grouping.Row(), "test", codes, scale, null);
        float[] stored = new float[codes.length];
        for (int g = 0; g < groups; g++) for (int i = 0; i < inPer; i++) for (int o = 0; o < outPer; o++) for (int p = 0; p < k * k; p++) {
            int oc = g * outPer + o;
            stored[(((g * inPer + i) * outPer + o) * k * k) + p] = codes[(oc * inPer + i) * k * k + p] * scale[oc];
        }
        OnnxMl.ModelProto model = Onnx.model(13, new String[] {"a"}, new String[] {"y"},
                List.of(node("ConvTranspose", new String[] {"a", "w"}, new String[] {"y"}, ints("strides", 2, 2), i("group", groups))),
                List.of(Onnx.floats("w", new int[] {in, outPer, k, k}, stored)));
        Map<String, Tensor> x = Map.of("a", input(new int[] {1, in, 3, 5}, rnd, false));
        float[] expected = Onnx.ort(model, x).get("y").floats();
        try (TernaryModel m = TernaryModel.load(Onnx.read(model), Map.of("w", t), TernaryModel.Options.defaults())) {
            assertEquals(codes.length, m.floatTernaryWeights(), "run in float, not packed");
            assertEquals(0, m.packedWeightBytes());
            float[] got = m.run(x).get("y").floats();
            for (int j = 0; j < expected.length; j++) assertEquals(expected[j], got[j], 2e-5 * (1 + Math.abs(expected[j])), "element " + j);
        }
    }

    /** A ConvTranspose large enough to share among threads, then Resize: ONNX Runtime's values, and the same bits on 1 and 3 threads. */
    @org.junit.jupiter.api.Test
    void upsamplingSharedAmongThreadsGivesTheSameBits() throws Exception {
        Random rnd = new Random(21);
        OnnxMl.ModelProto model = Onnx.model(13, new String[] {"a"}, new String[] {"y"},
                List.of(node("ConvTranspose", new String[] {"a", "w", "bias"}, new String[] {"t"}, ints("strides", 2, 2)),
                        node("Resize", new String[] {"t", "", "sc"}, new String[] {"y"}, s("mode", "linear"))),
                List.of(Onnx.floats("w", new int[] {8, 8, 2, 2}, gauss(rnd, 256)), vec("bias", 8, rnd), Onnx.floats("sc", new int[] {4}, new float[] {1, 1, 2, 3})));
        Map<String, Tensor> x = Map.of("a", input(new int[] {2, 8, 24, 24}, rnd, false));
        float[] expected = Onnx.ort(model, x).get("y").floats();
        try (TernaryModel one = TernaryModel.load(Onnx.read(model), Map.of(), TernaryModel.Options.defaults());
             TernaryModel three = TernaryModel.load(Onnx.read(model), Map.of(), new TernaryModel.Options(3, Activations.INT8))) {
            float[] got = one.run(x).get("y").floats();
            assertArrayEquals(got, three.run(x).get("y").floats(), "1 and 3 threads");
            for (int j = 0; j < expected.length; j++) assertEquals(expected[j], got[j], 2e-5 * (1 + Math.abs(expected[j])), "element " + j);
        }
    }

    static OnnxMl.AttributeProto tensorAttr(String name, OnnxMl.TensorProto t) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.TENSOR).setT(t).build();
    }

    static Tensor input(int[] shape, Random rnd, boolean positive) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = gauss(rnd, n);
        if (positive) for (int k = 0; k < n; k++) v[k] = Math.abs(v[k]) + 0.1f;
        return new Tensor.F32(shape, v);
    }

    static float[] gauss(Random rnd, int n) {
        float[] v = new float[n];
        for (int k = 0; k < n; k++) v[k] = (float) rnd.nextGaussian();
        return v;
    }

    static OnnxMl.TensorProto vec(String name, int n, Random rnd) {
        return Onnx.floats(name, new int[] {n}, gauss(rnd, n));
    }

    static void assertContains(String text, String part) {
        assertTrue(text.contains(part), "'" + text + "' should contain '" + part + "'");
    }
}
