package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Base-3 code streams against the codes they were built from. */
class Base3CodesTest {
    @Test
    void scalarAndVectorDecodeGiveBackEveryCode() {
        Random rnd = new Random(3);
        for (int count : new int[] {1, 7, Base3Codes.GROUP - 1, Base3Codes.GROUP, 3 * Base3Codes.GROUP + 11, 5000}) {
            int[] c = new int[count];
            for (int i = 0; i < count; i++) c[i] = rnd.nextInt(3) - 1;
            Base3Codes b = Base3Codes.of(count, i -> c[i]);
            float[] d = new float[b.decodedLength()];
            b.decode(d);
            for (int i = 0; i < count; i++) {
                assertEquals(c[i], b.code(i), "code " + i + " of " + count);
                assertEquals(c[i], d[i], "decoded " + i + " of " + count);
            }
            assertEquals((count + Base3Codes.GROUP - 1) / Base3Codes.GROUP * Base3Codes.GROUP / 5, b.residentBytes(), "1.6 bits a code, whole groups");
        }
    }

    /** Every byte value 0 … 242: code i + k·L is digit k of byte i, so these codes fill byte i with value i. */
    @Test
    void decodesEveryByteValue() {
        int lanes = Base3Codes.GROUP / 5, groups = (243 + lanes - 1) / lanes;
        int count = groups * Base3Codes.GROUP;
        Base3Codes b = Base3Codes.of(count, i -> {
            int g = i / Base3Codes.GROUP, r = i % Base3Codes.GROUP, value = (g * lanes + r % lanes) % 243;
            return value / PackedTernaryMatrix.POW3[r / lanes] % 3 - 1;
        });
        float[] d = new float[b.decodedLength()];
        b.decode(d);
        for (int i = 0; i < count; i++) assertEquals(b.code(i), d[i], "code " + i);
    }

    @Test
    void refusesCodesOutsideTheTernarySet() {
        assertThrows(IllegalArgumentException.class, () -> Base3Codes.of(3, i -> i == 2 ? 2 : 0));
    }
}
