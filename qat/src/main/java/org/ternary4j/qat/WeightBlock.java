package org.ternary4j.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A convolution or fully connected layer named as its {@link Layer} description names it, so that
 * export finds its weight and bias under the names the ONNX graph uses.
 */
public final class WeightBlock extends AbstractBlock {
    private final Layer.Weighted spec;
    private final Parameter weight;
    private final Parameter bias;

    public WeightBlock(Layer.Weighted spec) {
        this.spec = spec;
        weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build());
        bias = spec.bias() ? addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).build()) : null;
    }

    public Layer.Weighted spec() {
        return spec;
    }

    public Parameter weight() {
        return weight;
    }

    /** Null when the layer has no bias. */
    public Parameter bias() {
        return bias;
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        long in = inputShapes[0].get(1);
        Shape w = switch (spec) {
            case Layer.Conv c -> new Shape(c.out(), in, c.kernel(), c.kernel());
            case Layer.Dense d -> new Shape(d.out(), in);
        };
        weight.setShape(w);
        if (bias != null) bias.setShape(new Shape(spec.out()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        Shape x = inputs[0];
        return new Shape[] {switch (spec) {
            case Layer.Conv c -> new Shape(x.get(0), c.out(), outSide(x.get(2), c), outSide(x.get(3), c));
            case Layer.Dense d -> new Shape(x.get(0), d.out());
        }};
    }

    private static long outSide(long side, Layer.Conv c) {
        return (side + 2L * c.pad() - c.kernel()) / c.stride() + 1;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        NDArray b = bias == null ? null : ps.getValue(bias, x.getDevice(), training);
        return switch (spec) {
            case Layer.Conv c -> Conv2d.conv2d(x, w, b, new Shape(c.stride(), c.stride()), new Shape(c.pad(), c.pad()));
            case Layer.Dense d -> Linear.linear(x, w, b);
        };
    }
}
