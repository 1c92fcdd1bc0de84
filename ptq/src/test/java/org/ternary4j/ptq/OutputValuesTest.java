package org.ternary4j.ptq;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.HalfFloats;

class OutputValuesTest {
    private static final byte[] CODES = {1, 0, -1, -1, 1, 0, 0, 1, -1, 1, 1, 0, -1, 0, 1, 1, -1, 0, 1};

    /** One scale (neg = pos), two scales, zero scales and a scale that rounds up in 16 bits. */
    private static final float[][] SCALES = {{0.5f, 0.5f}, {0.25f, 0.75f}, {0f, 0f}, {0f, 0.3f}, {1.00390625f, 1.00390625f}, {3e-8f, 3e-8f}};

    @Test
    void eachCodeBecomesItsValueRoundedToTheDtypeAsALookUpGivesIt() {
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            for (float[] s : SCALES) {
                float neg = s[0], pos = s[1];
                float[] value = {HalfFloats.roundTo(dtype, -neg), 0f, HalfFloats.roundTo(dtype, pos)};
                OutputValues v = OutputValues.of(dtype, neg, pos);
                int at = 3, n = CODES.length, kept = 0;
                for (byte c : CODES) kept += c != 0 ? 1 : 0;
                float[] floats = new float[at + n];
                assertEquals(kept, v.floats(CODES, n, floats, at));
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(value[CODES[i] + 1]), Float.floatToRawIntBits(floats[at + i]), dtype + " " + neg + "/" + pos + " at " + i);
                }
                if (dtype == DType.F32) continue;
                short[] halves = new short[at + n];
                assertEquals(kept, v.halves(CODES, n, halves, at));
                for (int i = 0; i < n; i++) {
                    float f = value[CODES[i] + 1];
                    short expected = dtype == DType.F16 ? Float.floatToFloat16(f) : HalfFloats.floatToBf16(f);
                    assertEquals(expected, halves[at + i], dtype + " " + neg + "/" + pos + " at " + i);
                }
            }
        }
    }
}
