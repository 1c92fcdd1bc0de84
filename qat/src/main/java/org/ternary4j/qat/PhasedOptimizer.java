package org.ternary4j.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.training.optimizer.Optimizer;
import java.util.Set;

/**
 * Adam that updates either only the alternating parameters (TGA's δ, gradient clamped to
 * ±{@value TgaQuantizer#DELTA_GRADIENT_CLAMP}) or everything else, so a batch can take a δ step
 * and then a weight step as the TGA authors do. With no alternating parameters it is plain Adam.
 */
public final class PhasedOptimizer extends Optimizer {
    public enum Phase { ALTERNATING, OTHERS }

    private final Optimizer adam;
    private final Set<String> alternating;
    private Phase phase = Phase.OTHERS;

    public PhasedOptimizer(Optimizer adam, Set<String> alternating) {
        super(new Builder());
        this.adam = adam;
        this.alternating = alternating;
    }

    public void phase(Phase p) {
        phase = p;
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        boolean alt = alternating.contains(parameterId);
        if (alt != (phase == Phase.ALTERNATING)) return;
        if (!alt) {
            adam.update(parameterId, weight, grad);
            return;
        }
        try (NDArray clamped = grad.clip(-TgaQuantizer.DELTA_GRADIENT_CLAMP, TgaQuantizer.DELTA_GRADIENT_CLAMP)) {
            adam.update(parameterId, weight, clamped);
        }
    }

    private static final class Builder extends OptimizerBuilder<Builder> {
        @Override
        protected Builder self() {
            return this;
        }
    }
}
