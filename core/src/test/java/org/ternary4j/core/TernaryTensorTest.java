package org.ternary4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

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
}
