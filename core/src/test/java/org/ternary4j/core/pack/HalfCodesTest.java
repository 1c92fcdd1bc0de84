package org.ternary4j.core.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HalfCodesTest {

    @Test
    void bothFormsDecodeEveryBf16PatternToTheFloatWithThoseUpperBits() {
        int at = 3, n = (1 << 16) + 5; // an offset and a length that leave a scalar tail
        short[] h = new short[at + n];
        for (int i = 0; i < n; i++) h[at + i] = (short) i;
        float[] scalar = new float[n], vector = new float[n];
        HalfCodes.decodeBf16(h, at, n, scalar); // short job: the scalar form
        int tail = HalfCodes.Vectors.decodeBf16(h, at, n, vector);
        for (int i = tail; i < n; i++) vector[i] = Float.intBitsToFloat(h[at + i] << 16);
        for (int i = 0; i < n; i++) {
            int expected = (i & 0xffff) << 16;
            assertEquals(expected, Float.floatToRawIntBits(scalar[i]), "scalar, pattern " + i);
            assertEquals(expected, Float.floatToRawIntBits(vector[i]), "vector, pattern " + i);
        }
    }

    @Test
    void bothFormsGiveEachCodesSignedValueAndCountTheNonZeroCodes() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int n : new int[] {0, 1, 15, 16, 17, 4096, 4101}) {
            for (short plus : new short[] {0, 1, 0x3f80, 0x7c00, 0x7fff}) {
                byte[] codes = new byte[n];
                for (int i = 0; i < n; i++) codes[i] = (byte) (rnd.nextInt(3) - 1);
                int at = 2;
                short[] scalar = new short[at + n], vector = new short[at + n];
                int keptScalar = HalfCodes.signedHalves(codes, n, plus, scalar, at);
                int keptVector = HalfCodes.Vectors.signedHalves(codes, n, plus, vector, at);
                int kept = 0;
                for (int i = 0; i < n; i++) {
                    short expected = codes[i] == 0 ? 0 : codes[i] > 0 ? plus : (short) (plus | 0x8000);
                    kept += codes[i] != 0 ? 1 : 0;
                    assertEquals(expected, scalar[at + i], "scalar, n " + n + ", index " + i);
                    assertEquals(expected, vector[at + i], "vector, n " + n + ", index " + i);
                }
                assertEquals(kept, keptScalar);
                assertEquals(kept, keptVector);
            }
        }
    }
}
