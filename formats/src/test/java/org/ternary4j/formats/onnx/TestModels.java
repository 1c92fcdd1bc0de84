package org.ternary4j.formats.onnx;

import static org.ternary4j.formats.onnx.Onnx.*;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The small models of the tests. Weights are random but seeded. */
final class TestModels {
    private TestModels() {}

    static float[] positive(long seed, int n) {
        float[] f = random(seed, n);
        for (int i = 0; i < n; i++) f[i] = Math.abs(f[i]) + 0.2f;
        return f;
    }

    /** BatchNorm parameters for C channels; one channel gets a negative γ. */
    static List<TensorProto> bn(String p, int c, long seed) {
        float[] gamma = random(seed, c);
        for (int i = 0; i < c; i++) gamma[i] = gamma[i] + (gamma[i] >= 0 ? 0.5f : -0.5f);
        gamma[0] = -Math.abs(gamma[0]);
        return List.of(raw(p + "_scale", new int[] {c}, gamma), raw(p + "_bias", new int[] {c}, random(seed + 1, c)),
                raw(p + "_mean", new int[] {c}, random(seed + 2, c)), raw(p + "_var", new int[] {c}, positive(seed + 3, c)));
    }

    static NodeProto bnNode(String p, String x, String y) {
        return node("BatchNormalization", p, in(x, p + "_scale", p + "_bias", p + "_mean", p + "_var"), in(y), floatAttr("epsilon", 1e-3f));
    }

    /**
     * X[1,2,6,6] → Conv1(+bias) → BN1 → Relu → Conv2 (group 2, no bias, float_data) → BN2 → Relu
     * → Flatten → Gemm1 (transB=0, B [96,8]) → Relu → Gemm2 (transB=1, B [10,8]) → Y[1,10].
     */
    static ModelProto cnn() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("cnn").setDocString("graph doc");
        g.addInput(value("X", 1, 2, 6, 6)).addOutput(value("Y", 1, 10));
        g.addInitializer(raw("W1", new int[] {4, 2, 3, 3}, random(1, 72)));
        g.addInitializer(raw("B1", new int[] {4}, random(2, 4)));
        g.addAllInitializer(bn("bn1", 4, 10));
        g.addInitializer(typed("W2", new int[] {6, 2, 3, 3}, random(3, 108)));
        g.addAllInitializer(bn("bn2", 6, 20));
        g.addInitializer(raw("G1", new int[] {96, 8}, random(4, 768)));
        g.addInitializer(raw("G1b", new int[] {8}, random(5, 8)));
        g.addInitializer(raw("G2", new int[] {10, 8}, random(6, 80)));
        g.addInitializer(raw("G2b", new int[] {10}, random(7, 10)));
        g.addNode(node("Conv", "conv1", in("X", "W1", "B1"), in("c1"), intsAttr("pads", 1, 1, 1, 1), intsAttr("kernel_shape", 3, 3)));
        g.addNode(bnNode("bn1", "c1", "b1"));
        g.addNode(node("Relu", "relu1", in("b1"), in("r1")));
        g.addNode(node("Conv", "conv2", in("r1", "W2"), in("c2"), intAttr("group", 2)));
        g.addNode(bnNode("bn2", "c2", "b2"));
        g.addNode(node("Relu", "relu2", in("b2"), in("r2")));
        g.addNode(node("Flatten", "flatten", in("r2"), in("f"), intAttr("axis", 1)));
        g.addNode(node("Gemm", "gemm1", in("f", "G1", "G1b"), in("g1")));
        g.addNode(node("Relu", "relu3", in("g1"), in("r3")));
        g.addNode(node("Gemm", "gemm2", in("r3", "G2", "G2b"), in("Y"), intAttr("transB", 1), floatAttr("alpha", 1.0f)));
        g.addValueInfo(value("c2", 1, 6, 4, 4));
        return model(g.build());
    }

    /**
     * X[1,1,6,6] → Conv c0 (W0 [4,1,3,3], group 1: one input channel, yet not depthwise) → Conv dw
     * (Wd [4,1,3,3], group 4: depthwise) → Y[1,4,2,2].
     */
    static ModelProto depthwise() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("depthwise");
        g.addInput(value("X", 1, 1, 6, 6)).addOutput(value("Y", 1, 4, 2, 2));
        g.addInitializer(raw("W0", new int[] {4, 1, 3, 3}, random(11, 36)));
        g.addInitializer(raw("Wd", new int[] {4, 1, 3, 3}, random(12, 36)));
        g.addNode(node("Conv", "c0", in("X", "W0"), in("h")));
        g.addNode(node("Conv", "dw", in("h", "Wd"), in("Y"), intAttr("group", 4)));
        return model(g.build());
    }

    /**
     * X[2,8] → MatMul W1 [8,16] → Add b1 → Relu → MatMul W2 (a Constant node) [16,8] → Add X
     * → MatMul W3 [8,8] → MatMul W4 [8,4] → Y[2,4]. MatMul weights are [in, out].
     */
    static ModelProto block() {
        List<NodeProto> nodes = blockNodes();
        GraphProto.Builder g = GraphProto.newBuilder().setName("block");
        g.addInput(value("X", 2, 8)).addOutput(value("Y", 2, 4));
        g.addInitializer(raw("W1", new int[] {8, 16}, random(11, 128)));
        g.addInitializer(raw("b1", new int[] {16}, random(12, 16)));
        g.addInitializer(raw("W3", new int[] {8, 8}, random(14, 64)));
        g.addInitializer(raw("W4", new int[] {8, 4}, random(15, 32)));
        g.addAllNode(nodes);
        return model(g.build());
    }

    static List<NodeProto> blockNodes() {
        List<NodeProto> n = new ArrayList<>();
        n.add(node("MatMul", "mm1", in("X", "W1"), in("h1")));
        n.add(node("Add", "add1", in("h1", "b1"), in("h2")));
        n.add(node("Relu", "relu", in("h2"), in("h3")));
        n.add(constant("W2", raw("W2", new int[] {16, 8}, random(13, 128))));
        n.add(node("MatMul", "mm2", in("h3", "W2"), in("h4")));
        n.add(node("Add", "residual", in("h4", "X"), in("h5")));
        n.add(node("MatMul", "mm3", in("h5", "W3"), in("h6")));
        n.add(node("MatMul", "mm4", in("h6", "W4"), in("Y")));
        return n;
    }

    /** The block with its nodes listed backwards and its initializers in reverse: a file order that is not the graph order. */
    static ModelProto shuffledBlock() {
        ModelProto m = block();
        List<NodeProto> nodes = new ArrayList<>(m.getGraph().getNodeList());
        Collections.reverse(nodes);
        List<TensorProto> inits = new ArrayList<>(m.getGraph().getInitializerList());
        Collections.reverse(inits);
        return m.toBuilder().setGraph(m.getGraph().toBuilder().clearNode().addAllNode(nodes).clearInitializer().addAllInitializer(inits)).build();
    }

    /** X[2,4] → MatMul W0 → If(cond){MatMul Wt}{MatMul We} → MatMul Wl → Y[2,3]; Wt and We live in the branches. */
    static ModelProto withIf() {
        GraphProto then = GraphProto.newBuilder().setName("then").addInitializer(raw("Wt", new int[] {6, 6}, random(21, 36)))
                .addNode(node("MatMul", "mm_then", in("h", "Wt"), in("t_out"))).addOutput(value("t_out", 2, 6)).build();
        GraphProto otherwise = GraphProto.newBuilder().setName("else").addInitializer(raw("We", new int[] {6, 6}, random(22, 36)))
                .addNode(node("MatMul", "mm_else", in("h", "We"), in("e_out"))).addOutput(value("e_out", 2, 6)).build();
        GraphProto.Builder g = GraphProto.newBuilder().setName("if");
        g.addInput(value("X", 2, 4)).addInput(typedValue("cond", 9, 1)).addOutput(value("Y", 2, 3));
        g.addInitializer(raw("Wl", new int[] {6, 3}, random(23, 18)));
        g.addInitializer(raw("W0", new int[] {4, 6}, random(24, 24)));
        g.addNode(node("MatMul", "mm0", in("X", "W0"), in("h")));
        g.addNode(node("If", "branch", in("cond"), in("z"), graphAttr("then_branch", then), graphAttr("else_branch", otherwise)));
        g.addNode(node("MatMul", "mm_last", in("z", "Wl"), in("Y")));
        return model(g.build());
    }
}
