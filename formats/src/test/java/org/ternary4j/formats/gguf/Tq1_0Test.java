package org.ternary4j.formats.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Tq1_0Test {
    private final Tq1_0 f = new Tq1_0();

    @Test
    void handComputedBlocks() {
        byte[] out = new byte[54];
        // All zeros: five digits 1 = 121 → ceil(121·256/243) = 128; four digits 1 then a 0 digit = 120 → 127.
        f.encode(new byte[256], 0, TernaryBlocks.scaleBits(2f), out, 0);
        byte[] expected = new byte[54];
        Arrays.fill(expected, 0, 48, (byte) 128);
        Arrays.fill(expected, 48, 52, (byte) 127);
        expected[53] = 0x40; // 2.0 = f16 0x4000
        assertArrayEquals(expected, out);
        // All +1: 22222₃ = 242 → 255; 22220₃ = 240 → ceil(252.84) = 253.
        byte[] ones = new byte[256];
        Arrays.fill(ones, (byte) 1);
        f.encode(ones, 0, (short) 0, out, 0);
        for (int i = 0; i < 48; i++) assertEquals((byte) 255, out[i]);
        for (int i = 48; i < 52; i++) assertEquals((byte) 253, out[i]);
        // Element 32 is the second (3³) digit of byte 0: 12111₃ = 81·1 + 27·2 + 9 + 3 + 1 = 148 → ceil(155.92) = 156.
        byte[] one = new byte[256];
        one[32] = 1;
        f.encode(one, 0, (short) 0, out, 0);
        assertEquals((byte) 156, out[0]);
        assertEquals((byte) 128, out[1]);
    }

    @Test
    void everyDigitPatternDecodes() {
        byte[] codes = new byte[256];
        float[] back = new float[256];
        byte[] out = new byte[54];
        for (int v = 0; v < 243; v++) {
            for (int n = 0, x = v; n < 5; n++, x /= 3) codes[32 * (4 - n)] = (byte) (x % 3 - 1); // elements 0, 32, .., 128 share byte 0
            f.encode(codes, 0, TernaryBlocks.scaleBits(1f), out, 0);
            f.decode(out, 0, back, 0);
            for (int n = 0; n < 5; n++) assertEquals(codes[32 * n], (byte) back[32 * n], "pattern " + v + " digit " + n);
        }
    }
}
