package org.ternary4j.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.List;
import org.ternary4j.core.grouping.Grouping;

/**
 * How one layer turns its latent float weight into the weight the forward pass uses, with the
 * method's backward built in through stop-gradients (spec §2.2–§2.5). One instance per layer:
 * it owns the layer's learned scales or thresholds.
 */
public sealed interface WeightQuantizer
        permits TtqQuantizer, SyqQuantizer, TgaQuantizer, ProjectionQuantizer {

    /** The learned parameters besides the weight, in the order {@link #effective} takes them. */
    default List<Parameter> parameters() {
        return List.of();
    }

    /** Sets the shapes of {@link #parameters()} once the weight's shape is known. */
    default void prepare(Shape weightShape) {}

    /** Sets the learned parameters from the current weight (after loading a pretrained model). */
    default void initialise(NDArray weight, List<NDArray> params) {}

    /** The weight the layer computes with; forward value ternary, gradients as the method says. */
    NDArray effective(NDArray weight, List<NDArray> params);

    /**
     * {@link #effective} with its intermediates released: on the parameters' manager they would
     * otherwise live for the whole run (≈4.5 MB per step). Only the result stays.
     */
    default NDArray effectiveScoped(NDArray weight, List<NDArray> params) {
        try (NDScope scope = new NDScope()) {
            NDArray eff = effective(weight, params);
            NDScope.unregister(eff);
            return eff;
        }
    }

    /** The groups that share a scale, for checking that each has at most three values. */
    Grouping grouping();

    /** Parameters stepped separately before the weights on every batch (TGA's δ). */
    default List<Parameter> alternatingParameters() {
        return List.of();
    }
}
