package org.ternary4j.qat.finetune;

import java.util.ArrayList;
import java.util.List;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.qat.graph.GraphInterpreter;

/**
 * A value the student is fitted to the teacher on. A graph output made by a Softmax or LogSoftmax
 * over its last axis is matched on the logits that feed it (softmax is unchanged by adding a
 * constant to every logit, so both sides are centred first); any other output on its values.
 *
 * @param value  the graph value compared (the logits for a softmax output)
 * @param output the graph output it stands for
 * @param logits whether {@code value} holds class logits
 * @param axis   the softmax's axis (logits only), which must be the last: checked on the first batch
 */
record Target(String value, String output, boolean logits, long axis) {

    static List<Target> of(GraphInterpreter g) {
        List<Target> out = new ArrayList<>();
        for (var o : g.graph().outputs()) {
            OnnxNode p = g.producer(o.name()).orElse(null);
            boolean softmax = p != null && (p.opType().equals("Softmax") || p.opType().equals("LogSoftmax")) && p.input(0).isPresent()
                    && g.constant(p.inputs().get(0)) == null;
            out.add(softmax ? new Target(p.inputs().get(0), o.name(), true, p.intAttr("axis", g.opset() >= 13 ? -1 : 1))
                    : new Target(o.name(), o.name(), false, 0));
        }
        return out;
    }

    /** Refuses logits whose softmax is not over their last axis (centring and cross-entropy work on that axis). */
    void check(int rank) {
        if (logits && axis != -1 && axis != rank - 1) {
            throw new IllegalArgumentException("output '" + output + "' is a softmax over axis " + axis + " of a rank-" + rank + " value; distillation supports the last axis only");
        }
    }
}
