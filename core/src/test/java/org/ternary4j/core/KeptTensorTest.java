package org.ternary4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KeptTensorTest {

    @Test
    void int8UsesOneSymmetricScalePerRow() {
        // Row 0: max |w| = 2.54 → s = 0.02, 1.0 / 0.02 = 50; row 1 all zero → scale 0, values 0.
        float[] w = {2.54f, -1.0f, 0.011f, 0f, 0f, 0f};
        KeptTensor.Int8 t = (KeptTensor.Int8) KeptTensor.of(KeptTensor.Precision.INT8, new int[] {2, 3}, w);
        assertEquals(0.02f, t.scales()[0], 1e-7f);
        assertEquals(0f, t.scales()[1]);
        assertArrayEquals(new byte[] {127, -50, 1, 0, 0, 0}, t.values());
        float[] d = t.dequantize();
        for (int i = 0; i < 3; i++) assertEquals(w[i], d[i], t.scales()[0] / 2 + 1e-6f);
        assertEquals((8.0 * 6 + 32 * 2) / 6, t.bitsPerWeight(), 1e-12);
    }

    @Test
    void fp16RoundsToTheNearestHalf() {
        float[] w = {1f, 1f + 1f / 4096, -65504f, 3.0e-8f};
        KeptTensor t = KeptTensor.of(KeptTensor.Precision.FP16, new int[] {1, 4}, w);
        // 1 + 2⁻¹² lies halfway-below the next half (1 + 2⁻¹⁰): it rounds to 1; 3e-8 is a subnormal half.
        float[] d = t.dequantize();
        assertEquals(1f, d[0]);
        assertEquals(1f, d[1]);
        assertEquals(-65504f, d[2]);
        assertEquals(5.9604645e-8f * Math.round(3.0e-8f / 5.9604645e-8f), d[3]);
        assertEquals(16, t.bitsPerWeight());
        assertThrows(IllegalArgumentException.class, () -> KeptTensor.of(KeptTensor.Precision.FP16, new int[] {1}, new float[] {70000f}));
    }

    @Test
    void refusesNonFiniteWeightsAndBadShapes() {
        assertThrows(NonFiniteWeightException.class, () -> KeptTensor.of(KeptTensor.Precision.INT8, new int[] {1, 2}, new float[] {1, Float.NaN}));
        assertThrows(IllegalArgumentException.class, () -> KeptTensor.of(KeptTensor.Precision.INT8, new int[] {2, 2}, new float[3]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeptTensor.Precision.parse("int4"));
        assertTrue(e.getMessage().contains("int4"));
    }
}
