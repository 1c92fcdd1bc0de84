package org.ternary4j.formats.onnx;

import static org.junit.jupiter.api.Assertions.*;
import static org.ternary4j.formats.onnx.Onnx.*;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.metrics.TensorReport;
import org.ternary4j.core.projection.Projections;

class OnnxTernarizerTest {
    @TempDir
    Path dir;

    static OnnxOptions options(String method, String grouping) {
        return OnnxOptions.of(Projections.parse(method), Grouping.parse(grouping));
    }

    @Test
    void cnnKeepsFirstAndLastAndTernarizesTheRestPerOutputChannel() throws Exception {
        Path in = save(TestModels.cnn(), dir.resolve("cnn.onnx"));
        OnnxResult r = OnnxTernarizer.run(in, dir.resolve("out.onnx"), options("two-scale", "row"));

        assertEquals(List.of("W1", "W2", "G1", "G2"), r.layers().stream().map(LayerDecision::weight).toList());
        assertEquals(List.of(false, true, true, false), r.layers().stream().map(LayerDecision::ternarized).toList());
        assertTrue(r.layers().get(0).reason().startsWith("first layer"));
        assertTrue(r.layers().get(3).reason().startsWith("last layer"));

        GraphProto out = OnnxModelFile.read(r.output()).getGraph();
        Channels.assertTernaryPerChannel(Channels.outFirst(values(initializer(out, "W2")), new int[] {6, 2, 3, 3}), 6);
        Channels.assertTernaryPerChannel(Channels.inOut(values(initializer(out, "G1")), new int[] {96, 8}), 8);
        for (Set<Float> ch : Channels.inOut(values(initializer(out, "G1")), new int[] {96, 8}).values()) Channels.assertTwoLevels(ch);
        // W2 was stored in float_data and stays there.
        assertFalse(initializer(out, "W2").hasRawData());
        assertEquals(108, initializer(out, "W2").getFloatDataCount());

        // Reports: op, graph index, params, canonical shape (Gemm transB=0 [96,8] is [8,96] canonically).
        assertEquals(2, r.reports().size());
        TensorReport w2 = r.reports().get(0), g1 = r.reports().get(1);
        assertEquals("Conv", w2.op());
        assertEquals(1, w2.layerIndex());
        assertEquals(108, w2.params());
        assertEquals("Gemm", g1.op());
        assertEquals(2, g1.layerIndex());
        assertArrayEquals(new int[] {8, 96}, g1.shape());
        assertTrue(g1.metrics().cosine() > 0.7 && g1.metrics().cosine() < 1, "cosine " + g1.metrics().cosine());

        // Everything but the two rewritten tensors is byte-identical to the input.
        assertEquals(restore(ModelProto.parseFrom(Files.readAllBytes(r.output())), TestModels.cnn(), "W2", "G1"), TestModels.cnn());
        assertArrayEquals(restore(ModelProto.parseFrom(Files.readAllBytes(r.output())), TestModels.cnn(), "W2", "G1").toByteArray(),
                Files.readAllBytes(in));
    }

    /** Puts the input's version of the named initializers back into the output. */
    static ModelProto restore(ModelProto out, ModelProto original, String... names) {
        GraphProto.Builder g = out.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            if (Arrays.asList(names).contains(g.getInitializer(i).getName())) g.setInitializer(i, initializer(original.getGraph(), g.getInitializer(i).getName()));
        }
        return out.toBuilder().setGraph(g).build();
    }

    @Test
    void ternaryTensorsAreCanonicalAndTransposeBackToTheStoredWeights() throws Exception {
        Path in = save(TestModels.cnn(), dir.resolve("cnn.onnx"));
        OnnxResult r = OnnxTernarizer.run(in, dir.resolve("out.onnx"), options("tnt", "row").withAllLayers(true));
        GraphProto out = OnnxModelFile.read(r.output()).getGraph();
        assertEquals(4, r.tensors().size());
        for (OnnxTernaryTensor t : r.tensors()) {
            float[] stored = values(initializer(out, t.name()));
            assertArrayEquals(stored, t.layout().toStored(t.tensor().dequantize(), t.storedShape()), 0f, t.name());
            // The canonical tensor's row c is output channel c of the stored weight.
            int[] s = t.storedShape();
            float[] canonical = t.tensor().dequantize();
            int rows = t.tensor().shape()[0], per = canonical.length / rows;
            for (int c = 0; c < rows; c++) {
                for (int j = 0; j < per; j++) {
                    int storedIndex = t.layout() instanceof WeightLayout.InOut ? j * s[1] + c : c * per + j;
                    assertEquals(stored[storedIndex], canonical[c * per + j], 0f);
                }
            }
        }
        assertInstanceOf(WeightLayout.InOut.class, r.tensors().get(2).layout());
        assertInstanceOf(WeightLayout.Canonical.class, r.tensors().get(3).layout());
    }

    /** A graph of four weight layers W1..W4: found in graph order, the first and last kept full precision. */
    private OnnxResult ternarizeMiddleOfFour(Path in) throws Exception {
        OnnxResult r = OnnxTernarizer.run(in, dir.resolve("out.onnx"), options("tnt", "row"));
        assertEquals(List.of("W1", "W2", "W3", "W4"), r.layers().stream().map(LayerDecision::weight).toList());
        assertEquals(List.of("W2", "W3"), r.reports().stream().map(TensorReport::name).toList());
        return r;
    }

    @Test
    void matMulBlockWithAConstantNodeWeight() throws Exception {
        Path in = save(TestModels.block(), dir.resolve("block.onnx"));
        OnnxResult r = ternarizeMiddleOfFour(in);
        ModelProto out = OnnxModelFile.read(r.output());
        NodeProto constant = out.getGraph().getNode(3);
        assertEquals("Constant", constant.getOpType());
        float[] w2 = values(constant.getAttribute(0).getT());
        Channels.assertTernaryPerChannel(Channels.inOut(w2, new int[] {16, 8}), 8);
        assertFalse(Arrays.equals(w2, values(TestModels.block().getGraph().getNode(3).getAttribute(0).getT())));
        assertArrayEquals(initializer(TestModels.block().getGraph(), "W1").toByteArray(), initializer(out.getGraph(), "W1").toByteArray());
        // The output still runs, and is close to the original.
        float[] x = random(99, 16);
        float[] before = Ort.run(in, "X", x, 2, 8), after = Ort.run(r.output(), "X", x, 2, 8);
        assertEquals(8, after.length);
        assertFalse(Arrays.equals(before, after));
    }

    @Test
    void layersFollowTheGraphNotTheFile() throws Exception {
        OnnxResult r = ternarizeMiddleOfFour(save(TestModels.shuffledBlock(), dir.resolve("shuffled.onnx")));
        assertEquals(List.of(1, 2), r.reports().stream().map(TensorReport::layerIndex).toList());
    }

    @Test
    void weightsInsideIfBranchesAreFoundInOrderAndRewritten() throws Exception {
        Path in = save(TestModels.withIf(), dir.resolve("if.onnx"));
        OnnxResult r = OnnxTernarizer.run(in, dir.resolve("out.onnx"), options("two-scale", "row"));
        assertEquals(List.of("W0", "Wt", "We", "Wl"), r.layers().stream().map(LayerDecision::weight).toList());
        assertEquals(List.of("Wt", "We"), r.reports().stream().map(TensorReport::name).toList());
        NodeProto branch = OnnxModelFile.read(r.output()).getGraph().getNode(1);
        for (int k = 0; k < 2; k++) {
            float[] w = values(branch.getAttribute(k).getG().getInitializer(0));
            Channels.assertTernaryPerChannel(Channels.inOut(w, new int[] {6, 6}), 6);
        }
        Map<String, float[]> feed = Map.of("X", random(5, 8));
        Map<String, long[]> shapes = Map.of("X", new long[] {2, 4});
        for (boolean cond : new boolean[] {true, false}) {
            assertEquals(6, Ort.run(r.output(), feed, shapes, cond).length);
        }
        assertFalse(Arrays.equals(Ort.run(r.output(), feed, shapes, true), Ort.run(r.output(), feed, shapes, false)));
    }

    @Test
    void aWeightSharedThroughIdentityIsTernarizedOnceInPlace() throws Exception {
        // mm3 reads W3 through an Identity (as PyTorch exports tied parameters); mm4 reads W3 directly too.
        GraphProto.Builder g = TestModels.block().getGraph().toBuilder();
        g.setInitializer(3, raw("W4", new int[] {8, 8}, random(15, 64)));
        g.setNode(6, node("MatMul", "mm3", in("h5", "W3_tied"), in("h6")));
        g.setNode(7, node("MatMul", "mm4", in("h6", "W3"), in("h7")));
        g.addNode(6, node("Identity", "tie", in("W3"), in("W3_tied")));
        g.addNode(node("MatMul", "mm5", in("h7", "W4"), in("Y")));
        g.setOutput(0, value("Y", 2, 8));
        Path in = save(model(g.build()), dir.resolve("tied.onnx"));
        OnnxResult r = OnnxTernarizer.run(in, dir.resolve("out.onnx"), options("tnt", "row"));
        assertEquals(List.of("W1", "W2", "W3_tied", "W4"), r.layers().stream().map(LayerDecision::weight).toList());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("'W3' is also used by mm4")), r.notes().toString());
        Channels.assertTernaryPerChannel(Channels.inOut(values(initializer(OnnxModelFile.read(r.output()).getGraph(), "W3")), new int[] {8, 8}), 8);
        assertEquals(8 * 2, Ort.run(r.output(), "X", random(8, 16), 2, 8).length);
    }

    @Test
    void includeAndExcludePatterns() throws Exception {
        Path in = save(TestModels.block(), dir.resolve("block.onnx"));
        OnnxOptions all = options("tnt", "row").withAllLayers(true);
        OnnxResult r = OnnxTernarizer.run(in, dir.resolve("a.onnx"), all.withExclude(List.of(NamePattern.parse("W?"))));
        assertTrue(r.reports().isEmpty());
        r = OnnxTernarizer.run(in, dir.resolve("b.onnx"), all.withInclude(List.of(NamePattern.parse("mm[13]"), NamePattern.parse("re:W[24]"))));
        assertEquals(List.of("W2", "W4"), r.reports().stream().map(TensorReport::name).toList());
        r = OnnxTernarizer.run(in, dir.resolve("c.onnx"), all.withInclude(List.of(NamePattern.parse("re:mm[13]"))).withExclude(List.of(NamePattern.parse("mm3"))));
        assertEquals(List.of("W1"), r.reports().stream().map(TensorReport::name).toList());
        assertEquals("excluded by 'mm3'", r.layers().get(2).reason());
    }

    @Test
    void kindPatternsSelectDepthwiseAndGroupedConvsByTheirGroupAttribute() throws Exception {
        Path dw = save(TestModels.depthwise(), dir.resolve("dw.onnx"));
        OnnxOptions all = options("tnt", "row").withAllLayers(true);
        OnnxResult r = OnnxTernarizer.run(dw, dir.resolve("d1.onnx"), all.withExclude(List.of(NamePattern.parse("kind:depthwise"))));
        assertEquals(List.of("W0"), r.reports().stream().map(TensorReport::name).toList());
        assertEquals("excluded by 'kind:depthwise'", r.layers().get(1).reason());
        r = OnnxTernarizer.run(dw, dir.resolve("d2.onnx"), all.withInclude(List.of(NamePattern.parse("kind:Grouped"))));
        assertEquals(List.of("Wd"), r.reports().stream().map(TensorReport::name).toList());
        r = OnnxTernarizer.run(dw, dir.resolve("d3.onnx"), all.withExclude(List.of(NamePattern.parse("kind:conv"))));
        assertTrue(r.reports().isEmpty());
        // cnn's conv2 has group 2 with two input channels per group: grouped, not depthwise
        Path cnn = save(TestModels.cnn(), dir.resolve("cnn.onnx"));
        r = OnnxTernarizer.run(cnn, dir.resolve("c1.onnx"), all.withInclude(List.of(NamePattern.parse("kind:grouped"))));
        assertEquals(List.of("W2"), r.reports().stream().map(TensorReport::name).toList());
        r = OnnxTernarizer.run(cnn, dir.resolve("c2.onnx"), all.withInclude(List.of(NamePattern.parse("kind:depthwise"), NamePattern.parse("kind:gemm"))));
        assertEquals(List.of("G1", "G2"), r.reports().stream().map(TensorReport::name).toList());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NamePattern.parse("kind:lstm"));
        assertTrue(e.getMessage().startsWith("pattern 'kind:lstm': unknown layer kind (known: depthwise, grouped"), e.getMessage());
    }

    @Test
    void sameInputGivesByteIdenticalOutputWhateverTheThreads() throws Exception {
        Path in = save(TestModels.cnn(), dir.resolve("cnn.onnx"));
        OnnxOptions o = options("tnt", "kernel").withAllLayers(true).withFoldBn(true);
        OnnxTernarizer.run(in, dir.resolve("one.onnx"), o);
        OnnxTernarizer.run(in, dir.resolve("two.onnx"), o.withThreads(2));
        assertArrayEquals(Files.readAllBytes(dir.resolve("one.onnx")), Files.readAllBytes(dir.resolve("two.onnx")));
    }

    @Test
    void embeddingsAreOptionalAndDoNotCountAsFirstLayer() throws Exception {
        GraphProto.Builder g = TestModels.block().getGraph().toBuilder();
        g.setInput(0, typedValue("ids", 7, 2));
        g.addInitializer(raw("E", new int[] {20, 8}, random(31, 160)));
        g.addNode(0, node("Gather", "embed", in("E", "ids"), in("X")));
        Path in = save(model(g.build()), dir.resolve("emb.onnx"));
        assertTrue(OnnxTernarizer.run(in, dir.resolve("a.onnx"), options("tnt", "row")).layers().stream().noneMatch(l -> l.op().equals("Gather")));
        OnnxResult r = OnnxTernarizer.run(in, dir.resolve("b.onnx"), options("tnt", "row").withEmbeddings(true));
        assertEquals(List.of("E", "W2", "W3"), r.reports().stream().map(TensorReport::name).toList());
        Channels.assertTernaryPerChannel(Channels.outFirst(values(initializer(OnnxModelFile.read(r.output()).getGraph(), "E")), new int[] {20, 8}), 20);
    }

    @Test
    void nanWeightIsRefusedNamingTheTensorAndNothingIsWritten() throws Exception {
        float[] w = random(3, 64);
        w[5] = Float.NaN;
        GraphProto.Builder g = TestModels.block().getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) if (g.getInitializer(i).getName().equals("W3")) g.setInitializer(i, raw("W3", new int[] {8, 8}, w));
        Path in = save(model(g.build()), dir.resolve("nan.onnx"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxTernarizer.run(in, dir.resolve("out.onnx"), options("tnt", "row")));
        assertTrue(e.getMessage().contains("nan.onnx: tensor 'W3'") && e.getMessage().contains("NaN"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out.onnx")));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary file left behind");
        }
    }

    @Test
    void refusesToOverwriteTheInput() throws Exception {
        Path in = save(TestModels.block(), dir.resolve("block.onnx"));
        byte[] before = Files.readAllBytes(in);
        assertThrows(java.io.IOException.class, () -> OnnxTernarizer.run(in, in, options("tnt", "row")));
        assertArrayEquals(before, Files.readAllBytes(in));
    }

    @Test
    void convTransposeWeightsAreGroupedByTheirOutputChannels() throws Exception {
        GraphProto.Builder g = GraphProto.newBuilder().setName("ct");
        g.addInput(value("X", 1, 4, 3, 3)).addOutput(value("Y", 1, 6, 4, 4));
        g.addInitializer(raw("WT", new int[] {4, 3, 2, 2}, random(41, 48)));
        g.addNode(node("ConvTranspose", "ct", in("X", "WT"), in("Y"), intAttr("group", 2)));
        Path in = save(model(g.build()), dir.resolve("ct.onnx"));
        OnnxResult r = OnnxTernarizer.run(in, dir.resolve("out.onnx"), options("two-scale", "row").withAllLayers(true));
        assertArrayEquals(new int[] {6, 2, 2, 2}, r.reports().get(0).shape());
        float[] w = values(initializer(OnnxModelFile.read(r.output()).getGraph(), "WT"));
        Channels.assertTernaryPerChannel(Channels.convTranspose(w, new int[] {4, 3, 2, 2}, 2), 6);
        assertEquals(6 * 4 * 4, Ort.run(r.output(), "X", random(1, 36), 1, 4, 3, 3).length);
    }
}
