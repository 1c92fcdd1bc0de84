package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One graph of a model, checked ({@link GraphCheck}) and with its nodes in a stable topological
 * order: declared inputs and outputs, initializers by name, and the Constant nodes' values.
 */
public final class OnnxGraph {
    private final String name;
    private final List<ValueInfo> inputs;
    private final List<ValueInfo> outputs;
    private final Map<String, OnnxTensor> initializers;
    private final List<OnnxNode> nodes;

    private OnnxGraph(String name, List<ValueInfo> inputs, List<ValueInfo> outputs, Map<String, OnnxTensor> initializers, List<OnnxNode> nodes) {
        this.name = name;
        this.inputs = inputs;
        this.outputs = outputs;
        this.initializers = initializers;
        this.nodes = nodes;
    }

    static OnnxGraph of(GraphProto g, OnnxModel model) throws IOException {
        Map<String, OnnxTensor> init = new LinkedHashMap<>();
        for (TensorProto t : g.getInitializerList()) {
            if (init.put(t.getName(), new OnnxTensor(t, t.getName(), model)) != null) {
                throw new IOException(model.file() + ": graph '" + g.getName() + "' has two initializers named '" + t.getName() + "'");
            }
        }
        List<OnnxNode> nodes = new ArrayList<>();
        for (int j : GraphScan.order(g, model.file().toString())) nodes.add(node(g.getNode(j), model));
        return new OnnxGraph(g.getName(), values(g.getInputList()), values(g.getOutputList()), Collections.unmodifiableMap(init), List.copyOf(nodes));
    }

    private static OnnxNode node(NodeProto n, OnnxModel model) throws IOException {
        Map<String, OnnxAttribute> attributes = new LinkedHashMap<>();
        for (AttributeProto a : n.getAttributeList()) attributes.put(a.getName(), attribute(a, n, model));
        return new OnnxNode(n.getName(), n.getOpType(), n.getDomain(), n.getInputList(), n.getOutputList(), attributes);
    }

    private static OnnxAttribute attribute(AttributeProto a, NodeProto n, OnnxModel model) throws IOException {
        return switch (a.getType()) {
            case INT -> new OnnxAttribute.Int(a.getI());
            case FLOAT -> new OnnxAttribute.Float(a.getF());
            case STRING -> new OnnxAttribute.Str(a.getS().toStringUtf8());
            case INTS -> new OnnxAttribute.Ints(a.getIntsList().stream().mapToLong(Long::longValue).toArray());
            case FLOATS -> {
                float[] f = new float[a.getFloatsCount()];
                for (int i = 0; i < f.length; i++) f[i] = a.getFloats(i);
                yield new OnnxAttribute.Floats(f);
            }
            case STRINGS -> new OnnxAttribute.Strings(a.getStringsList().stream().map(s -> s.toStringUtf8()).toList());
            case TENSOR -> new OnnxAttribute.Tensor(new OnnxTensor(a.getT(), tensorName(a, n), model));
            case GRAPH -> new OnnxAttribute.Graph(of(a.getG(), model));
            case GRAPHS -> {
                List<OnnxGraph> gs = new ArrayList<>();
                for (GraphProto g : a.getGraphsList()) gs.add(of(g, model));
                yield new OnnxAttribute.Graphs(List.copyOf(gs));
            }
            default -> new OnnxAttribute.Other(a.getType().name());
        };
    }

    /** A Constant's value goes by the node's output name, as the graph refers to it. */
    private static String tensorName(AttributeProto a, NodeProto n) {
        if (!a.getT().getName().isEmpty()) return a.getT().getName();
        return n.getOutputCount() > 0 ? n.getOutput(0) : n.getName() + "." + a.getName();
    }

    private static List<ValueInfo> values(List<ValueInfoProto> list) {
        List<ValueInfo> out = new ArrayList<>();
        for (ValueInfoProto v : list) {
            boolean tensor = v.getType().hasTensorType();
            Optional<ElementType> type = tensor ? ElementType.of(v.getType().getTensorType().getElemType()) : Optional.empty();
            List<String> dims = new ArrayList<>();
            boolean hasShape = tensor && v.getType().getTensorType().hasShape();
            if (hasShape) {
                for (TensorShapeProto.Dimension d : v.getType().getTensorType().getShape().getDimList()) {
                    dims.add(d.hasDimValue() ? Long.toString(d.getDimValue()) : d.hasDimParam() && !d.getDimParam().isEmpty() ? d.getDimParam() : "?");
                }
            }
            out.add(new ValueInfo(v.getName(), type, dims, hasShape));
        }
        return List.copyOf(out);
    }

    public String name() {
        return name;
    }

    public List<ValueInfo> inputs() {
        return inputs;
    }

    public List<ValueInfo> outputs() {
        return outputs;
    }

    /** Initializers by name, in file order. */
    public Map<String, OnnxTensor> initializers() {
        return initializers;
    }

    /** Nodes in a stable topological order (the file's order wherever it is already valid). */
    public List<OnnxNode> nodes() {
        return nodes;
    }

    /**
     * Graph inputs that an initializer does not also provide (models of IR version &lt; 4 list every
     * initializer as an input too): what a caller must feed.
     */
    public List<ValueInfo> runtimeInputs() {
        return inputs.stream().filter(v -> !initializers.containsKey(v.name())).toList();
    }

    /** The constant a name stands for in this graph: an initializer or a Constant node's {@code value}. */
    public Optional<OnnxTensor> constant(String valueName) {
        OnnxTensor t = initializers.get(valueName);
        if (t != null) return Optional.of(t);
        for (OnnxNode n : nodes) {
            if (n.opType().equals("Constant") && n.standard() && n.outputs().contains(valueName)) return n.tensorAttr("value");
        }
        return Optional.empty();
    }
}
