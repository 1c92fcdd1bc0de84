package org.ternary4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;

class TtqQuantizerTest {

    @Test
    void perRowCodesKeepWeightsExactlyAtDeltaAndEqualPostTrainingThreshold() {
        // Row 0: max 20, Δ = 1 exactly; row 1: max 10, Δ = 0.5 exactly. Ties are kept.
        float[] w = {20, 1, -1, 0.5f, -10, -0.5f, 0.5f, 0.25f};
        byte[] expected = {1, 1, -1, 0, -1, -1, 1, 0};
        Grouping row = new Grouping.Row();
        float[] ones = {1, 1};
        // W_p = W_n = 1: the forward value is the code.
        byte[] qat = QuantizerForward.codes(QuantizerForward.of(new TtqQuantizer(row), w, new Shape(2, 4), ones, ones));
        byte[] ptq = new Ternarizer(Projections.parse("threshold:0.05"), row).apply(new int[] {2, 4}, w).codes();
        assertArrayEquals(expected, qat);
        assertArrayEquals(expected, ptq);
    }
}
