package org.ternary4j.formats.onnx;

import static org.junit.jupiter.api.Assertions.*;
import static org.ternary4j.formats.onnx.Onnx.*;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** First and last layers per execution path, with If branches as alternatives. */
class LayerPathsTest {

    /** A chain of MatMuls x → … named by the weights, each [4, 4]. */
    static GraphProto.Builder chain(GraphProto.Builder g, String in, String out, String... weights) {
        String x = in;
        for (int i = 0; i < weights.length; i++) {
            String y = i == weights.length - 1 ? out : in + "_" + weights[i];
            g.addInitializer(raw(weights[i], new int[] {4, 4}, random(weights[i].hashCode(), 16)));
            g.addNode(node("MatMul", "mm_" + weights[i], in(x, weights[i]), in(y)));
            x = y;
        }
        if (weights.length == 0) g.addNode(node("Identity", "pass_" + out, in(in), in(out)));
        return g;
    }

    static GraphProto branch(String name, String out, String... weights) {
        return chain(GraphProto.newBuilder().setName(name), "x", out, weights).addOutput(value(out, 2, 4)).build();
    }

    static List<String> ternarized(GraphProto g) throws Exception {
        GraphScan scan = GraphScan.of(model(g), "m.onnx", false);
        List<String> out = new ArrayList<>();
        for (LayerDecision d : LayerDecision.decide(scan, OnnxTernarizerTest.options("tnt", "row"))) if (d.ternarized()) out.add(d.weight());
        return out;
    }

    static NodeProto ifNode(String out, GraphProto then, GraphProto otherwise) {
        return node("If", "if_" + out, in("cond"), in(out), graphAttr("then_branch", then), graphAttr("else_branch", otherwise));
    }

    @Test
    void eachBranchHoldingAWholeNetworkKeepsItsOwnFirstAndLast() throws Exception {
        GraphProto.Builder g = GraphProto.newBuilder().setName("g").addInput(value("x", 2, 4)).addOutput(value("y", 2, 4));
        g.addNode(ifNode("y", branch("then", "t", "A1", "A2", "A3"), branch("else", "e", "B1", "B2", "B3")));
        assertEquals(List.of("A2", "B2"), ternarized(g.build()));
    }

    @Test
    void aBranchWithoutWeightsLetsTheNeighboursBeFirstOrLast() throws Exception {
        // x → W0 → Wm → W1 → If{Wt}{pass}: on the else path W1 is the last layer; on the then path Wt is.
        GraphProto.Builder g = chain(GraphProto.newBuilder().setName("g"), "x", "h", "W0", "Wm", "W1");
        g.addInput(value("x", 2, 4)).addOutput(value("y", 2, 4));
        g.addNode(ifNode("y", chain(GraphProto.newBuilder().setName("then"), "h", "t", "Wt").addOutput(value("t", 2, 4)).build(),
                chain(GraphProto.newBuilder().setName("else"), "h", "e").addOutput(value("e", 2, 4)).build()));
        assertEquals(List.of("Wm"), ternarized(g.build()));

        // Layers before and after the If: the branches are in the middle of every path.
        assertEquals(List.of("Wt", "We"), ternarized(TestModels.withIf().getGraph()));
    }
}
