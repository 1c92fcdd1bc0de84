package org.ternary4j.formats.safetensors;

/** Conversions between float and the two 16-bit float formats, rounding to nearest even. */
public final class HalfFloats {
    private HalfFloats() {}

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40); // keep it a NaN after truncation
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** The float a value becomes once stored in {@code dtype} (F32, F16 or BF16) and read back. */
    public static float roundTo(DType dtype, float f) {
        return switch (dtype) {
            case F32 -> f;
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(f));
            case BF16 -> bf16ToFloat(floatToBf16(f));
            default -> throw new IllegalArgumentException(dtype + " is not a float type");
        };
    }
}
