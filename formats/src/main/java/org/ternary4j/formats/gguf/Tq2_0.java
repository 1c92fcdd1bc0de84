package org.ternary4j.formats.gguf;

/**
 * ggml's TQ2_0 (type 35), 66 bytes per 256 elements: 64 bytes of 2-bit codes {@code q = t + 1},
 * then the f16 scale. Byte {@code m} of each 32-byte chunk {@code c} holds elements
 * {@code 128c + m + 32l} at bits {@code 2l} (l = 0..3), as quantize_row_tq2_0_ref lays them out.
 */
public record Tq2_0() implements TernaryBlocks {
    public static final int BLOCK = 256;
    public static final int BLOCK_BYTES = 66;

    public GgufType type() {
        return GgufType.TQ2_0;
    }

    public void encode(byte[] codes, int codeOff, short d, byte[] out, int outOff) {
        for (int c = 0; c < 2; c++) {
            for (int m = 0; m < 32; m++) {
                int q = 0;
                for (int l = 0; l < 4; l++) {
                    byte t = codes[codeOff + 128 * c + m + 32 * l];
                    TernaryBlocks.requireCode(t);
                    q |= (t + 1) << (2 * l);
                }
                out[outOff + 32 * c + m] = (byte) q;
            }
        }
        out[outOff + 64] = (byte) d;
        out[outOff + 65] = (byte) (d >> 8);
    }

    public void decode(byte[] in, int inOff, float[] out, int outOff) {
        float d = Float.float16ToFloat((short) ((in[inOff + 64] & 0xff) | (in[inOff + 65] << 8)));
        for (int c = 0; c < 2; c++) {
            for (int l = 0; l < 4; l++) {
                for (int m = 0; m < 32; m++) {
                    int q = (in[inOff + 32 * c + m] >> (2 * l)) & 3;
                    out[outOff + 128 * c + 32 * l + m] = (q - 1) * d;
                }
            }
        }
    }
}
