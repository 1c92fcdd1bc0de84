package org.ternary4j.formats.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Tq2_0Test {
    private final Tq2_0 f = new Tq2_0();

    @Test
    void handComputedBlock() {
        byte[] codes = new byte[256];
        codes[1] = -1;        // byte 1, bits 0-1: q = 0
        codes[32 + 1] = 1;    // byte 1, bits 2-3: q = 2
        codes[128 + 96 + 5] = 1; // second chunk, byte 32 + 5, bits 6-7: q = 2
        byte[] out = new byte[66];
        f.encode(codes, 0, TernaryBlocks.scaleBits(1.5f), out, 0);
        byte[] expected = new byte[66];
        Arrays.fill(expected, 0, 64, (byte) 0x55); // four zeros: q = 1 in every 2-bit field
        expected[1] = (byte) 0b01_01_10_00;
        expected[32 + 5] = (byte) 0b10_01_01_01;
        expected[64] = 0x00; // 1.5 = f16 0x3E00, little-endian
        expected[65] = 0x3E;
        assertArrayEquals(expected, out);
    }

    @Test
    void refusesNonTernaryCodesAndOversizedScales() {
        byte[] codes = new byte[256];
        codes[9] = 2;
        assertThrows(IllegalArgumentException.class, () -> f.encode(codes, 0, (short) 0, new byte[66], 0));
        var e = assertThrows(IllegalArgumentException.class, () -> TernaryBlocks.scaleBits(70000f));
        assertEquals("block scale 70000.0 exceeds the f16 range (65504)", e.getMessage());
    }
}
