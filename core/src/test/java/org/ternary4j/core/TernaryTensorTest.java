package org.ternary4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;

class TernaryTensorTest {

    /** The eight-bytes-at-a-time check against the plain definition, for every byte value at every lane and in the tail. */
    @Test
    void ternaryAcceptsExactlyMinusOneZeroAndOne() {
        for (int length : new int[] {1, 7, 8, 9, 16, 19}) {
            for (int pos = 0; pos < length; pos++) {
                for (int v = -128; v < 128; v++) {
                    byte[] codes = new byte[length];
                    for (int i = 0; i < length; i++) codes[i] = (byte) (i % 3 - 1);
                    codes[pos] = (byte) v;
                    assertEquals(v >= -1 && v <= 1, TernaryTensor.ternary(codes), "value " + v + " at " + pos + " of " + length);
                }
            }
        }
    }

    @Test
    void halfScalesRoundToTheNearestFp16Value() {
        // FP16 has 10 fraction bits: 0.1 lies between 0.0999755859375 (1638/16384) and 0.10003662109375
        // (1639/16384), nearer the first; 1 + 2^-11 is a tie between 1 and 1 + 2^-10 and goes to even (1).
        TernaryTensor t = new TernaryTensor(new int[] {3, 2}, new Grouping.Row(), "m", new byte[] {1, -1, 0, 1, -1, 0},
                new float[] {0.1f, 1f + 0x1p-11f, 3f}, new float[] {0.5f, 1e-8f, 65504f});
        assertFalse(t.halfScales());
        TernaryTensor h = t.withHalfScales();
        assertArrayEquals(new float[] {1638f / 16384, 1f, 3f}, h.scalePos());
        assertArrayEquals(new float[] {0.5f, 0f, 65504f}, h.scaleNeg()); // 1e-8 is below half the smallest subnormal (2^-24)
        assertTrue(h.halfScales());
        assertArrayEquals(t.codes(), h.codes());
        assertArrayEquals(new float[] {1638f / 16384, -0.5f, 0f, 1f, -65504f, 0f}, h.dequantize());
    }

    @Test
    void halfScalesRefuseValuesBeyondTheFp16Range() {
        TernaryTensor t = new TernaryTensor(new int[] {1, 2}, new Grouping.Row(), "m", new byte[] {1, 0}, new float[] {70000f}, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, t::withHalfScales);
        assertTrue(e.getMessage().contains("exceeds the FP16 range"), e.getMessage());
    }

    @Test
    void bitsPerWeightCountsSixteenBitsPerHalfScale() {
        // 8 codes in 2-bit packing: 2 bytes = 16 bits; two groups of one scale each
        TernaryTensor t = new TernaryTensor(new int[] {2, 4}, new Grouping.Row(), "m", new byte[8], new float[] {1f, 2f}, null);
        assertEquals((16 + 2 * 32) / 8.0, t.bitsPerWeight(Packing.TWO_BIT), 1e-12);
        assertEquals((16 + 2 * 16) / 8.0, t.bitsPerWeight(Packing.TWO_BIT, true), 1e-12);
    }
}
