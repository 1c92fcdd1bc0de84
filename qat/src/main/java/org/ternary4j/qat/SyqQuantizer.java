package org.ternary4j.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import java.util.List;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Threshold;

/**
 * SYQ (spec §2.4): η = 0.05·max|w| per layer, t = sign(w)·[|w| ≥ η], q = α_g·t with one learned
 * α per group (kernel pixel, kernel row; FC layers one scalar). Backward: ∂L/∂w = α_g·g where
 * t ≠ 0 and g where t = 0; ∂L/∂α_g = Σ_{i∈g} g_i·t_i. The codes are core's threshold projection
 * over the whole layer, so they equal post-training's, ties included.
 */
public final class SyqQuantizer implements WeightQuantizer {
    /** η = ETA_RATIO·max|w| (spec §2.4). */
    static final double ETA_RATIO = 0.05;
    private final Grouping grouping;
    private final Parameter alpha = Parameter.builder().setName("syq_alpha").setType(Parameter.Type.OTHER).optInitializer(Initializer.ONES).build();

    public SyqQuantizer(Grouping grouping) {
        this.grouping = grouping;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(alpha);
    }

    @Override
    public void prepare(Shape weightShape) {
        alpha.setShape(ScaleShape.of(grouping, weightShape, "syq"));
    }

    /** α_g starts at the mean |w| over all weights of its group. */
    @Override
    public void initialise(NDArray weight, List<NDArray> params) {
        int[] axes = ScaleShape.groupAxes(params.get(0).getShape());
        NDArray abs = weight.stopGradient().abs();
        long groupSize = abs.size() / params.get(0).size();
        params.get(0).set(abs.sum(axes, true).div(groupSize).toFloatArray());
    }

    static NDArray codes(NDArray w) {
        return CoreCodes.asTensor(CoreCodes.project(new Threshold(ETA_RATIO), new Grouping.WholeTensor(), w).codes(), w);
    }

    @Override
    public NDArray effective(NDArray w, List<NDArray> params) {
        NDArray a = params.get(0);
        NDArray t = codes(w);
        NDArray kept = t.abs();
        NDArray slope = kept.mul(a.stopGradient()).add(kept.neg().add(1f));
        return t.mul(a).add(w.sub(w.stopGradient()).mul(slope));
    }

    @Override
    public Grouping grouping() {
        return grouping;
    }
}
