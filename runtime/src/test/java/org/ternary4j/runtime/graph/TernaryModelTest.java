package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.runtime.graph.Onnx.i;
import static org.ternary4j.runtime.graph.Onnx.ints;
import static org.ternary4j.runtime.graph.Onnx.node;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.runtime.TernaryModel;
import org.ternary4j.runtime.kernel.PackedTernaryMatrix;

/**
 * A small CNN + MLP whose Conv, Gemm and MatMul weights are packed ternary tensors, against ONNX
 * Runtime running the same graph with the dequantized weights as float initializers.
 */
class TernaryModelTest {

    private static final int C = 3, H = 9, W = 8, O = 8, HIDDEN = 37, CLASSES = 10;

    record Net(OnnxMl.ModelProto model, Map<String, TernaryTensor> ternary) {}

    static Net net(Random rnd) {
        TernaryTensor conv = randomTernary(rnd, new int[] {O, C, 3, 3}, new Grouping.Kernel(), true);
        int flat = O * 4 * 4;
        TernaryTensor fc1 = randomTernary(rnd, new int[] {HIDDEN, flat}, new Grouping.Block(32), false);
        TernaryTensor fc2 = randomTernary(rnd, new int[] {CLASSES, HIDDEN}, new Grouping.Row(), true);
        float[] fc2T = transpose(fc2.dequantize(), CLASSES, HIDDEN);
        List<OnnxMl.TensorProto> inits = List.of(
                Onnx.floats("conv.w", conv.shape(), conv.dequantize()),
                OperatorsTest.vec("conv.b", O, rnd),
                OperatorsTest.vec("bn.g", O, rnd), OperatorsTest.vec("bn.b", O, rnd), OperatorsTest.vec("bn.m", O, rnd),
                Onnx.floats("bn.v", new int[] {O}, positive(rnd, O)),
                Onnx.floats("fc1.w", fc1.shape(), fc1.dequantize()),
                OperatorsTest.vec("fc1.b", HIDDEN, rnd),
                Onnx.floats("fc2.w", new int[] {HIDDEN, CLASSES}, fc2T));
        List<OnnxMl.NodeProto> nodes = List.of(
                node("Conv", new String[] {"x", "conv.w", "conv.b"}, new String[] {"c"}, ints("pads", 1, 1, 1, 1)),
                node("BatchNormalization", new String[] {"c", "bn.g", "bn.b", "bn.m", "bn.v"}, new String[] {"bn"}),
                node("Relu", new String[] {"bn"}, new String[] {"r"}),
                node("MaxPool", new String[] {"r"}, new String[] {"p"}, ints("kernel_shape", 2, 2), ints("strides", 2, 2)),
                node("Flatten", new String[] {"p"}, new String[] {"f"}),
                node("Gemm", new String[] {"f", "fc1.w", "fc1.b"}, new String[] {"h"}, i("transB", 1)),
                node("Relu", new String[] {"h"}, new String[] {"hr"}),
                node("MatMul", new String[] {"hr", "fc2.w"}, new String[] {"logits"}),
                node("Softmax", new String[] {"logits"}, new String[] {"y"}, i("axis", -1)));
        OnnxMl.ModelProto model = Onnx.model(13, new String[] {"x"}, new String[] {"y", "logits"}, nodes, inits);
        return new Net(model, Map.of("conv.w", conv, "fc1.w", fc1, "fc2.w", fc2));
    }

    @Test
    void packedModelMatchesOnnxRuntimeOnDequantizedWeights() throws Exception {
        Random rnd = new Random(11);
        Net net = net(rnd);
        Map<String, Tensor> in = Map.of("x", OperatorsTest.input(new int[] {5, C, H, W}, rnd, false));
        float[] expected = Onnx.ort(net.model(), in).get("logits").floats();
        float[] exact, fast;
        try (TernaryModel m = TernaryModel.load(Onnx.read(net.model()), net.ternary(), new TernaryModel.Options(1, Activations.FLOAT))) {
            assertEquals(List.of("x"), m.inputNames());
            exact = m.run(in).get("logits").floats();
        }
        double scale = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        for (int k = 0; k < expected.length; k++) assertEquals(expected[k], exact[k], 1e-4 * scale, "exact path, logit " + k);
        try (TernaryModel m = TernaryModel.load(Onnx.read(net.model()), net.ternary(), new TernaryModel.Options(1, Activations.INT8));
             TernaryModel m2 = TernaryModel.load(Onnx.read(net.model()), net.ternary(), new TernaryModel.Options(2, Activations.INT8))) {
            fast = m.run(in).get("logits").floats();
            // int8 activations: a few per cent of the logit range at most on this random net
            for (int k = 0; k < expected.length; k++) assertEquals(expected[k], fast[k], 0.03 * scale, "int8 path, logit " + k);
            assertArrayEquals(fast, m2.run(in).get("logits").floats(), "2 threads give the same bits");
            float[] probs = m.run(in).get("y").floats();
            double sum = 0;
            for (int k = 0; k < CLASSES; k++) sum += probs[k];
            assertEquals(1.0, sum, 1e-5);
        }
    }

    /**
     * The default ({@link Activations#AUTO}): a net whose layers are convolutions and small
     * matrices (base-3 or 2-bit) runs on the float path, bit for bit; a MatMul large enough for the
     * TRIPLES layout runs on the int8 path, bit for bit.
     */
    @Test
    void autoActivationsAreInt8OnlyWhereTheLookupTablesAre() throws Exception {
        Random rnd = new Random(13);
        Net net = net(rnd);
        for (TernaryTensor t : net.ternary().values()) {
            if (t.shape().length == 2) assertTrue(!PackedTernaryMatrix.of(t).tableLookup(), "a small matrix is not TRIPLES");
        }
        Map<String, Tensor> in = Map.of("x", OperatorsTest.input(new int[] {5, C, H, W}, rnd, false));
        assertEquals(Activations.AUTO, TernaryModel.Options.defaults().activations());
        assertArrayEquals(logits(net.model(), net.ternary(), in, Activations.FLOAT), logits(net.model(), net.ternary(), in, Activations.AUTO));
        assertEquals(new Graph.ActivationUse(0, 3), use(net.model(), net.ternary(), Activations.AUTO), "conv, Gemm and MatMul: all float");
        assertEquals(new Graph.ActivationUse(3, 3), use(net.model(), net.ternary(), Activations.INT8));
        assertEquals(new Graph.ActivationUse(0, 3), use(net.model(), net.ternary(), Activations.FLOAT));

        int k = 1536, n = 96;
        TernaryTensor w = randomTernary(rnd, new int[] {n, k}, new Grouping.Row(), false);
        org.junit.jupiter.api.Assumptions.assumeTrue(PackedTernaryMatrix.of(w).tableLookup(), "TRIPLES needs 512-bit vectors");
        OnnxMl.ModelProto matmul = Onnx.model(13, new String[] {"x"}, new String[] {"logits"},
                List.of(node("MatMul", new String[] {"x", "w"}, new String[] {"logits"})), List.of(Onnx.floats("w", new int[] {k, n}, transpose(w.dequantize(), n, k))));
        Map<String, Tensor> rows = Map.of("x", OperatorsTest.input(new int[] {3, k}, rnd, false));
        float[] auto = logits(matmul, Map.of("w", w), rows, Activations.AUTO);
        assertArrayEquals(logits(matmul, Map.of("w", w), rows, Activations.INT8), auto);
        assertEquals(new Graph.ActivationUse(1, 1), use(matmul, Map.of("w", w), Activations.AUTO));
        assertTrue(!java.util.Arrays.equals(logits(matmul, Map.of("w", w), rows, Activations.FLOAT), auto), "the float path differs");
    }

    private static Graph.ActivationUse use(OnnxMl.ModelProto model, Map<String, TernaryTensor> ternary, Activations a) throws Exception {
        try (TernaryModel m = TernaryModel.load(Onnx.read(model), ternary, new TernaryModel.Options(1, a, false))) {
            return m.activationUse();
        }
    }

    private static float[] logits(OnnxMl.ModelProto model, Map<String, TernaryTensor> ternary, Map<String, Tensor> in, Activations a) throws Exception {
        try (TernaryModel m = TernaryModel.load(Onnx.read(model), ternary, new TernaryModel.Options(1, a))) {
            return m.run(in).get("logits").floats();
        }
    }

    @Test
    void modelWithoutFloatCopiesOfTheTernaryWeightsLoads() throws Exception {
        Random rnd = new Random(12);
        Net net = net(rnd);
        // The packed weights become graph inputs (ONNX needs something to produce every value) that the runtime never asks for.
        OnnxMl.GraphProto.Builder g = net.model().getGraph().toBuilder().clearInitializer();
        for (OnnxMl.TensorProto t : net.model().getGraph().getInitializerList()) {
            if (net.ternary().containsKey(t.getName())) g.addInput(Onnx.value(t.getName(), OnnxMl.TensorProto.DataType.FLOAT));
            else g.addInitializer(t);
        }
        OnnxMl.ModelProto stripped = net.model().toBuilder().setGraph(g).build();
        Map<String, Tensor> in = Map.of("x", OperatorsTest.input(new int[] {1, C, H, W}, rnd, false));
        try (TernaryModel full = TernaryModel.load(Onnx.read(net.model()), net.ternary(), TernaryModel.Options.defaults());
             TernaryModel slim = TernaryModel.load(Onnx.read(stripped), net.ternary(), TernaryModel.Options.defaults())) {
            assertEquals(List.of("x"), slim.inputNames());
            assertArrayEquals(full.run(in).get("y").floats(), slim.run(in).get("y").floats());
        }
    }

    @Test
    void packedLinearModelStaysWithinTwoPointOneBitsPerWeight() throws Exception {
        Random rnd = new Random(14);
        TernaryTensor w = randomTernary(rnd, new int[] {1024, 4096}, new Grouping.Row(), false);
        OnnxMl.ModelProto model = Onnx.model(13, new String[] {"x", "w"}, new String[] {"y"},
                List.of(node("MatMul", new String[] {"x", "w"}, new String[] {"y"})), List.of());
        try (TernaryModel m = TernaryModel.load(Onnx.read(model), Map.of("w", w), TernaryModel.Options.defaults())) {
            double bits = m.packedWeightBytes() * 8.0 / (1024 * 4096);
            // and no fewer than the log2(3) bits three-valued codes need: nothing resident was left out of the count
            org.junit.jupiter.api.Assertions.assertTrue(bits <= 2.1 && bits >= Math.log(3) / Math.log(2), "bits per weight " + bits);
            float[] y = m.run(Map.of("x", new Tensor.F32(new int[] {2, 4096}, new float[2 * 4096]))).get("y").floats();
            assertEquals(2 * 1024, y.length);
        }
    }

    @Test
    void clearErrors() throws Exception {
        Random rnd = new Random(13);
        Net net = net(rnd);
        OnnxMl.GraphProto.Builder g = net.model().getGraph().toBuilder()
                .addNode(node("LSTM", new String[] {"y"}, new String[] {"z"}))
                .addNode(node("If", new String[] {"y"}, new String[] {"z2"}))
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("FusedGemm").setDomain("com.microsoft").addInput("y").addOutput("z3"));
        var e = assertThrows(IOException.class, () -> TernaryModel.load(Onnx.read(net.model().toBuilder().setGraph(g).build()), net.ternary(), TernaryModel.Options.defaults()));
        assertOneLineAboutATempModel(e, ": model uses operators the runtime does not support: If, LSTM, com.microsoft.FusedGemm");

        TernaryTensor wrongShape = randomTernary(rnd, new int[] {HIDDEN, 7}, new Grouping.Row(), false);
        e = assertThrows(IOException.class, () -> TernaryModel.load(Onnx.read(net.model()), Map.of("fc1.w", wrongShape), TernaryModel.Options.defaults()));
        assertOneLineAboutATempModel(e, ": Gemm node 'gemm_h' weight 'fc1.w': ternary tensor implies ONNX shape [37, 7] but the model's initializer is [37, 128]");

        e = assertThrows(IOException.class, () -> TernaryModel.load(Onnx.read(net.model()), Map.of("bn.g", randomTernary(rnd, new int[] {O, 1}, new Grouping.Row(), false)), TernaryModel.Options.defaults()));
        assertOneLineAboutATempModel(e, ": ternary weight 'bn.g' is input 1 of BatchNormalization node 'batchnormalization_bn'; packed weights can only be the weight (input 1) of Conv, Gemm or MatMul");

        e = assertThrows(IOException.class, () -> TernaryModel.load(Onnx.read(net.model()), Map.of("nowhere", wrongShape), TernaryModel.Options.defaults()));
        assertOneLineAboutATempModel(e, ": ternary weights not used as a Conv/Gemm/MatMul weight in the graph: nowhere");

        try (TernaryModel m = TernaryModel.load(Onnx.read(net.model()), net.ternary(), TernaryModel.Options.defaults())) {
            var r = assertThrows(IllegalArgumentException.class, () -> m.run(Map.of()));
            assertEquals("missing model input 'x'", r.getMessage());
            r = assertThrows(IllegalArgumentException.class, () -> m.run(Map.of("x", OperatorsTest.input(new int[] {1, C + 1, H, W}, rnd, false))));
            OperatorsTest.assertContains(r.getMessage(), "Conv node");
        }
    }

    /** The message is one line: the temporary model file {@link Onnx#read} wrote, then {@code problem}. */
    private static void assertOneLineAboutATempModel(Exception e, String problem) {
        String m = e.getMessage();
        assertTrue(m.matches("\\S*t4j-runtime-\\d+\\.onnx" + java.util.regex.Pattern.quote(problem)), m);
    }

    static TernaryTensor randomTernary(Random rnd, int[] shape, Grouping grouping, boolean twoScale) {
        return org.ternary4j.runtime.kernel.RandomTensors.ternary(rnd, shape, grouping, twoScale);
    }

    static float[] positive(Random rnd, int n) {
        float[] v = new float[n];
        for (int k = 0; k < n; k++) v[k] = 0.05f + rnd.nextFloat() * 0.3f;
        return v;
    }

    static float[] transpose(float[] w, int rows, int cols) {
        float[] t = new float[w.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
        return t;
    }
}
