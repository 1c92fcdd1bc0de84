package org.ternary4j.qat;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projection;

/**
 * A core projection (TWN, TNT, two-scale, ...) applied to the latent weight every step, inside an
 * identity straight-through estimator sg(q) + (w − sg(w)): the codes and scales are exactly
 * core's, and nothing but the weight is learned (spec §2.2, §1).
 */
public record ProjectionQuantizer(Projection projection, Grouping grouping) implements WeightQuantizer {

    @Override
    public NDArray effective(NDArray w, List<NDArray> params) {
        float[] q = CoreCodes.project(projection, grouping, w).dequantize();
        NDArray fixed = w.getManager().create(q, w.getShape());
        return fixed.add(w.sub(w.stopGradient()));
    }
}
