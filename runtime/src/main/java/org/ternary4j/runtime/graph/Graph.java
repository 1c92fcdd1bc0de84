package org.ternary4j.runtime.graph;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.runtime.kernel.Parallel;

/**
 * A compiled ONNX graph: initializers and Constant nodes decoded, ternary layers packed, every
 * node turned into a {@link CompiledOps.Op} with its attributes resolved, and a BatchNormalization
 * (and Relu) that only post-processes a Conv or Gemm fused into that layer's epilogue (see
 * {@link Planner}). Values live in an array indexed by slot, not a map. Immutable after
 * {@link #compile}; {@link #run} may be called from several threads.
 */
public final class Graph {
    /** One executable step: input slots (−1 for absent inputs and packed weights) and their names, output slots (−1 for unnamed). */
    record Step(String op, String name, int[] in, String[] inNames, int[] out, CompiledOps.Op kernel) {}

    private final Step[] steps;
    private final Tensor[] template;
    private final List<String> inputs;
    private final int[] inputSlots;
    private final List<String> outputs;
    private final int[] outputSlots;
    private final List<TernaryLayers> layers;

    private Graph(Step[] steps, Tensor[] template, List<String> inputs, int[] inputSlots, List<String> outputs, int[] outputSlots,
                  List<TernaryLayers> layers) {
        this.steps = steps;
        this.template = template;
        this.inputs = inputs;
        this.inputSlots = inputSlots;
        this.outputs = outputs;
        this.outputSlots = outputSlots;
        this.layers = layers;
    }

    public static Graph compile(OnnxMl.ModelProto model, Map<String, TernaryTensor> ternary) {
        OnnxMl.GraphProto g = model.getGraph();
        Set<String> unsupported = new TreeSet<>();
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            boolean standard = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
            if (!standard || !Operators.SUPPORTED.contains(n.getOpType())) unsupported.add(standard ? n.getOpType() : n.getDomain() + "." + n.getOpType());
        }
        if (!unsupported.isEmpty()) throw new IllegalArgumentException("model uses operators the runtime does not support: " + String.join(", ", unsupported));

        Map<String, Tensor> constants = new HashMap<>();
        Map<String, int[]> initializerShapes = new HashMap<>();
        for (OnnxMl.TensorProto t : g.getInitializerList()) {
            initializerShapes.put(t.getName(), Protos.dims(t));
            if (!ternary.containsKey(t.getName())) constants.put(t.getName(), Protos.tensor(t));
        }
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            if (!n.getOpType().equals("Constant")) continue;
            OnnxMl.AttributeProto v = Protos.attr(n, "value");
            if (v == null || !v.hasT()) throw new IllegalArgumentException("Constant node '" + n.getName() + "': only the 'value' tensor attribute is supported");
            constants.put(n.getOutput(0), Protos.tensor(v.getT()));
        }

        Map<Integer, TernaryLayers> layers = new HashMap<>();
        Set<String> used = new HashSet<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            OnnxMl.NodeProto n = g.getNode(i);
            for (int j = 0; j < n.getInputCount(); j++) {
                String in = n.getInput(j);
                if (!ternary.containsKey(in)) continue;
                if (j != 1 || !(n.getOpType().equals("Conv") || n.getOpType().equals("Gemm") || n.getOpType().equals("MatMul"))) {
                    throw new IllegalArgumentException("ternary weight '" + in + "' is input " + j + " of " + n.getOpType() + " node '" + n.getName()
                            + "'; packed weights can only be the weight (input 1) of Conv, Gemm or MatMul");
                }
                Tensor bias = n.getOpType().equals("Conv") && n.getInputCount() > 2 ? constants.get(n.getInput(2)) : null;
                layers.put(i, TernaryLayers.of(n, ternary.get(in), initializerShapes.get(in), bias));
                used.add(in);
            }
        }
        Set<String> unused = new TreeSet<>(ternary.keySet());
        unused.removeAll(used);
        if (!unused.isEmpty()) throw new IllegalArgumentException("ternary weights not used as a Conv/Gemm/MatMul weight in the graph: " + String.join(", ", unused));

        List<String> inputs = new ArrayList<>();
        for (OnnxMl.ValueInfoProto v : g.getInputList()) {
            if (!constants.containsKey(v.getName()) && !ternary.containsKey(v.getName())) inputs.add(v.getName());
        }
        List<String> outputs = g.getOutputList().stream().map(OnnxMl.ValueInfoProto::getName).toList();
        Planner.Plan plan = Planner.plan(g, constants, layers, ternary.keySet(), outputs, opset(model));
        return new Graph(plan.steps(), plan.template(), List.copyOf(inputs), plan.slots(inputs), outputs, plan.slots(outputs),
                List.copyOf(layers.values()));
    }

    private static int opset(OnnxMl.ModelProto model) {
        for (OnnxMl.OperatorSetIdProto o : model.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) return (int) o.getVersion();
        }
        return 1;
    }

    /** Resident bytes of all packed ternary layers (codes, scales, layout tables; conv biases included). */
    public long packedBytes() {
        long b = 0;
        for (TernaryLayers l : layers) b += l.residentBytes();
        return b;
    }

    /** Steps a run executes (fused nodes count once). */
    int stepCount() {
        return steps.length;
    }

    public List<String> inputNames() {
        return inputs;
    }

    public List<String> outputNames() {
        return outputs;
    }

    public Map<String, Tensor> run(Map<String, Tensor> given, boolean exact, Parallel par) {
        Tensor[] values = template.clone();
        for (int i = 0; i < inputs.size(); i++) {
            Tensor t = given.get(inputs.get(i));
            if (t == null) throw new IllegalArgumentException("missing model input '" + inputs.get(i) + "'");
            values[inputSlots[i]] = t;
        }
        for (Step step : steps) {
            Tensor[] in = new Tensor[step.in().length];
            for (int j = 0; j < in.length; j++) {
                int slot = step.in()[j];
                if (slot < 0) continue;
                in[j] = values[slot];
                if (in[j] == null) throw new IllegalArgumentException(step.op() + " node '" + step.name() + "': input '" + step.inNames()[j] + "' is not computed before it is used");
            }
            Tensor[] out;
            try {
                out = step.kernel().run(in, exact, par);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(step.op() + " node '" + step.name() + "': " + e.getMessage(), e);
            }
            for (int j = 0; j < Math.min(out.length, step.out().length); j++) {
                if (step.out()[j] >= 0) values[step.out()[j]] = out[j];
            }
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (int i = 0; i < outputs.size(); i++) {
            Tensor t = values[outputSlots[i]];
            if (t == null) throw new IllegalArgumentException("graph output '" + outputs.get(i) + "' is never computed");
            result.put(outputs.get(i), t);
        }
        return result;
    }
}
