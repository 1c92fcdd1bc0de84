package org.ternary4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;

class SyqQuantizerTest {

    @Test
    void codesKeepWeightsExactlyAtEtaAndEqualPostTrainingThreshold() {
        // max|w| = 20, η = 0.05·20 = 1 exactly; |w| = 1 is kept (spec §2.4: |w| ≥ η).
        float[] w = {20, 1, -1, 0.5f, -20, -1, 1.5f, 0, 0.999f, -0.999f, 1, 0};
        byte[] expected = {1, 1, -1, 0, -1, -1, 1, 0, 0, 0, 1, 0};
        float[] alphaOne = {1};
        byte[] qat = QuantizerForward.codes(QuantizerForward.of(new SyqQuantizer(new Grouping.WholeTensor()), w, new Shape(3, 4), alphaOne));
        byte[] ptq = new Ternarizer(Projections.parse("threshold:0.05"), new Grouping.WholeTensor()).apply(new int[] {3, 4}, w).codes();
        assertArrayEquals(expected, qat);
        assertArrayEquals(expected, ptq);
    }
}
