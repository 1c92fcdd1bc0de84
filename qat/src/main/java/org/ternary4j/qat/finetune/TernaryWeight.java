package org.ternary4j.qat.finetune;

import ai.djl.Device;
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
import java.util.List;
import org.ternary4j.qat.WeightQuantizer;

/**
 * One ternarized weight of an ONNX graph: its latent float weight in core's canonical layout
 * [out, in, …] (so groupings mean what they mean to the ternarizer), the quantizer's learned
 * scales, and the effective weight in the layout the op stores it (MatMul's [in, out] is the
 * transpose), optionally with its scales rounded to FP16. A child block of {@link GraphBlock}, so parameter names stay unique per weight.
 */
final class TernaryWeight extends AbstractBlock {
    private final String onnxName;
    private final Shape canonical;
    private final boolean transposed;
    private final WeightQuantizer quantizer;
    private final Parameter latent;
    private final List<Parameter> extra = new ArrayList<>();
    private final boolean halfScales;

    TernaryWeight(String onnxName, Shape canonical, boolean transposed, WeightQuantizer quantizer, boolean halfScales) {
        this.onnxName = onnxName;
        this.canonical = canonical;
        this.transposed = transposed;
        this.halfScales = halfScales;
        this.quantizer = quantizer;
        latent = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).optShape(canonical).optInitializer(Initializer.ZEROS).build());
        quantizer.prepare(canonical);
        for (Parameter p : quantizer.parameters()) extra.add(addParameter(p));
    }

    String onnxName() {
        return onnxName;
    }

    Shape canonical() {
        return canonical;
    }

    boolean transposed() {
        return transposed;
    }

    WeightQuantizer quantizer() {
        return quantizer;
    }

    Parameter latent() {
        return latent;
    }

    /** Sets the latent weight (canonical layout) and fits the quantizer's scales to it. */
    void start(float[] canonicalValues) {
        latent.getArray().set(canonicalValues);
        quantizer.initialise(latent.getArray(), extra.stream().map(Parameter::getArray).toList());
    }

    /** The effective weight in canonical layout, owned by {@code owner}; with training, the method's gradients flow back into the latent weight and scales. */
    NDArray effectiveCanonical(ParameterStore ps, NDManager owner, boolean training) {
        Device device = owner.getDevice();
        NDArray w = ps.getValue(latent, device, training);
        List<NDArray> p = new ArrayList<>(extra.size());
        for (Parameter e : extra) p.add(ps.getValue(e, device, training));
        NDArray eff = quantizer.effectiveScoped(w, p);
        eff.attach(owner); // left on the parameters' manager, each step's would live for the whole run
        if (halfScales) eff = roundedToHalf(eff); // made on owner, as eff now is
        return eff;
    }

    /**
     * Each value rounded to the nearest FP16 one: a ternary value is ±scale or 0, so this is each
     * group's scale rounded as {@code --scales f16} stores it, and training sees the weights the file
     * will hold. The gradient passes straight through in FP32: autograd does not record DJL's
     * {@code toType}, so through the casts alone the latent weights got no gradient at all (only
     * biases and norms trained), and a recorded cast would round small gradients to FP16.
     */
    static NDArray roundedToHalf(NDArray eff) {
        try (NDScope scope = new NDScope()) {
            NDArray rounded = eff.toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false);
            // eff + (rounded − eff) is exactly rounded: the two are within a factor of two, so the difference is exact
            NDArray out = eff.add(rounded.sub(eff).stopGradient());
            NDScope.unregister(out);
            return out;
        }
    }

    /** The effective weight as the op stores it. */
    NDArray effectiveStored(ParameterStore ps, NDManager owner, boolean training) {
        NDArray eff = effectiveCanonical(ps, owner, training);
        return transposed ? eff.transpose() : eff;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        throw new UnsupportedOperationException("a ternary weight is read through its graph, not run on its own");
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {canonical};
    }
}
