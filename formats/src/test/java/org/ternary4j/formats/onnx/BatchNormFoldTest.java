package org.ternary4j.formats.onnx;

import static org.junit.jupiter.api.Assertions.*;
import static org.ternary4j.formats.onnx.Onnx.*;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.grouping.Grouping;

/**
 * BatchNorm folding is checked against ONNX Runtime: the model ternarized without folding (BN
 * still a node) and the folded model must compute the same outputs, while every output channel
 * of a folded weight still holds at most three values.
 */
class BatchNormFoldTest {
    @TempDir
    Path dir;

    static void assertSameOutputs(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        double scale = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 1e-4 * Math.max(1, scale), "output " + i);
    }

    @ParameterizedTest
    @ValueSource(strings = {"row", "kernel", "tensor", "block:5", "syq-pixel"})
    void foldedCnnComputesWhatTheUnfoldedTernaryCnnComputes(String grouping) throws Exception {
        Path in = save(TestModels.cnn(), dir.resolve("cnn.onnx"));
        OnnxOptions o = OnnxTernarizerTest.options("two-scale", grouping).withAllLayers(true);
        OnnxResult plain = OnnxTernarizer.run(in, dir.resolve("plain.onnx"), o);
        OnnxResult folded = OnnxTernarizer.run(in, dir.resolve("folded.onnx"), o.withFoldBn(true));

        float[] x = random(77, 72);
        float[] expected = Ort.run(plain.output(), "X", x, 1, 2, 6, 6);
        assertSameOutputs(expected, Ort.run(folded.output(), "X", x, 1, 2, 6, 6));
        // The fold is not a no-op: the original float model differs from both.
        assertNotEquals(Ort.run(in, "X", x, 1, 2, 6, 6)[0], expected[0]);

        ModelProto out = OnnxModelFile.read(folded.output());
        GraphProto g = out.getGraph();
        assertEquals(List.of("conv1", "relu1", "conv2", "relu2", "flatten", "gemm1", "relu3", "gemm2"), g.getNodeList().stream().map(NodeProto::getName).toList());
        assertEquals(List.of("X", "W1", "B1"), g.getNode(0).getInputList());
        assertEquals("b1", g.getNode(0).getOutput(0));
        assertEquals(List.of("r1", "W2", "W2_bn_bias"), g.getNode(2).getInputList());
        assertEquals(0, g.getValueInfoCount(), "value_info of the removed conv output is gone");
        assertTrue(g.getInitializerList().stream().noneMatch(t -> t.getName().startsWith("bn")), "BN parameters removed");
        assertEquals("doc of conv2", g.getNode(2).getDocString());
        assertEquals(TestModels.cnn().getOpsetImportList(), out.getOpsetImportList());
        assertEquals(TestModels.cnn().getMetadataPropsList(), out.getMetadataPropsList());

        OnnxTernaryTensor w2 = folded.tensors().get(1);
        float[] stored = values(initializer(g, "W2"));
        if (grouping.equals("row") || grouping.equals("tensor")) {
            Channels.assertTernaryPerChannel(Channels.outFirst(values(initializer(g, "W1")), new int[] {4, 2, 3, 3}), 4);
            Channels.assertTernaryPerChannel(Channels.outFirst(stored, new int[] {6, 2, 3, 3}), 6);
        }
        // Conv weights are canonical as stored: the stored grouping's every group is ternary.
        Channels.assertTernaryPerGroup(stored, w2.tensor().grouping().layout(new int[] {6, 2, 3, 3}));
        assertTrue(w2.bnFolded());
        for (float v : w2.tensor().scalePos()) assertTrue(v >= 0);
        for (float v : w2.tensor().scaleNeg()) assertTrue(v >= 0);
        assertArrayEquals(values(initializer(g, "W2")), w2.layout().toStored(w2.tensor().dequantize(), w2.storedShape()), 0f);
        Grouping storedGrouping = w2.tensor().grouping();
        if (grouping.equals("tensor")) {
            assertEquals("row", storedGrouping.spec());
            assertEquals("tensor→row +bn (per-channel scales)", folded.reports().get(1).grouping());
        } else if (grouping.equals("syq-pixel")) {
            assertEquals("fiber", storedGrouping.spec());
        } else {
            assertEquals(grouping, storedGrouping.spec());
            assertEquals(grouping + " +bn", folded.reports().get(1).grouping());
        }
        // Folding keeps the codes, negated in channels whose γ is negative (channel 0 by construction).
        float[] gamma = values(initializer(TestModels.cnn().getGraph(), "bn2_scale"));
        byte[] before = plain.tensors().get(1).tensor().codes(), after = w2.tensor().codes();
        assertEquals(before.length, after.length);
        assertTrue(gamma[0] < 0);
        for (int i = 0; i < after.length; i++) assertEquals(gamma[i / 18] < 0 ? -before[i] : before[i], after[i], "code " + i);
    }

    @Test
    void firstLayerKeptFullPrecisionIsNotFolded() throws Exception {
        Path in = save(TestModels.cnn(), dir.resolve("cnn.onnx"));
        OnnxOptions o = OnnxTernarizerTest.options("tnt", "row");
        OnnxResult plain = OnnxTernarizer.run(in, dir.resolve("plain.onnx"), o);
        OnnxResult folded = OnnxTernarizer.run(in, dir.resolve("folded.onnx"), o.withFoldBn(true));
        GraphProto g = OnnxModelFile.read(folded.output()).getGraph();
        assertEquals(List.of("conv1", "bn1", "relu1", "conv2", "relu2", "flatten", "gemm1", "relu3", "gemm2"), g.getNodeList().stream().map(NodeProto::getName).toList());
        assertArrayEquals(initializer(TestModels.cnn().getGraph(), "W1").toByteArray(), initializer(g, "W1").toByteArray());
        float[] x = random(78, 72);
        assertSameOutputs(Ort.run(plain.output(), "X", x, 1, 2, 6, 6), Ort.run(folded.output(), "X", x, 1, 2, 6, 6));
    }

    /** X[2,8] → Gemm (transB=0, bias, beta=0.5) → BN → Gemm → Y; and ConvTranspose (group 2, bias) → BN. */
    @Test
    void gemmWithBetaAndConvTransposeFold() throws Exception {
        GraphProto.Builder g = GraphProto.newBuilder().setName("gemm");
        g.addInput(value("X", 2, 8)).addOutput(value("Y", 2, 3));
        g.addInitializer(raw("A", new int[] {8, 6}, random(51, 48))).addInitializer(raw("Ab", new int[] {6}, random(52, 6)));
        g.addAllInitializer(TestModels.bn("bn", 6, 53));
        g.addInitializer(raw("C", new int[] {6, 3}, random(54, 18)));
        g.addNode(node("Gemm", "g1", in("X", "A", "Ab"), in("a"), floatAttr("beta", 0.5f)));
        g.addNode(TestModels.bnNode("bn", "a", "b"));
        g.addNode(node("Gemm", "g2", in("b", "C"), in("Y")));
        Path in = save(model(g.build()), dir.resolve("gemm.onnx"));
        OnnxOptions o = OnnxTernarizerTest.options("two-scale", "row").withAllLayers(true);
        OnnxResult plain = OnnxTernarizer.run(in, dir.resolve("plain.onnx"), o);
        OnnxResult folded = OnnxTernarizer.run(in, dir.resolve("folded.onnx"), o.withFoldBn(true));
        float[] x = random(55, 16);
        assertSameOutputs(Ort.run(plain.output(), "X", x, 2, 8), Ort.run(folded.output(), "X", x, 2, 8));
        assertEquals(2, OnnxModelFile.read(folded.output()).getGraph().getNodeCount());
        Channels.assertTernaryPerChannel(Channels.inOut(values(initializer(OnnxModelFile.read(folded.output()).getGraph(), "A")), new int[] {8, 6}), 6);

        GraphProto.Builder c = GraphProto.newBuilder().setName("ct");
        c.addInput(value("X", 1, 4, 3, 3)).addOutput(value("Y", 1, 6, 4, 4));
        c.addInitializer(raw("WT", new int[] {4, 3, 2, 2}, random(56, 48))).addInitializer(raw("WTb", new int[] {6}, random(57, 6)));
        c.addAllInitializer(TestModels.bn("bn", 6, 58));
        c.addNode(node("ConvTranspose", "ct", in("X", "WT", "WTb"), in("t"), intAttr("group", 2)));
        c.addNode(TestModels.bnNode("bn", "t", "Y"));
        Path cin = save(model(c.build()), dir.resolve("ct.onnx"));
        OnnxResult cp = OnnxTernarizer.run(cin, dir.resolve("cp.onnx"), o);
        OnnxResult cf = OnnxTernarizer.run(cin, dir.resolve("cf.onnx"), o.withFoldBn(true));
        float[] cx = random(59, 36);
        assertSameOutputs(Ort.run(cp.output(), "X", cx, 1, 4, 3, 3), Ort.run(cf.output(), "X", cx, 1, 4, 3, 3));
        GraphProto cg = OnnxModelFile.read(cf.output()).getGraph();
        assertEquals(1, cg.getNodeCount());
        assertEquals("Y", cg.getNode(0).getOutput(0));
        Channels.assertTernaryPerChannel(Channels.convTranspose(values(initializer(cg, "WT")), new int[] {4, 3, 2, 2}, 2), 6);
    }

    @Test
    void foldsThatWouldChangeTheGraphsMeaningAreSkippedWithANote() throws Exception {
        // conv2's output also feeds a second consumer: folding would change what that consumer sees.
        GraphProto.Builder g = TestModels.cnn().getGraph().toBuilder();
        g.addNode(node("Identity", "tap", in("c2"), in("tapped")));
        g.addOutput(value("tapped", 1, 6, 4, 4));
        Path in = save(model(g.build()), dir.resolve("tap.onnx"));
        OnnxResult r = OnnxTernarizer.run(in, dir.resolve("out.onnx"), OnnxTernarizerTest.options("tnt", "row").withFoldBn(true));
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("conv2") && n.contains("also used elsewhere")), r.notes().toString());
        assertTrue(OnnxModelFile.read(r.output()).getGraph().getNodeList().stream().anyMatch(n -> n.getName().equals("bn2")));

        // syq-row groups span every output channel and no finer grouping stores (channel, kernel row) scales.
        Path cnn = save(TestModels.cnn(), dir.resolve("cnn.onnx"));
        r = OnnxTernarizer.run(cnn, dir.resolve("syq.onnx"), OnnxTernarizerTest.options("tnt", "syq-row").withFoldBn(true));
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("syq-row cannot hold")), r.notes().toString());
        assertFalse(r.tensors().get(0).bnFolded());
    }
}
