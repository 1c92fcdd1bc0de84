package org.ternary4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Gaussian;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.core.projection.Scales;

class TgaQuantizerTest {

    @Test
    void codesDropWeightsExactlyAtTheThresholdAndEqualPostTraining() {
        // μ = 0, σ = √2, th = δ = 1 (below 3σ): ±1 lie exactly at μ ± th and are dropped (spec §2.5).
        float[] w = {-2, -1, 0, 1, 2};
        float[] q = QuantizerForward.of(new TgaQuantizer(), w, new Shape(5), new float[] {1f});
        double alpha = Math.sqrt(2) * Gaussian.inverseMills(1 / Math.sqrt(2));
        float[] expected = {(float) -alpha, 0, 0, 0, (float) alpha};
        assertArrayEquals(expected, q, 1e-6f);
        // Post-training TGA with δ = 0.5·max|w| = 1 gives the same codes and scale.
        byte[] codes = new byte[5];
        Scales s = Projections.parse("tga:0.5").project(w, 5, codes);
        assertArrayEquals(new byte[] {-1, 0, 0, 0, 1}, codes);
        assertEquals(alpha, s.pos(), 1e-6);
        assertEquals(new Grouping.WholeTensor(), new TgaQuantizer().grouping());
    }
}
