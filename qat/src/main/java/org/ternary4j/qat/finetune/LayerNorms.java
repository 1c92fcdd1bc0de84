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
                String normalised = n.outputs().get(0);
                OnnxNode mul = g.soleConsumer(normalised, "Mul").filter(m -> m.inputs().size() == 2).orElse(null);
                if (mul == null || g.constant(mul.otherInput(normalised)) == null) continue;
                out.add(mul.otherInput(normalised));
                String scaled = mul.outputs().get(0);
                g.soleConsumer(scaled, "Add").filter(a -> a.inputs().size() == 2).map(a -> a.otherInput(scaled))
                        .filter(beta -> g.constant(beta) != null).ifPresent(out::add);
            }
        }
        return out;
    }

    private static boolean producedBy(GraphInterpreter g, String value, String op) {
        return g.producer(value).map(p -> p.opType().equals(op)).orElse(false);
    }
}
