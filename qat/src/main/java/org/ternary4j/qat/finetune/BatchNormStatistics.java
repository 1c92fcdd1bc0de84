package org.ternary4j.qat.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.qat.graph.GraphInterpreter;

/**
 * Re-estimates, on the student, the statistics of each batch norm that alone reads a ternarized
 * Conv (or Gemm): ternary weights change every channel's scale and mean, and statistics measured on the
 * full-precision model then push activations off, compounding layer after layer (plain TNT
 * takes the PaddleOCR classifier to chance this way). One pass over the examples in a single
 * batch, each batch norm measuring its own input as the pass reaches it, so every layer sees
 * the corrected layers before it. The statistics stay frozen during training unless the batch
 * norms train in their training form ({@link #trainingForm}); they are then re-estimated after it.
 */
final class BatchNormStatistics {
    private BatchNormStatistics() {}

    /** The batch norms whose statistics are the student's own: each alone reads a trained (ternarized or trained float) Conv or Gemm and alone reads its statistics. */
    static Set<OnnxNode> of(GraphBlock block) {
        GraphInterpreter g = block.graph();
        Set<OnnxNode> norms = new LinkedHashSet<>();
        for (String w : block.trainedLayers()) {
            for (OnnxNode conv : g.consumers(w)) {
                if (!conv.opType().equals("Conv") && !conv.opType().equals("Gemm")) continue;
                g.soleConsumer(conv.outputs().get(0), "BatchNormalization")
                        .filter(bn -> bn.inputs().size() >= 5 && owned(g, bn, 3) && owned(g, bn, 4)).ifPresent(norms::add);
            }
        }
        return norms;
    }

    /** Re-estimates from the first {@code examples} examples; returns how many batch norms changed. */
    static int reestimate(GraphBlock block, Inputs in, int examples, NDManager parent) {
        GraphInterpreter g = block.graph();
        Set<OnnxNode> norms = of(block);
        if (norms.isEmpty() || examples == 0) return 0;
        Map<String, float[]> stats = new LinkedHashMap<>();
        try (NDManager m = parent.newSubManager(); NDScope scope = new NDScope()) {
            NDList x = in.batch(m, Inputs.range(0, Math.min(examples, in.count())));
            Map<String, NDArray> feeds = new LinkedHashMap<>();
            for (int k = 0; k < x.size(); k++) feeds.put(block.inputNames().get(k), x.get(k));
            g.run(feeds, block.studentValues(new ParameterStore(m, false), m, false), List.of(), (node, inputs) -> {
                if (!norms.contains(node)) return inputs;
                List<NDArray> out = measured(inputs);
                stats.put(node.inputs().get(3), out.get(3).toFloatArray());
                stats.put(node.inputs().get(4), out.get(4).toFloatArray());
                return out;
            }, true);
        }
        for (var e : stats.entrySet()) block.fix(e.getKey(), g.constant(e.getKey()).getManager().create(e.getValue(), g.constant(e.getKey()).getShape()));
        return norms.size();
    }

    /**
     * Runs {@code norms} in their training form: each normalises by the mean and (biased) variance
     * of the batch it sees, gradients flowing through both, as a network trained from scratch does.
     */
    static GraphInterpreter.Tap trainingForm(Set<OnnxNode> norms) {
        return (node, inputs) -> {
            if (!norms.contains(node)) return inputs;
            // Without statistics the batch norm op normalises by the batch's own (PyTorch's fused batch norm).
            List<NDArray> out = new ArrayList<>(inputs);
            out.set(3, null);
            out.set(4, null);
            return out;
        };
    }

    /** A batch norm's inputs with its statistics replaced by those of its input, per channel (axis 1). */
    private static List<NDArray> measured(List<NDArray> inputs) {
        NDArray a = inputs.get(0);
        long c = a.getShape().get(1);
        NDArray perChannel = a.swapAxes(0, 1).reshape(c, -1);
        NDArray mean = perChannel.mean(new int[] {1});
        NDArray var = perChannel.sub(mean.reshape(c, 1)).square().mean(new int[] {1});
        List<NDArray> out = new ArrayList<>(inputs);
        out.set(3, mean);
        out.set(4, var);
        return out;
    }

    /** Whether input {@code i} of {@code bn} is a float constant nothing else reads. */
    private static boolean owned(GraphInterpreter g, OnnxNode bn, int i) {
        String name = bn.inputs().get(i);
        NDArray c = g.constant(name);
        return c != null && c.getDataType() == ai.djl.ndarray.types.DataType.FLOAT32 && g.consumers(name).size() == 1;
    }
}
