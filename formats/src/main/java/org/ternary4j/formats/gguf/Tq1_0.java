package org.ternary4j.formats.gguf;

/**
 * ggml's TQ1_0 (type 34), 54 bytes per 256 elements: 48 bytes of five base-3 digits each, 4 bytes
 * of four digits each, then the f16 scale. Digits are {@code t + 1}, the first element the most
 * significant; a byte holds {@code ceil(v · 256 / 243)} for the base-3 value {@code v}, so that
 * digit {@code n} is {@code ((byte · 3ⁿ mod 256) · 3) >> 8} (quantize_row_tq1_0_ref /
 * dequantize_row_tq1_0). Elements: byte {@code m < 32} holds {@code m + 32n}; byte {@code 32 + m}
 * (m &lt; 16) holds {@code 160 + m + 16n}; the four last bytes {@code j} hold {@code 240 + j + 4n}.
 */
public record Tq1_0() implements TernaryBlocks {
    public static final int BLOCK = 256;
    public static final int BLOCK_BYTES = 54;
    private static final int[] POW3 = {1, 3, 9, 27, 81, 243};

    public GgufType type() {
        return GgufType.TQ1_0;
    }

    public void encode(byte[] codes, int codeOff, short d, byte[] out, int outOff) {
        for (int m = 0; m < 32; m++) out[outOff + m] = pack(codes, codeOff + m, 32, 5);
        for (int m = 0; m < 16; m++) out[outOff + 32 + m] = pack(codes, codeOff + 160 + m, 16, 5);
        for (int j = 0; j < 4; j++) out[outOff + 48 + j] = pack(codes, codeOff + 240 + j, 4, 4);
        out[outOff + 52] = (byte) d;
        out[outOff + 53] = (byte) (d >> 8);
    }

    /** {@code digits} codes at {@code first + k·stride}, padded with low zero digits to five. */
    private static byte pack(byte[] codes, int first, int stride, int digits) {
        int v = 0;
        for (int n = 0; n < 5; n++) {
            int digit = 0;
            if (n < digits) {
                byte t = codes[first + n * stride];
                TernaryBlocks.requireCode(t);
                digit = t + 1;
            }
            v = v * 3 + digit;
        }
        return (byte) ((v * 256 + 242) / 243);
    }

    public void decode(byte[] in, int inOff, float[] out, int outOff) {
        float d = Float.float16ToFloat((short) ((in[inOff + 52] & 0xff) | (in[inOff + 53] << 8)));
        for (int n = 0; n < 5; n++) {
            for (int m = 0; m < 32; m++) out[outOff + m + 32 * n] = (digit(in[inOff + m], n) - 1) * d;
            for (int m = 0; m < 16; m++) out[outOff + 160 + m + 16 * n] = (digit(in[inOff + 32 + m], n) - 1) * d;
        }
        for (int n = 0; n < 4; n++) {
            for (int j = 0; j < 4; j++) out[outOff + 240 + j + 4 * n] = (digit(in[inOff + 48 + j], n) - 1) * d;
        }
    }

    private static int digit(byte b, int n) {
        int q = ((b & 0xff) * POW3[n]) & 0xff;
        return (q * 3) >> 8;
    }
}
