package org.ternary4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/** Constant factors and arrays from Java data keep their values for the backward pass after being closed. */
class EngineArraysTest {
    @Test
    void gradientsThroughClosedFactorsAreExactAfterTheirMemoryIsReused() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1, 2, 3});
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y;
                // As in a forward pass: every intermediate, the factors included, is closed before backward.
                try (NDScope scope = new NDScope()) {
                    NDArray codes = EngineArrays.owned(m.create(new float[] {5, 6, 7}));
                    y = EngineArrays.mul(x, 3f).add(EngineArrays.div(x, 4f)).add(EngineArrays.pow(x, 2f))
                            .add(EngineArrays.maximum(x, 1.5f)).add(x.mul(codes)).sum();
                    NDScope.unregister(y);
                }
                var held = FreedMemory.poison();
                gc.backward(y);
                held.clear();
            }
            // d/dx: 3 + 1/4 + 2x + [x > 1.5] + codes
            assertArrayEquals(new float[] {10.25f, 14.25f, 17.25f}, x.getGradient().toFloatArray(), 1e-6f);
        }
    }
}
