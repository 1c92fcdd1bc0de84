package org.ternary4j.qat.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.qat.graph.TinyGraphs.Tensor;
import static org.ternary4j.qat.graph.TinyGraphs.constant;
import static org.ternary4j.qat.graph.TinyGraphs.f;
import static org.ternary4j.qat.graph.TinyGraphs.floats;
import static org.ternary4j.qat.graph.TinyGraphs.i;
import static org.ternary4j.qat.graph.TinyGraphs.ints;
import static org.ternary4j.qat.graph.TinyGraphs.longs;
import static org.ternary4j.qat.graph.TinyGraphs.node;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnx.proto.OnnxMl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.ternary4j.formats.onnx.OnnxModel;

/** The interpreter's forward pass against ONNX Runtime: one tiny graph per op family, and the whole PaddleOCR classifier. */
class GraphInterpreterTest {
    @TempDir
    Path dir;

    /** A one-to-few-node graph, its inputs and the tolerance. */
    record Case(String name, int opset, Map<String, Tensor> inputs, List<OnnxMl.NodeProto> nodes, List<OnnxMl.TensorProto> inits, List<String> outputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Case unary(String name, int opset, int[] shape, OnnxMl.NodeProto node, OnnxMl.TensorProto... inits) {
        return new Case(name, opset, Map.of("x", Tensor.random(new Random(name.hashCode()), shape)), List.of(node), List.of(inits), List.of("y"));
    }

    static Stream<Case> cases() {
        Random r = new Random(7);
        OnnxMl.TensorProto w = floats("w", Tensor.random(r, 6, 4, 3, 3));
        OnnxMl.TensorProto dw = floats("w", Tensor.random(r, 4, 1, 3, 3));
        OnnxMl.TensorProto b = floats("b", Tensor.random(r, 6));
        int[] img = {2, 4, 9, 11};
        return Stream.of(
                unary("Conv pad 1 stride 2 bias", 9, img, node("Conv", List.of("x", "w", "b"), "y", ints("pads", 1, 1, 1, 1), ints("strides", 2, 2), ints("kernel_shape", 3, 3)), w, b),
                unary("Conv asymmetric pads dilation 2", 9, img, node("Conv", List.of("x", "w"), "y", ints("pads", 0, 1, 2, 1), ints("dilations", 2, 2)), w),
                unary("Conv depthwise", 9, img, node("Conv", List.of("x", "w"), "y", ints("pads", 1, 1, 1, 1), i("group", 4)), dw),
                unary("BatchNormalization", 9, img, node("BatchNormalization", List.of("x", "s", "bb", "m", "v"), "y", f("epsilon", 1e-3f)),
                        floats("s", Tensor.random(r, 4)), floats("bb", Tensor.random(r, 4)), floats("m", Tensor.random(r, 4)),
                        floats("v", new Tensor(new int[] {4}, new float[] {0.5f, 1f, 2f, 3f}))),
                unary("LayerNormalization over the last two axes, epsilon", 17, new int[] {2, 3, 4}, node("LayerNormalization", List.of("x", "g", "be"), "y",
                        i("axis", -2), f("epsilon", 1e-3f)), floats("g", Tensor.random(r, 3, 4)), floats("be", Tensor.random(r, 3, 4))),
                unary("LayerNormalization without a bias", 17, new int[] {2, 5}, node("LayerNormalization", List.of("x", "g"), "y"), floats("g", Tensor.random(r, 5))),
                unary("HardSigmoid", 9, img, node("HardSigmoid", List.of("x"), "y", f("alpha", 0.1666667f), f("beta", 0.5f))),
                unary("HardSwish", 14, img, node("HardSwish", List.of("x"), "y")),
                unary("Clip attributes (opset 9)", 9, img, node("Clip", List.of("x"), "y", f("min", 0f), f("max", 0.5f))),
                unary("Clip inputs (opset 11)", 11, img, node("Clip", List.of("x", "lo", "hi"), "y"),
                        floats("lo", new Tensor(new int[0], new float[] {-0.3f})), floats("hi", new Tensor(new int[0], new float[] {0.7f}))),
                unary("Relu", 9, img, node("Relu", List.of("x"), "y")),
                unary("Sigmoid", 9, img, node("Sigmoid", List.of("x"), "y")),
                unary("MaxPool pads", 9, img, node("MaxPool", List.of("x"), "y", ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1))),
                unary("AveragePool exclude pad", 9, img, node("AveragePool", List.of("x"), "y", ints("kernel_shape", 2, 2), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1))),
                unary("AveragePool include pad, ceil", 10, img, node("AveragePool", List.of("x"), "y", ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                        ints("pads", 1, 1, 1, 1), i("count_include_pad", 1), i("ceil_mode", 1))),
                unary("GlobalMaxPool", 9, img, node("GlobalMaxPool", List.of("x"), "y")),
                unary("GlobalAveragePool", 9, img, node("GlobalAveragePool", List.of("x"), "y")),
                unary("MatMul 3-D by 2-D", 9, new int[] {2, 5, 6}, node("MatMul", List.of("x", "w"), "y"), floats("w", Tensor.random(r, 6, 3))),
                unary("Gemm transB alpha beta", 9, new int[] {5, 6}, node("Gemm", List.of("x", "w", "c"), "y", i("transB", 1), f("alpha", 0.5f), f("beta", 2f)),
                        floats("w", Tensor.random(r, 3, 6)), floats("c", Tensor.random(r, 3))),
                unary("Softmax opset 9 axis 1 of 3-D (flattens)", 9, new int[] {2, 3, 4}, node("Softmax", List.of("x"), "y", i("axis", 1))),
                unary("Softmax opset 13 axis 1 of 3-D", 13, new int[] {2, 3, 4}, node("Softmax", List.of("x"), "y", i("axis", 1))),
                unary("Transpose", 9, new int[] {2, 3, 4}, node("Transpose", List.of("x"), "y", ints("perm", 0, 2, 1))),
                unary("ReduceMean keepdims", 9, new int[] {2, 3, 4}, node("ReduceMean", List.of("x"), "y", ints("axes", -1))),
                unary("Gather axis 0, 2-D indices, negative index", 13, new int[] {5, 3}, node("Gather", List.of("x", "idx"), "y"),
                        longs("idx", 4, 0, -1, 2).toBuilder().clearDims().addDims(2).addDims(2).build()),
                unary("Gather axis 1, scalar index", 13, new int[] {2, 4, 3}, node("Gather", List.of("x", "idx"), "y", i("axis", 1)),
                        longs("idx", 2).toBuilder().clearDims().build()),
                unary("Gather axis -1, 1-D indices", 13, new int[] {2, 4, 3}, node("Gather", List.of("x", "idx"), "y", i("axis", -1)),
                        longs("idx", 2, 2, 0)),
                unary("Pow and Sqrt of |x|", 9, new int[] {2, 3}, node("Pow", List.of("x", "two"), "y"), floats("two", new Tensor(new int[0], new float[] {2f}))),
                new Case("Shape, Cast, Slice, Concat, Reshape (0 and -1)", 9, Map.of("x", Tensor.random(r, 2, 4, 3, 5)), List.of(
                        node("Shape", List.of("x"), "s"),
                        node("Cast", List.of("s"), "s32", i("to", 6)),
                        node("Slice", List.of("s32"), "n", ints("axes", 0), ints("starts", 0), ints("ends", 1)),
                        node("Cast", List.of("n"), "n64", i("to", 7)),
                        node("Concat", List.of("n64", "minus1"), "target", i("axis", 0)),
                        node("Reshape", List.of("x", "target"), "flat"),
                        node("Reshape", List.of("flat", "zero3"), "y")),
                        List.of(longs("minus1", -1), longs("zero3", 0, 12, 5)), List.of("y")),
                new Case("Squeeze, Unsqueeze, Sub, Div, Constant node", 9, Map.of("x", Tensor.random(r, 2, 1, 3)), List.of(
                        constant("k", floats("k", new Tensor(new int[] {3}, new float[] {1f, 2f, 4f}))),
                        node("Squeeze", List.of("x"), "sq", ints("axes", 1)),
                        node("Sub", List.of("sq", "k"), "d"),
                        node("Div", List.of("d", "k"), "q"),
                        node("Unsqueeze", List.of("q"), "y", ints("axes", 0))),
                        List.of(), List.of("y")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesOnnxRuntime(Case c) throws Exception {
        Path f = TinyGraphs.write(dir, "case", TinyGraphs.model(c.opset(), List.copyOf(c.inputs().keySet()), c.outputs(), c.nodes(), c.inits()));
        Map<String, Tensor> want = TinyGraphs.ort(f, c.inputs());
        Map<String, Tensor> got = interpret(f, c.inputs(), c.outputs());
        for (String o : c.outputs()) {
            assertArrayEquals(want.get(o).shape(), got.get(o).shape(), c + ": shape of " + o);
            assertTrue(maxAbsDiff(want.get(o).data(), got.get(o).data()) < 1e-5, c + ": " + o + " differs by " + maxAbsDiff(want.get(o).data(), got.get(o).data()));
        }
    }

    /**
     * A batch norm whose stored statistics a tap removes (fine-tuning's training form) normalises by
     * its batch's mean and biased variance per channel, computed here in double: images, [N, C]
     * rows, and one row alone (its own mean, variance 0: the shift).
     */
    @ParameterizedTest
    @CsvSource({"2, 4, 9, 11", "5, 4, 1, 1", "1, 4, 1, 1"})
    void aBatchNormWithoutItsStatisticsNormalisesByTheBatch(int n, int c, int h, int w) throws Exception {
        Random r = new Random(n * 31 + h);
        Tensor scale = Tensor.random(r, c), shift = Tensor.random(r, c);
        float eps = 1e-3f;
        Path f = TinyGraphs.write(dir, "bn", TinyGraphs.model(9, List.of("x"), List.of("y"), List.of(
                node("BatchNormalization", List.of("x", "s", "bb", "m", "v"), "y", f("epsilon", eps))),
                List.of(floats("s", scale), floats("bb", shift), floats("m", Tensor.random(r, c)), floats("v", new Tensor(new int[] {c}, new float[] {1f, 2f, 3f, 4f})))));
        int[] shape = h == 1 && w == 1 ? new int[] {n, c} : new int[] {n, c, h, w};
        Tensor x = Tensor.random(r, shape);
        float[] got;
        try (OnnxModel m = OnnxModel.read(f); NDManager nd = NDManager.newBaseManager()) {
            GraphInterpreter g = GraphInterpreter.of(m, nd);
            NDArray in = nd.create(x.data(), new Shape(Arrays.stream(shape).asLongStream().toArray()));
            got = g.run(Map.of("x", in), Map.of(), List.of("y"), (node, inputs) -> {
                List<NDArray> out = new java.util.ArrayList<>(inputs);
                out.set(3, null);
                out.set(4, null);
                return out;
            }).get("y").toFloatArray();
        }
        int hw = h * w;
        for (int ch = 0; ch < c; ch++) {
            double sum = 0, sq = 0;
            for (int e = 0; e < n; e++) for (int p = 0; p < hw; p++) sum += x.data()[(e * c + ch) * hw + p];
            double mean = sum / (n * hw);
            for (int e = 0; e < n; e++) for (int p = 0; p < hw; p++) sq += Math.pow(x.data()[(e * c + ch) * hw + p] - mean, 2);
            double sd = Math.sqrt(sq / (n * hw) + eps);
            for (int e = 0; e < n; e++) {
                for (int p = 0; p < hw; p++) {
                    int k = (e * c + ch) * hw + p;
                    assertEquals((x.data()[k] - mean) / sd * scale.data()[ch] + shift.data()[ch], got[k], 1e-4, "channel " + ch + ", value " + k);
                }
            }
        }
    }

    @Test
    void refusesAnUnsupportedOperatorNamingTheFile() throws Exception {
        Path f = TinyGraphs.write(dir, "lrn", TinyGraphs.model(9, List.of("x"), List.of("y"), List.of(node("LRN", List.of("x"), "y", i("size", 3))), List.of()));
        try (OnnxModel m = OnnxModel.read(f); NDManager nd = NDManager.newBaseManager()) {
            var e = assertThrows(java.io.IOException.class, () -> GraphInterpreter.of(m, nd));
            assertEquals(f + ": operators the differentiable interpreter does not support: LRN", e.getMessage());
        }
    }

    /**
     * Whole fetched models: the PaddleOCR direction classifier (Constant-node weights, 35 batch
     * norms, 11 depthwise convs) and the PP-OCRv4 recogniser (attention mixer blocks: MatMul,
     * Softmax over axis 3, LayerNorm as ReduceMean/Pow/Sqrt, shape arithmetic).
     */
    @ParameterizedTest
    @CsvSource({"ch_ppocr_mobile_v2.0_cls_infer.onnx, 2, 192, 3", "ch_PP-OCRv4_rec_infer.onnx, 1, 160, 4"})
    void fetchedPaddleOcrModelsMatchOnnxRuntime(String file, int batch, int width, long seed) throws Exception {
        Path model = Path.of(System.getProperty("user.dir")).resolve("../.cache/models/" + file).normalize();
        Assumptions.assumeTrue(Files.isRegularFile(model), "fetch the models first (scripts/fetch-models.sh)");
        Tensor x = Tensor.random(new Random(seed), batch, 3, 48, width);
        Map<String, Tensor> want = TinyGraphs.ort(model, Map.of("x", x));
        String out = want.keySet().iterator().next();
        Map<String, Tensor> got = interpret(model, Map.of("x", x), List.of(out));
        assertArrayEquals(want.get(out).shape(), got.get(out).shape());
        double d = maxAbsDiff(want.get(out).data(), got.get(out).data());
        assertTrue(d < 1e-4, file + ": max |interpreter − ONNX Runtime| = " + d);
    }

    /**
     * all-MiniLM-L6-v2 (embedding Gathers, Erf GELU, LayerNorm, batched attention MatMuls, the
     * attention mask's Unsqueeze/Cast/Sub/Mul) on int64 token inputs, one example padded.
     */
    @Test
    void fetchedMiniLmMatchesOnnxRuntime() throws Exception {
        Path model = Path.of(System.getProperty("user.dir")).resolve("../.cache/models/all-minilm-l6-v2.onnx").normalize();
        Assumptions.assumeTrue(Files.isRegularFile(model), "fetch the models first (scripts/fetch-models.sh)");
        int batch = 2, tokens = 12;
        long[] ids = new long[batch * tokens], mask = new long[batch * tokens];
        Random r = new Random(5);
        for (int b = 0; b < batch; b++) {
            int real = b == 0 ? tokens : 7;
            for (int t = 0; t < real; t++) {
                ids[b * tokens + t] = t == 0 ? 101 : t == real - 1 ? 102 : 1000 + r.nextInt(29000);
                mask[b * tokens + t] = 1;
            }
        }
        Map<String, long[]> feeds = Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", new long[batch * tokens]);
        long[] shape = {batch, tokens};
        ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        float[] want;
        String out;
        try (ai.onnxruntime.OrtSession s = env.createSession(model.toString())) {
            Map<String, ai.onnxruntime.OnnxTensor> in = new LinkedHashMap<>();
            for (var e : feeds.entrySet()) in.put(e.getKey(), ai.onnxruntime.OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(e.getValue()), shape));
            try (ai.onnxruntime.OrtSession.Result res = s.run(in)) {
                var t = (ai.onnxruntime.OnnxTensor) res.get(0);
                out = s.getOutputNames().iterator().next();
                var fb = t.getFloatBuffer();
                want = new float[fb.remaining()];
                fb.get(want);
            } finally {
                for (var t : in.values()) t.close();
            }
        }
        try (OnnxModel m = OnnxModel.read(model); NDManager nd = NDManager.newBaseManager()) {
            GraphInterpreter g = GraphInterpreter.of(m, nd);
            Map<String, NDArray> x = new LinkedHashMap<>();
            for (var e : feeds.entrySet()) x.put(e.getKey(), nd.create(e.getValue(), new Shape(shape)));
            NDArray got = g.run(x, Map.of(), List.of(out)).get(out);
            assertArrayEquals(new long[] {batch, tokens, 384}, got.getShape().getShape());
            double d = maxAbsDiff(want, got.toFloatArray());
            assertTrue(d < 1e-4, "MiniLM: max |interpreter − ONNX Runtime| = " + d);
        }
    }

    static Map<String, Tensor> interpret(Path f, Map<String, Tensor> inputs, List<String> outputs) throws Exception {
        try (OnnxModel m = OnnxModel.read(f); NDManager nd = NDManager.newBaseManager()) {
            GraphInterpreter g = GraphInterpreter.of(m, nd);
            Map<String, NDArray> feeds = new LinkedHashMap<>();
            for (var e : inputs.entrySet()) feeds.put(e.getKey(), nd.create(e.getValue().data(), new Shape(Arrays.stream(e.getValue().shape()).asLongStream().toArray())));
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (var e : g.run(feeds, Map.of(), outputs).entrySet()) {
                NDArray a = e.getValue();
                out.put(e.getKey(), new Tensor(Arrays.stream(a.getShape().getShape()).mapToInt(Math::toIntExact).toArray(), a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray()));
            }
            return out;
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double d = 0;
        for (int k = 0; k < a.length; k++) d = Math.max(d, Math.abs(a[k] - b[k]));
        return d;
    }
}
