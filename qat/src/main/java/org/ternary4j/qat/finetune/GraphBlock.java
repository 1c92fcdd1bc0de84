package org.ternary4j.qat.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.qat.graph.GraphInterpreter;

/**
 * An ONNX graph as one DJL block: the interpreter runs it with the ternarized weights' effective
 * values and the trainable biases in place of the model's constants; everything else (batch-norm
 * statistics and affine factors, other constants) stays frozen as stored, unless batch norms
 * train in their training form. Inputs are the model's
 * runtime inputs in order; outputs are the values named in {@code outputs} (the distillation targets).
 */
final class GraphBlock extends AbstractBlock {
    private final GraphInterpreter graph;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, TernaryWeight> weights = new LinkedHashMap<>();
    private final Map<String, Parameter> biases = new LinkedHashMap<>();
    /** Constants replaced for the student without training them (a calibrated start's other tensors). */
    private final Map<String, NDArray> fixed = new HashMap<>();
    /** Batch norms that normalise by their batch's statistics while training. */
    private Set<OnnxNode> normsInTrainingForm = Set.of();
    /** Weights of layers kept in full precision that train in float (among {@link #biases}). */
    private final Set<String> keptTrained = new LinkedHashSet<>();

    GraphBlock(GraphInterpreter graph, List<String> inputs, List<String> outputs) {
        this.graph = graph;
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
    }

    void addWeight(TernaryWeight w) {
        weights.put(w.onnxName(), addChildBlock("w" + weights.size(), w));
    }

    void addBias(String onnxName, Shape shape) {
        biases.put(onnxName, addParameter(Parameter.builder().setName("bias" + biases.size()).setType(Parameter.Type.BIAS)
                .optShape(shape).optInitializer(Initializer.ZEROS).build()));
    }

    /** A full-precision layer's weight that trains in float, as a bias does. */
    void addKeptWeight(String onnxName, Shape shape) {
        addBias(onnxName, shape);
        keptTrained.add(onnxName);
    }

    /** The weights of every layer whose output changes in training: the ternarized ones, then the kept ones that train. */
    List<String> trainedLayers() {
        List<String> out = new ArrayList<>(weights.keySet());
        out.addAll(keptTrained);
        return out;
    }

    void trainNorms(Set<OnnxNode> norms) {
        normsInTrainingForm = Set.copyOf(norms);
    }

    void fix(String onnxName, NDArray value) {
        fixed.put(onnxName, value);
    }

    Map<String, TernaryWeight> weights() {
        return weights;
    }

    Map<String, Parameter> biases() {
        return biases;
    }

    List<String> outputs() {
        return outputs;
    }

    /** Children take no input shapes: each weight knows its own. */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (var child : getChildren().values()) child.initialize(manager, dataType);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        NDManager m = in.head().getManager();
        NDList out = new NDList();
        // Every intermediate of the graph is closed here; autograd keeps what backward needs.
        try (NDScope scope = new NDScope()) {
            Map<String, NDArray> feeds = new LinkedHashMap<>();
            for (int i = 0; i < inputs.size(); i++) feeds.put(inputs.get(i), in.get(i));
            GraphInterpreter.Tap tap = training ? BatchNormStatistics.trainingForm(normsInTrainingForm) : (node, values) -> values;
            for (NDArray a : graph.run(feeds, studentValues(ps, m, training), outputs, tap).values()) {
                NDScope.unregister(a);
                out.add(a);
            }
        }
        for (NDArray o : out) o.attach(m);
        return out;
    }

    /** What the student uses instead of the model's constants: effective weights, trained biases, fixed values. */
    Map<String, NDArray> studentValues(ParameterStore ps, NDManager m, boolean training) {
        Map<String, NDArray> replaced = new HashMap<>(fixed);
        for (TernaryWeight w : weights.values()) replaced.put(w.onnxName(), w.effectiveStored(ps, m, training));
        for (var b : biases.entrySet()) replaced.put(b.getKey(), ps.getValue(b.getValue(), m.getDevice(), training));
        return replaced;
    }

    Map<String, NDArray> fixed() {
        return fixed;
    }

    GraphInterpreter graph() {
        return graph;
    }

    List<String> inputNames() {
        return inputs;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        throw new UnsupportedOperationException("output shapes of an ONNX graph are known only by running it");
    }
}
