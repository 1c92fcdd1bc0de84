package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The main graph cut to the nodes that compute some of its values from others, which become the
 * graph's inputs: one stretch of a model that runs on its own, fed with values an earlier stretch
 * computed. Constants (initializers, Constant nodes) come along wherever the kept nodes use them;
 * given values that nothing kept uses are left out of the inputs.
 */
final class GraphSlice {
    private GraphSlice() {}

    static ModelProto slice(ModelProto model, Map<String, ElementType> inputs, List<String> outputs, String file) {
        GraphProto g = model.getGraph();
        Map<String, Integer> producer = new HashMap<>();
        for (int j = 0; j < g.getNodeCount(); j++) for (String o : g.getNode(j).getOutputList()) if (!o.isEmpty()) producer.put(o, j);
        Set<String> initializers = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) initializers.add(t.getName());
        boolean[] keep = new boolean[g.getNodeCount()];
        Set<String> used = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(outputs);
        while (!todo.isEmpty()) {
            String name = todo.pop();
            if (name.isEmpty() || !used.add(name) || inputs.containsKey(name) || initializers.contains(name)) continue;
            Integer j = producer.get(name);
            if (j == null) throw new IllegalArgumentException(file + ": value '" + name + "' is neither computed nor given in this part of the graph");
            keep[j] = true;
            NodeProto n = g.getNode(j);
            todo.addAll(n.getInputList());
            // Values a subgraph takes from the outer scope; its own values have no producer here.
            for (String s : subgraphInputs(n)) if (producer.containsKey(s) || initializers.contains(s) || inputs.containsKey(s)) todo.add(s);
        }
        GraphProto.Builder out = GraphProto.newBuilder().setName(g.getName());
        for (int j = 0; j < g.getNodeCount(); j++) if (keep[j]) out.addNode(g.getNode(j));
        for (TensorProto t : g.getInitializerList()) if (used.contains(t.getName())) out.addInitializer(t);
        for (Map.Entry<String, ElementType> e : inputs.entrySet()) if (used.contains(e.getKey())) out.addInput(value(e.getKey(), e.getValue()));
        // Output types are left to ONNX Runtime's inference: the stretch may compute any type.
        for (String o : outputs) out.addOutput(ValueInfoProto.newBuilder().setName(o));
        return model.toBuilder().setGraph(out).build();
    }

    private static ValueInfoProto value(String name, ElementType type) {
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.onnxType))).build();
    }

    private static Set<String> subgraphInputs(NodeProto n) {
        Set<String> names = new LinkedHashSet<>();
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) collect(a.getG(), names);
            for (GraphProto s : a.getGraphsList()) collect(s, names);
        }
        return names;
    }

    private static void collect(GraphProto g, Set<String> names) {
        for (NodeProto n : g.getNodeList()) {
            names.addAll(n.getInputList());
            names.addAll(subgraphInputs(n));
        }
    }
}
