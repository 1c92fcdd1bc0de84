package org.ternary4j.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import java.util.List;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Threshold;

/**
 * TTQ (spec §2.3): Δ = 0.05·max|w| per group, levels {−W_n, 0, +W_p} with W_p, W_n learned. The
 * codes are core's threshold projection per group (|w| ≥ Δ kept, the rule SYQ states for the same Δ).
 * Written as q + (w − sg(w))·sg(slope) so that autograd gives exactly ∂L/∂w = W_p·g, g, W_n·g on
 * the positive, zero and negative sets, ∂L/∂W_p = Σ_pos g and ∂L/∂W_n = −Σ_neg g.
 */
public final class TtqQuantizer implements WeightQuantizer {
    /** Δ = DELTA_RATIO·max|w| (spec §2.3). */
    static final double DELTA_RATIO = 0.05;
    private final Grouping grouping;
    private final Parameter wp = Parameter.builder().setName("ttq_wp").setType(Parameter.Type.OTHER).optInitializer(Initializer.ONES).build();
    private final Parameter wn = Parameter.builder().setName("ttq_wn").setType(Parameter.Type.OTHER).optInitializer(Initializer.ONES).build();

    public TtqQuantizer(Grouping grouping) {
        this.grouping = grouping;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(wp, wn);
    }

    @Override
    public void prepare(Shape weightShape) {
        Shape scaleShape = ScaleShape.of(grouping, weightShape, "ttq");
        wp.setShape(scaleShape);
        wn.setShape(scaleShape);
    }

    /** Masks of the positive and negative sets; no gradient. */
    private NDArray[] masks(NDArray w) {
        NDArray t = CoreCodes.asTensor(CoreCodes.project(new Threshold(DELTA_RATIO), grouping, w).codes(), w);
        return new NDArray[] {t.gt(0f).toType(DataType.FLOAT32, false), t.lt(0f).toType(DataType.FLOAT32, false)};
    }

    /** W_p, W_n start at the least-squares fit for the initial codes: the mean |w| of each set. */
    @Override
    public void initialise(NDArray weight, List<NDArray> params) {
        int[] axes = ScaleShape.groupAxes(params.get(0).getShape());
        NDArray[] m = masks(weight);
        NDArray ws = weight.stopGradient();
        params.get(0).set(ws.mul(m[0]).sum(axes, true).div(m[0].sum(axes, true).maximum(1f)).toFloatArray());
        params.get(1).set(ws.neg().mul(m[1]).sum(axes, true).div(m[1].sum(axes, true).maximum(1f)).toFloatArray());
    }

    @Override
    public NDArray effective(NDArray w, List<NDArray> params) {
        NDArray pWp = params.get(0), pWn = params.get(1);
        NDArray[] m = masks(w);
        NDArray pos = m[0], neg = m[1];
        NDArray zero = pos.add(neg).neg().add(1f);
        NDArray q = pos.mul(pWp).sub(neg.mul(pWn));
        NDArray slope = pos.mul(pWp.stopGradient()).add(neg.mul(pWn.stopGradient())).add(zero);
        return q.add(w.sub(w.stopGradient()).mul(slope));
    }

    @Override
    public Grouping grouping() {
        return grouping;
    }
}
