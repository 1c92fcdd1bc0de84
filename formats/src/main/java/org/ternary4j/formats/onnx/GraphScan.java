package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Walks a model's graphs in execution order (a stable topological sort of each graph, subgraphs
 * at the position of the node that owns them) and finds the weight layers: Conv, ConvTranspose,
 * Gemm and MatMul whose weight operand is a constant, and optionally Gather tables. Also counts
 * how often each constant is used, so rewrites never touch a tensor something else shares.
 */
final class GraphScan {
    final List<WeightLayer> layers = new ArrayList<>();
    final Map<TensorSource, Integer> uses = new HashMap<>();
    final Map<GraphPath, Scope> scopes = new HashMap<>();
    final Set<String> names = new HashSet<>();
    final List<String> notes = new ArrayList<>();
    final LayerPaths paths = new LayerPaths();
    private final Map<TensorSource, WeightLayer> bySource = new LinkedHashMap<>();
    private final ModelProto model;
    private final String file;
    private final boolean embeddings;

    private GraphScan(ModelProto model, String file, boolean embeddings) {
        this.model = model;
        this.file = file;
        this.embeddings = embeddings;
    }

    static GraphScan of(ModelProto model, String file, boolean embeddings) throws IOException {
        GraphScan s = new GraphScan(model, file, embeddings);
        s.walk(model.getGraph(), GraphPath.MAIN, null, s.paths.root);
        return s;
    }

    private void walk(GraphProto g, GraphPath path, Scope parent, List<LayerPaths.Item> seq) throws IOException {
        Scope scope = new Scope(parent);
        scopes.put(path, scope);
        for (ValueInfoProto v : g.getInputList()) {
            scope.dynamic(v.getName());
            names.add(v.getName());
        }
        for (int i = 0; i < g.getInitializerCount(); i++) {
            scope.constant(g.getInitializer(i).getName(), new TensorSource.Initializer(path, i));
            names.add(g.getInitializer(i).getName());
        }
        for (int j = 0; j < g.getNodeCount(); j++) {
            NodeProto n = g.getNode(j);
            names.addAll(n.getOutputList());
            names.addAll(n.getInputList());
            int value = constantValue(n);
            TensorSource alias = identityOfConstant(n, scope);
            for (String out : n.getOutputList()) {
                if (value >= 0) scope.constant(out, new TensorSource.ConstantNode(path, j, value));
                else if (alias != null) scope.constant(out, alias);
                else scope.dynamic(out);
            }
        }
        for (int j : order(g, file)) {
            NodeProto n = g.getNode(j);
            for (String in : n.getInputList()) {
                TensorSource src = in.isEmpty() ? null : scope.resolve(in);
                if (src != null) uses.merge(src, 1, Integer::sum);
            }
            WeightLayer layer = weightLayer(n, path, j, scope);
            if (layer != null) seq.add(new LayerPaths.Layer(layer));
            // If's branches are alternatives; Loop and Scan bodies run in line with this graph.
            boolean alternatives = n.getOpType().equals("If") && isOnnxDomain(n);
            List<List<LayerPaths.Item>> branches = new ArrayList<>();
            for (int k = 0; k < n.getAttributeCount(); k++) {
                AttributeProto a = n.getAttribute(k);
                if (a.getType() == AttributeProto.AttributeType.GRAPH) walk(a.getG(), path.child(j, k, -1), scope, branch(alternatives, branches, seq));
                for (int i = 0; i < a.getGraphsCount(); i++) walk(a.getGraphs(i), path.child(j, k, i), scope, branch(alternatives, branches, seq));
            }
            if (!branches.isEmpty()) seq.add(new LayerPaths.Branches(branches));
        }
        for (ValueInfoProto v : g.getOutputList()) {
            names.add(v.getName());
            TensorSource src = scope.resolve(v.getName());
            if (src != null) uses.merge(src, 1, Integer::sum);
        }
    }

    private static List<LayerPaths.Item> branch(boolean alternatives, List<List<LayerPaths.Item>> branches, List<LayerPaths.Item> seq) {
        if (!alternatives) return seq;
        List<LayerPaths.Item> b = new ArrayList<>();
        branches.add(b);
        return b;
    }

    /** The index of a Constant node's {@code value} attribute, or −1. */
    static int constantValue(NodeProto n) {
        if (!n.getOpType().equals("Constant") || !isOnnxDomain(n)) return -1;
        for (int k = 0; k < n.getAttributeCount(); k++) {
            AttributeProto a = n.getAttribute(k);
            if (a.getName().equals("value") && a.hasT()) return k;
        }
        return -1;
    }

    /**
     * PyTorch exports shared parameters as Identity nodes of an initializer: the Identity's output
     * then stands for the same stored tensor (seen only when the initializer or Constant comes first).
     */
    private static TensorSource identityOfConstant(NodeProto n, Scope scope) {
        if (!n.getOpType().equals("Identity") || !isOnnxDomain(n) || n.getInputCount() != 1) return null;
        return scope.resolve(n.getInput(0));
    }

    static boolean isOnnxDomain(NodeProto n) {
        return n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
    }

    static Optional<AttributeProto> attribute(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) if (a.getName().equals(name)) return Optional.of(a);
        return Optional.empty();
    }

    /** The node's weight layer when it is a new one, else null. */
    private WeightLayer weightLayer(NodeProto n, GraphPath path, int j, Scope scope) throws IOException {
        if (!isOnnxDomain(n)) return null;
        String op = n.getOpType();
        int operand;
        switch (op) {
            case "Conv", "ConvTranspose", "Gemm", "MatMul" -> operand = 1;
            case "Gather" -> {
                if (!embeddings) return null;
                operand = 0;
            }
            default -> {
                return null;
            }
        }
        if (n.getInputCount() <= operand) return null;
        String name = n.getInput(operand);
        TensorSource src = name.isEmpty() ? null : scope.resolve(name);
        if (src == null) return null;
        String label = (n.getName().isEmpty() ? op : n.getName()) + " (" + op + ")";
        WeightLayer first = bySource.get(src);
        if (first != null) {
            notes.add("weight '" + name + "' is also used by " + label + "; ternarized once, grouped as its first use ("
                    + first.nodeName() + ", " + first.op() + ") lays it out");
            return null;
        }
        TensorProto t = src.get(model);
        String where = file + ": tensor '" + name + "'";
        Optional<FloatType> type = FloatType.of(t.getDataType());
        if (type.isEmpty()) {
            notes.add(label + ": weight '" + name + "' has ONNX type " + t.getDataType() + ", not a float type; left as is");
            return null;
        }
        int[] shape = TensorCodec.shape(t, where);
        WeightLayout layout = switch (op) {
            case "Conv" -> shape.length >= 3 ? new WeightLayout.Canonical() : null;
            case "ConvTranspose" -> {
                long groups = attribute(n, "group").map(AttributeProto::getI).orElse(1L);
                yield shape.length >= 3 && groups >= 1 && shape[0] % groups == 0 ? new WeightLayout.ConvTransposeGrouped((int) groups) : null;
            }
            case "Gemm" -> shape.length != 2 ? null
                    : attribute(n, "transB").map(AttributeProto::getI).orElse(0L) != 0 ? new WeightLayout.Canonical() : new WeightLayout.InOut();
            case "MatMul" -> shape.length == 2 ? new WeightLayout.InOut() : null;
            default -> shape.length == 2 && attribute(n, "axis").map(AttributeProto::getI).orElse(0L) == 0 ? new WeightLayout.Canonical() : null;
        };
        if (layout == null) {
            notes.add(label + ": weight '" + name + "' of shape " + TensorCodec.describe(shape) + " is not a layout this tool ternarizes; left as is");
            return null;
        }
        int group = op.startsWith("Conv") ? (int) Math.max(1, attribute(n, "group").map(AttributeProto::getI).orElse(1L)) : 1;
        WeightLayer layer = new WeightLayer(layers.size(), op, n.getName().isEmpty() ? op + "#" + j : n.getName(), name, src,
                layout, path, j, type.get(), shape, group);
        bySource.put(src, layer);
        layers.add(layer);
        return layer;
    }

    /**
     * A stable topological order of a graph's nodes: the file's order where it is already valid.
     * A node also depends on the producers of outer values its subgraphs use.
     */
    static List<Integer> order(GraphProto g, String file) throws IOException {
        int n = g.getNodeCount();
        Map<String, Integer> producer = new HashMap<>();
        for (int j = 0; j < n; j++) for (String out : g.getNode(j).getOutputList()) if (!out.isEmpty()) producer.putIfAbsent(out, j);
        List<List<Integer>> next = new ArrayList<>();
        int[] indegree = new int[n];
        for (int j = 0; j < n; j++) next.add(new ArrayList<>());
        for (int j = 0; j < n; j++) {
            Set<Integer> deps = new HashSet<>();
            for (String in : consumed(g.getNode(j))) {
                Integer p = producer.get(in);
                if (p != null && p != j) deps.add(p);
            }
            for (int p : deps) {
                next.get(p).add(j);
                indegree[j]++;
            }
        }
        PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int j = 0; j < n; j++) if (indegree[j] == 0) ready.add(j);
        List<Integer> out = new ArrayList<>(n);
        while (!ready.isEmpty()) {
            int j = ready.poll();
            out.add(j);
            for (int k : next.get(j)) if (--indegree[k] == 0) ready.add(k);
        }
        if (out.size() < n) {
            throw new IOException(file + ": graph '" + g.getName() + "' has a cycle: " + (n - out.size()) + " nodes never get their inputs");
        }
        return out;
    }

    /** Every name a node reads: its inputs and the outer names its subgraphs use. */
    static Set<String> consumed(NodeProto node) {
        Set<String> s = new HashSet<>();
        for (String in : node.getInputList()) if (!in.isEmpty()) s.add(in);
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getType() == AttributeProto.AttributeType.GRAPH) s.addAll(freeNames(a.getG()));
            for (GraphProto sub : a.getGraphsList()) s.addAll(freeNames(sub));
        }
        return s;
    }

    /** Names a graph uses but does not define: values it takes from enclosing graphs. */
    static Set<String> freeNames(GraphProto g) {
        Set<String> used = new HashSet<>();
        Set<String> defined = new HashSet<>();
        for (ValueInfoProto v : g.getInputList()) defined.add(v.getName());
        for (TensorProto t : g.getInitializerList()) defined.add(t.getName());
        for (NodeProto n : g.getNodeList()) {
            defined.addAll(n.getOutputList());
            used.addAll(consumed(n));
        }
        for (ValueInfoProto v : g.getOutputList()) used.add(v.getName());
        used.removeAll(defined);
        return used;
    }
}
