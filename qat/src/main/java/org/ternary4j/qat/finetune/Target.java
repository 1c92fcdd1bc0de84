package org.ternary4j.qat.finetune;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.ternary4j.formats.onnx.NamePattern;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.qat.graph.GraphInterpreter;

/**
 * A value the student is fitted to the teacher on. A graph output made by a Softmax or LogSoftmax
 * over its last axis is matched on the logits that feed it (softmax is unchanged by adding a
 * constant to every logit, so both sides are centred first); any other output on its values. A
 * hidden target is an intermediate value (an encoder layer's hidden state) matched on its values
 * alone, with a weight of its own, to guide the layers the final output reaches only through many
 * others.
 *
 * @param value  the graph value compared (the logits for a softmax output)
 * @param output the graph output it stands for
 * @param logits whether {@code value} holds class logits
 * @param axis   the softmax's axis (logits only), which must be the last: checked on the first batch
 * @param hidden whether {@code value} is an intermediate value rather than a graph output
 * @param weight the factor on this target's loss
 * @param pooled the factor on the 1 − cosine of its mean over real tokens, for a per-token graph output
 */
record Target(String value, String output, boolean logits, long axis, boolean hidden, float weight, float pooled) {

    /**
     * The graph outputs as targets. With {@code labelled} (the examples have class labels) and no
     * softmax output, the first output that may be [N, classes] (declared so, or with no declared
     * shape) counts as the logits: a classifier that ends in its last Gemm, as most exported ones do,
     * is trained on its labels too.
     */
    static List<Target> of(GraphInterpreter g, boolean labelled) {
        List<Target> out = new ArrayList<>();
        for (var o : g.graph().outputs()) {
            OnnxNode p = g.producer(o.name()).orElse(null);
            boolean softmax = p != null && (p.opType().equals("Softmax") || p.opType().equals("LogSoftmax")) && p.input(0).isPresent()
                    && g.constant(p.inputs().get(0)) == null;
            out.add(softmax ? new Target(p.inputs().get(0), o.name(), true, p.intAttr("axis", g.opset() >= 13 ? -1 : 1), false, 1, 1)
                    : new Target(o.name(), o.name(), false, 0, false, 1, 1));
        }
        if (labelled && out.stream().noneMatch(Target::logits)) {
            for (int i = 0; i < out.size(); i++) {
                var declared = g.graph().outputs().get(i);
                if (!declared.hasShape() || declared.dims().size() == 2) {
                    out.set(i, new Target(declared.name(), declared.name(), true, -1, false, 1, 1));
                    break;
                }
            }
        }
        return out;
    }

    /**
     * The values node outputs matching one of {@code patterns} (graph outputs excluded), in graph
     * order, sharing {@code weight} equally; fails when a pattern matches nothing.
     */
    static List<Target> hidden(GraphInterpreter g, List<NamePattern> patterns, float weight) {
        if (patterns.isEmpty()) return List.of();
        Set<String> outputs = new HashSet<>();
        for (var o : g.graph().outputs()) outputs.add(o.name());
        List<String> names = new ArrayList<>();
        for (OnnxNode n : g.graph().nodes()) for (String v : n.outputs()) if (!v.isEmpty() && !outputs.contains(v) && NamePattern.any(patterns, v)) names.add(v);
        for (NamePattern p : patterns) {
            if (names.stream().noneMatch(p::matches)) throw new IllegalArgumentException("hidden-state pattern '" + p.spec() + "' matches no value computed by the graph");
        }
        return names.stream().map(v -> new Target(v, v, false, 0, true, weight / names.size(), 0)).toList();
    }

    Target withWeight(float factor) {
        return new Target(value, output, logits, axis, hidden, factor, pooled);
    }

    Target withPooled(float factor) {
        return new Target(value, output, logits, axis, hidden, weight, factor);
    }

    /** Refuses logits whose softmax is not over their last axis (centring and cross-entropy work on that axis). */
    void check(int rank) {
        if (logits && axis != -1 && axis != rank - 1) {
            throw new IllegalArgumentException("output '" + output + "' is a softmax over axis " + axis + " of a rank-" + rank + " value; distillation supports the last axis only");
        }
    }
}
