package org.ternary4j.qat.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class TernaryWeightTest {

    /**
     * FP16 scales: the forward values are the FP16 roundings, and the gradient reaches the FP32
     * weight unchanged however small it is (a plain cast's backward flushed these to zero).
     */
    @Test
    void halfRoundingPassesSmallGradientsThroughUnchanged() {
        float[] w = {0.1f, -0.1f, 0f, 1.00048828125f, 3e-8f, 1e-9f, -70000f};
        float[] c = {1e-9f, -3e-12f, 2e-10f, 5e-8f, 1e-30f, 7f, 1e-20f};
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray wa = m.create(w);
            wa.setRequiresGradient(true);
            float[] forward;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray r = TernaryWeight.roundedToHalf(wa);
                gc.backward(r.mul(m.create(c)).sum());
                forward = r.toFloatArray();
            }
            float[] half = new float[w.length];
            for (int i = 0; i < w.length; i++) half[i] = Float.float16ToFloat(Float.floatToFloat16(w[i]));
            assertArrayEquals(half, forward);
            assertArrayEquals(c, wa.getGradient().toFloatArray());
        }
    }
}
