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
 * A compiled ONNX graph: initializers and Constant nodes decoded, ternary layers packed, nodes kept
 * in the file's (topological) order. Immutable after {@link #compile}; {@link #run} may be called
 * from several threads.
 */
public final class Graph {
    private final List<OnnxMl.NodeProto> nodes;
    private final Map<String, Tensor> constants;
    private final Map<Integer, TernaryLayers> ternaryByNode;
    private final List<String> inputs;
    private final List<String> outputs;
    private final int opset;

    private Graph(List<OnnxMl.NodeProto> nodes, Map<String, Tensor> constants, Map<Integer, TernaryLayers> ternaryByNode,
                  List<String> inputs, List<String> outputs, int opset) {
        this.nodes = nodes;
        this.constants = constants;
        this.ternaryByNode = ternaryByNode;
        this.inputs = inputs;
        this.outputs = outputs;
        this.opset = opset;
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
        return new Graph(g.getNodeList(), constants, layers, List.copyOf(inputs), outputs, opset(model));
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
        for (TernaryLayers l : ternaryByNode.values()) b += l.residentBytes();
        return b;
    }

    public List<String> inputNames() {
        return inputs;
    }

    public List<String> outputNames() {
        return outputs;
    }

    public Map<String, Tensor> run(Map<String, Tensor> given, boolean exact, Parallel par) {
        Map<String, Tensor> values = new HashMap<>(constants);
        for (String name : inputs) {
            Tensor t = given.get(name);
            if (t == null) throw new IllegalArgumentException("missing model input '" + name + "'");
            values.put(name, t);
        }
        for (int i = 0; i < nodes.size(); i++) {
            OnnxMl.NodeProto n = nodes.get(i);
            if (n.getOpType().equals("Constant")) continue;
            Tensor[] in = new Tensor[n.getInputCount()];
            for (int j = 0; j < in.length; j++) {
                String name = n.getInput(j);
                if (name.isEmpty()) continue;
                TernaryLayers layer = j == 1 ? ternaryByNode.get(i) : null;
                if (layer != null) continue;
                in[j] = values.get(name);
                if (in[j] == null) throw new IllegalArgumentException(n.getOpType() + " node '" + n.getName() + "': input '" + name + "' is not computed before it is used");
            }
            Tensor[] out;
            try {
                TernaryLayers layer = ternaryByNode.get(i);
                out = layer != null ? new Tensor[] {layer.run(n, in, exact, par)} : Operators.run(n, in, opset);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(n.getOpType() + " node '" + n.getName() + "': " + e.getMessage(), e);
            }
            for (int j = 0; j < Math.min(out.length, n.getOutputCount()); j++) {
                if (!n.getOutput(j).isEmpty()) values.put(n.getOutput(j), out[j]);
            }
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (String o : outputs) {
            Tensor t = values.get(o);
            if (t == null) throw new IllegalArgumentException("graph output '" + o + "' is never computed");
            result.put(o, t);
        }
        return result;
    }
}
