package org.ternary4j.qat.finetune;

import java.util.ArrayList;
import java.util.List;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.qat.graph.GraphInterpreter;

/**
 * The scale γ and shift β of a graph's layer normalisations: a LayerNormalization node's second and
 * third inputs, or, where an exporter wrote the normalisation out (x − mean) / √(var + ε) as
 * nodes, the constants of the Mul and the Add that follow its Div by a Sqrt. Ternary weights change
 * each channel's scale and offset a little, and γ, β (a few hundred values per norm) are where a
 * transformer can absorb that; BERT-style encoders have one after every attention and every FFN.
 */
final class LayerNorms {
    private LayerNorms() {}

    /** Per normalisation in graph order, γ then β (β absent where the node has none); only float constants. */
    static List<String> affine(GraphInterpreter g) {
        List<String> out = new ArrayList<>();
        for (OnnxNode n : g.graph().nodes()) {
            if (n.opType().equals("LayerNormalization")) {
                for (int i = 1; i <= 2; i++) n.input(i).filter(name -> g.constant(name) != null).ifPresent(out::add);
            } else if (n.opType().equals("Div") && n.inputs().size() == 2 && producedBy(g, n.inputs().get(1), "Sqrt")) {
                String gamma = constantOperand(g, soleConsumer(g, n.outputs().get(0), "Mul"), n.outputs().get(0));
                if (gamma == null) continue;
                OnnxNode mul = g.consumers(n.outputs().get(0)).get(0);
                out.add(gamma);
                String beta = constantOperand(g, soleConsumer(g, mul.outputs().get(0), "Add"), mul.outputs().get(0));
                if (beta != null) out.add(beta);
            }
        }
        return out;
    }

    private static boolean producedBy(GraphInterpreter g, String value, String op) {
        return g.producer(value).map(p -> p.opType().equals(op)).orElse(false);
    }

    /** The one node reading {@code value}, when it is an {@code op}; else null. */
    private static OnnxNode soleConsumer(GraphInterpreter g, String value, String op) {
        List<OnnxNode> next = g.consumers(value);
        return next.size() == 1 && next.get(0).opType().equals(op) ? next.get(0) : null;
    }

    /** The binary node's other operand when it is a constant, else null. */
    private static String constantOperand(GraphInterpreter g, OnnxNode n, String value) {
        if (n == null || n.inputs().size() != 2) return null;
        String other = n.inputs().get(0).equals(value) ? n.inputs().get(1) : n.inputs().get(0);
        return g.constant(other) != null ? other : null;
    }
}
