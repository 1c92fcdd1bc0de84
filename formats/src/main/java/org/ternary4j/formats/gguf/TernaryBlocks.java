package org.ternary4j.formats.gguf;

/**
 * A ggml ternary block format: 256 codes in {−1, 0, +1} and one f16 scale {@code d} per block, the
 * block standing for {@code code · d}. Encoders take codes (not floats), so the codes a projection
 * chose are stored exactly; the decoders are the scalar reference that tests compare against.
 */
public sealed interface TernaryBlocks permits Tq1_0, Tq2_0 {
    /** Elements per block (ggml's QK_K). */
    int BLOCK = 256;

    GgufType type();

    /** Writes one block: {@code codes[codeOff .. codeOff+256)} and the f16 scale bits {@code d}. */
    void encode(byte[] codes, int codeOff, short d, byte[] out, int outOff);

    /** Reads one block into {@code out[outOff .. outOff+256)} as ggml's dequantize_row does. */
    void decode(byte[] in, int inOff, float[] out, int outOff);

    /** The f16 bits a block scale is stored as; a clear error when it does not fit an f16. */
    static short scaleBits(float scale) {
        if (!Float.isFinite(scale) || scale < 0) throw new IllegalArgumentException("block scale " + scale + " is not a finite non-negative number");
        short d = scale == 0 ? 0 : Float.floatToFloat16(scale); // −0 stored as +0
        if (Float.isInfinite(Float.float16ToFloat(d))) throw new IllegalArgumentException("block scale " + scale + " exceeds the f16 range (65504)");
        return d;
    }

    static void requireCode(byte c) {
        if (c < -1 || c > 1) throw new IllegalArgumentException("code " + c + " is not ternary");
    }
}
