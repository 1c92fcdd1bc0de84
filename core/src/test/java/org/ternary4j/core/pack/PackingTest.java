package org.ternary4j.core.pack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class PackingTest {

    @Property(tries = 300)
    void roundTrip(@ForAll @Size(max = 200) java.util.List<@IntRange(min = -1, max = 1) Integer> values) {
        byte[] codes = new byte[values.size()];
        for (int i = 0; i < codes.length; i++) codes[i] = values.get(i).byteValue();
        for (Packing p : Packing.values()) {
            byte[] packed = p.pack(codes);
            assertEquals(p.packedBytes(codes.length), packed.length);
            assertArrayEquals(codes, p.unpack(packed, codes.length));
        }
    }

    @Test
    void layoutsAreTheDocumentedOnes() {
        byte[] codes = {-1, 0, 1, 1, 0, -1, 1};
        // 2bit: digits 0,1,2,2 → 0b10_10_01_00; then 1,0,2 → 0b00_10_00_01
        assertArrayEquals(new byte[] {(byte) 0b10100100, (byte) 0b00100001}, Packing.TWO_BIT.pack(codes));
        // base3: 0 + 1·3 + 2·9 + 2·27 + 1·81 = 156; then 0 + 2·3 + pad 1·9 + 1·27 + 1·81 = 123
        assertArrayEquals(new byte[] {(byte) 156, (byte) 123}, Packing.BASE3.pack(codes));
    }

    @Test
    void invalidBytesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Packing.TWO_BIT.unpack(new byte[] {(byte) 0b11}, 1));
        assertThrows(IllegalArgumentException.class, () -> Packing.BASE3.unpack(new byte[] {(byte) 243}, 5));
        assertThrows(IllegalArgumentException.class, () -> Packing.BASE3.unpack(new byte[] {1, 2}, 3));
        assertThrows(IllegalArgumentException.class, () -> Packing.parse("3bit"));
    }

    @Test
    void bitsPerWeight() {
        assertEquals(2.0, Packing.TWO_BIT.packedBytes(4096) * 8.0 / 4096);
        assertEquals(1.6, Packing.BASE3.packedBytes(4095) * 8.0 / 4095, 1e-12);
    }

    @Test
    void packIntoAndTheVectorStepsGiveTheBytesOfPack() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        for (int n : new int[] {0, 1, 4, 5, 59, 60, 64, 65, 119, 120, 121, 4096, 4101}) {
            byte[] codes = new byte[n + 70];
            for (int i = 0; i < codes.length; i++) codes[i] = (byte) (rnd.nextInt(3) - 1); // codes past n must not count
            byte[] exact = java.util.Arrays.copyOf(codes, n);
            for (Packing p : Packing.values()) {
                byte[] expected = p.pack(exact);
                byte[] out = new byte[n / 4 + 70];
                assertEquals(expected.length, p.packInto(codes, n, out), p + ", n " + n);
                assertArrayEquals(expected, java.util.Arrays.copyOf(out, expected.length), p + ", n " + n);
            }
            byte[] out = new byte[n / 4 + 70];
            int done = Packing.Vectors.packBase3(codes, n, out);
            assertEquals(Packing.BASE3.packedBytes(n), Packing.packBase3(codes, done, n, out));
            assertArrayEquals(Packing.BASE3.pack(exact), java.util.Arrays.copyOf(out, (int) Packing.BASE3.packedBytes(n)), "vector steps, n " + n);
        }
    }
}
