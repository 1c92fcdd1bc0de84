package org.ternary4j.qat.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.ternary4j.formats.onnx.ElementType;
import org.ternary4j.formats.onnx.OnnxGraph;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.formats.onnx.OnnxTensor;

/**
 * Runs an ONNX model's main graph over DJL arrays, node by node in the model layer's topological
 * order. On the PyTorch engine every op records gradients, so a loss on the outputs
 * back-propagates into any array fed in, including weights given in place of the model's
 * constants: this is what fine-tunes an arbitrary ONNX model. Constants (initializers and
 * Constant nodes) are decoded once into the constants manager.
 */
public final class GraphInterpreter {
    private static final Map<String, Op> OPS = new HashMap<>();

    static {
        ElementwiseOps.register(OPS);
        ConvOps.register(OPS);
        MatrixOps.register(OPS);
        ShapeOps.register(OPS);
        IndexOps.register(OPS);
    }

    private final String file;
    private final OnnxGraph graph;
    private final long opset;
    private final Map<String, NDArray> constants = new LinkedHashMap<>();
    private final List<OnnxNode> nodes = new ArrayList<>();
    /** For each value name, the index of the last node that reads it (values nobody reads are not listed). */
    private final Map<String, Integer> lastUse = new HashMap<>();

    private GraphInterpreter(OnnxModel model, NDManager manager) throws IOException {
        this.file = model.file().toString();
        this.graph = model.graph();
        this.opset = model.opset("");
        Set<String> unsupported = new TreeSet<>();
        for (OnnxNode n : graph.nodes()) {
            if (!n.standard() || !n.subgraphs().isEmpty() || !n.opType().equals("Constant") && !OPS.containsKey(n.opType())) {
                unsupported.add(n.standard() ? n.opType() : n.domain() + "." + n.opType());
            }
        }
        if (!unsupported.isEmpty()) throw new IOException(file + ": operators the differentiable interpreter does not support: " + String.join(", ", unsupported));
        for (OnnxTensor t : graph.initializers().values()) constants.put(t.name(), array(t, manager));
        for (OnnxNode n : graph.nodes()) {
            if (n.opType().equals("Constant")) constants.put(n.outputs().get(0), constantNode(n, manager));
            else nodes.add(n);
        }
        for (int i = 0; i < nodes.size(); i++) for (String in : nodes.get(i).inputs()) if (!in.isEmpty()) lastUse.put(in, i);
    }

    /** Reads the graph and decodes its constants into {@code manager}; refuses a graph with an op it cannot run. */
    public static GraphInterpreter of(OnnxModel model, NDManager manager) throws IOException {
        return new GraphInterpreter(model, manager);
    }

    /** The standard operator set's version. */
    public long opset() {
        return opset;
    }

    public OnnxGraph graph() {
        return graph;
    }

    /** The decoded constant named {@code name} (initializer or Constant node output), or null. */
    public NDArray constant(String name) {
        return constants.get(name);
    }

    /**
     * Runs the graph. {@code feeds} gives the runtime inputs by name; {@code replaced} gives arrays
     * used instead of constants of the same name (trainable weights). Returns the values named in
     * {@code wanted} (graph outputs or any intermediate), in that order; other intermediates are
     * closed once their last reader has run.
     */
    public Map<String, NDArray> run(Map<String, NDArray> feeds, Map<String, NDArray> replaced, List<String> wanted) {
        return run(feeds, replaced, wanted, (node, inputs) -> inputs);
    }

    /** Sees, and may replace, a node's inputs just before it runs (batch-norm statistics measured on the fly). */
    @FunctionalInterface
    public interface Tap {
        List<NDArray> inputs(OnnxNode node, List<NDArray> inputs);
    }

    /** As {@link #run(Map, Map, List)}, passing every node's inputs through {@code tap}. */
    public Map<String, NDArray> run(Map<String, NDArray> feeds, Map<String, NDArray> replaced, List<String> wanted, Tap tap) {
        return run(feeds, replaced, wanted, tap, false);
    }

    /**
     * As {@link #run(Map, Map, List, Tap)}; with {@code closeTemporaries} every array a node (and
     * the tap) creates besides its outputs is closed as soon as the node has run, for passes that
     * record no gradients: a pass over thousands of examples at once then holds only the live values.
     */
    public Map<String, NDArray> run(Map<String, NDArray> feeds, Map<String, NDArray> replaced, List<String> wanted, Tap tap, boolean closeTemporaries) {
        for (var v : graph.runtimeInputs()) {
            if (!feeds.containsKey(v.name())) throw new IllegalArgumentException(file + ": no array for the model input '" + v.name() + "'");
        }
        NDManager m = feeds.values().iterator().next().getManager();
        Map<String, NDArray> env = new HashMap<>(constants);
        env.putAll(replaced);
        env.putAll(feeds);
        Set<String> keep = new java.util.HashSet<>(wanted);
        keep.addAll(env.keySet());
        for (int i = 0; i < nodes.size(); i++) {
            OnnxNode n = nodes.get(i);
            List<NDArray> ins = new ArrayList<>(n.inputs().size());
            for (String in : n.inputs()) {
                if (in.isEmpty()) {
                    ins.add(null);
                    continue;
                }
                NDArray a = env.get(in);
                if (a == null) throw new IllegalArgumentException(file + ": node '" + n.label() + "' reads '" + in + "', which nothing produced");
                ins.add(a);
            }
            NDArray[] outs;
            if (closeTemporaries) {
                try (NDScope scope = new NDScope()) {
                    outs = OPS.get(n.opType()).apply(new NodeCall(n, tap.inputs(n, ins), opset, m));
                    for (NDArray o : outs) if (o != null) NDScope.unregister(o);
                }
            } else {
                outs = OPS.get(n.opType()).apply(new NodeCall(n, tap.inputs(n, ins), opset, m));
            }
            for (int k = 0; k < n.outputs().size() && k < outs.length; k++) if (!n.outputs().get(k).isEmpty()) env.put(n.outputs().get(k), outs[k]);
            for (String in : n.inputs()) {
                if (in.isEmpty() || keep.contains(in) || lastUse.getOrDefault(in, -1) != i) continue;
                NDArray dead = env.remove(in);
                if (dead != null && !env.containsValue(dead)) dead.close();
            }
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String w : wanted) {
            NDArray a = env.get(w);
            if (a == null) throw new IllegalArgumentException(file + ": the graph computes no value named '" + w + "'");
            out.put(w, a);
        }
        return out;
    }

    /** The node that produces {@code value}, if any. */
    public java.util.Optional<OnnxNode> producer(String value) {
        for (OnnxNode n : nodes) if (n.outputs().contains(value)) return java.util.Optional.of(n);
        return java.util.Optional.empty();
    }

    /** The node that alone reads {@code value}, if there is one and it is an {@code op}. */
    public java.util.Optional<OnnxNode> soleConsumer(String value, String op) {
        List<OnnxNode> next = consumers(value);
        return next.size() == 1 && next.get(0).opType().equals(op) ? java.util.Optional.of(next.get(0)) : java.util.Optional.empty();
    }

    /** Every node that reads {@code value}. */
    public List<OnnxNode> consumers(String value) {
        return nodes.stream().filter(n -> n.inputs().contains(value)).toList();
    }

    private NDArray constantNode(OnnxNode n, NDManager manager) throws IOException {
        var t = n.tensorAttr("value");
        if (t.isPresent()) return array(t.get(), manager);
        if (n.has("value_float")) return manager.create(n.floatAttr("value_float", 0));
        if (n.has("value_floats")) return manager.create(n.floatsAttr("value_floats"));
        if (n.has("value_int")) return manager.create(n.intAttr("value_int", 0));
        if (n.has("value_ints")) return manager.create(n.intsAttr("value_ints"));
        throw new IOException(file + ": Constant node '" + n.label() + "' has a value kind the interpreter does not support");
    }

    /** A stored tensor as an engine array: float types as FLOAT32, integers as INT64 (INT32 kept), BOOL as BOOLEAN. */
    static NDArray array(OnnxTensor t, NDManager manager) throws IOException {
        Shape shape = new Shape(java.util.Arrays.stream(t.shape()).asLongStream().toArray());
        ElementType type = t.type().orElseThrow(() -> new IOException(t.name() + ": element type not supported by the interpreter"));
        if (type.isFloat()) return manager.create(t.floats(), shape);
        long[] v = t.longs();
        return switch (type) {
            case BOOL -> {
                boolean[] b = new boolean[v.length];
                for (int i = 0; i < v.length; i++) b[i] = v[i] != 0;
                yield manager.create(b, shape);
            }
            case INT32 -> manager.create(java.util.Arrays.stream(v).mapToInt(Math::toIntExact).toArray(), shape);
            default -> manager.create(v, shape);
        };
    }
}
