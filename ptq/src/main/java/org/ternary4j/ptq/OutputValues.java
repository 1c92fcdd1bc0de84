package org.ternary4j.ptq;

import org.ternary4j.core.pack.HalfCodes;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.HalfFloats;

/**
 * What a group's codes −1, 0, +1 become in an output file of one float dtype: the values rounded
 * to it (as floats, for F32 and the metrics) and their 16-bit patterns (for F16 and BF16); code 0
 * is +0. Writes a group's output from its codes.
 *
 * <p>When the two values are one magnitude with opposite signs (every one-scale method), the
 * 16-bit output is the magnitude's bits masked by |code| with code's sign bit
 * ({@link HalfCodes#signedHalves}, vector code), the same bits as looking each code up; the float
 * output is built the same way.
 */
record OutputValues(float minus, float plus, short minusBits, short plusBits) {

    /** The values of scales {@code neg} and {@code pos} (codes −1 and +1 stand for −neg and +pos) in {@code dtype}. */
    static OutputValues of(DType dtype, float neg, float pos) {
        float m = HalfFloats.roundTo(dtype, -neg), p = HalfFloats.roundTo(dtype, pos);
        return switch (dtype) {
            case F32 -> new OutputValues(m, p, (short) 0, (short) 0);
            case F16 -> new OutputValues(m, p, Float.floatToFloat16(m), Float.floatToFloat16(p));
            case BF16 -> new OutputValues(m, p, HalfFloats.floatToBf16(m), HalfFloats.floatToBf16(p));
            default -> throw new IllegalArgumentException(dtype + " is not a float type");
        };
    }

    /** out[at + i] = the 16-bit value of codes[i] for i &lt; n; returns how many codes are not 0. */
    int halves(byte[] codes, int n, short[] out, int at) {
        if (plusBits >= 0 && minusBits == (short) (plusBits | 0x8000)) return HalfCodes.signedHalves(codes, n, plusBits, out, at);
        int kept = 0;
        for (int i = 0; i < n; i++) {
            int c = codes[i];
            out[at + i] = c > 0 ? plusBits : c < 0 ? minusBits : 0;
            kept += c & 1;
        }
        return kept;
    }

    /** out[at + i] = the float value of codes[i] for i &lt; n; returns how many codes are not 0. */
    int floats(byte[] codes, int n, float[] out, int at) {
        int kept = 0, pb = Float.floatToRawIntBits(plus);
        if (pb >= 0 && Float.floatToRawIntBits(minus) == (pb | 0x80000000)) {
            for (int i = 0; i < n; i++) {
                int c = codes[i];
                out[at + i] = Float.intBitsToFloat((pb & -(c & 1)) | (c & 0x80000000));
                kept += c & 1;
            }
        } else {
            for (int i = 0; i < n; i++) {
                int c = codes[i];
                out[at + i] = c > 0 ? plus : c < 0 ? minus : 0f;
                kept += c & 1;
            }
        }
        return kept;
    }
}
