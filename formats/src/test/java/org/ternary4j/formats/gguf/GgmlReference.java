package org.ternary4j.formats.gguf;

import java.util.Random;

/**
 * Line-by-line transcriptions of ggml's quantize_row_tq1_0_ref and quantize_row_tq2_0_ref
 * (ggml-quants.c), which take floats and find the scale themselves: an oracle for the encoders,
 * which take codes and a scale.
 */
final class GgmlReference {
    private GgmlReference() {}

    /**
     * Fifty random blocks: {@code format} must write the bytes ggml's reference quantizer writes for
     * the same values, and read them back to the codes times the f16-rounded scale.
     */
    static void assertMatchesReference(TernaryBlocks format, int blockBytes, java.util.function.Function<float[], byte[]> reference, long seed) {
        Random rnd = new Random(seed);
        for (int trial = 0; trial < 50; trial++) {
            byte[] codes = randomCodes(rnd);
            float scale = 0.001f + rnd.nextFloat() * 3;
            byte[] ours = new byte[blockBytes];
            format.encode(codes, 0, TernaryBlocks.scaleBits(scale), ours, 0);
            org.junit.jupiter.api.Assertions.assertArrayEquals(reference.apply(values(codes, scale)), ours);
            float[] back = new float[256];
            format.decode(ours, 0, back, 0);
            org.junit.jupiter.api.Assertions.assertArrayEquals(values(codes, f16(scale)), back);
        }
    }

    static byte[] randomCodes(Random rnd) {
        byte[] codes = new byte[256];
        for (int i = 0; i < 256; i++) codes[i] = (byte) (rnd.nextInt(3) - 1);
        codes[rnd.nextInt(256)] = 1; // a nonzero code, so the reference's absmax is the scale
        return codes;
    }

    static float f16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    static float[] values(byte[] codes, float scale) {
        float[] x = new float[codes.length];
        for (int i = 0; i < x.length; i++) x[i] = codes[i] * scale;
        return x;
    }

    private static int lround(float v) {
        return (int) Math.signum(v) * Math.round(Math.abs(v)); // lroundf: halves away from zero
    }

    private static float[] amaxAndInverse(float[] x) {
        float amax = 0;
        for (float v : x) amax = Math.max(amax, Math.abs(v));
        return new float[] {amax, amax != 0 ? 1.0f / amax : 0.0f};
    }

    private static void putHalf(byte[] y, int at, float d) {
        short h = Float.floatToFloat16(d);
        y[at] = (byte) h;
        y[at + 1] = (byte) (h >> 8);
    }

    static byte[] quantizeTq2_0(float[] x) {
        float[] a = amaxAndInverse(x);
        byte[] y = new byte[66];
        putHalf(y, 64, a[0]);
        int xo = 0;
        for (int j = 0; j < 64; j += 32) {
            for (int m = 0; m < 32; m++) {
                int q = 0;
                for (int n = 0; n < 4; n++) {
                    int xi = lround(x[xo + m + n * 32] * a[1]) + 1;
                    q += (xi & 3) << (2 * n);
                }
                y[j + m] = (byte) q;
            }
            xo += 128;
        }
        return y;
    }

    /** ggml's base-3 bytes y[j, j + width): five digits per byte from elements m + n·width after xo; returns the next xo. */
    private static int base3Bytes(float[] x, int xo, float inverse, byte[] y, int j, int width) {
        for (int m = 0; m < width; m++) {
            int q = 0;
            for (int n = 0; n < 5; n++) q = (q * 3 + lround(x[xo + m + n * width] * inverse) + 1) & 0xff;
            y[j + m] = (byte) ((q * 256 + 242) / 243);
        }
        return xo + 5 * width;
    }

    static byte[] quantizeTq1_0(float[] x) {
        float[] a = amaxAndInverse(x);
        byte[] y = new byte[54];
        putHalf(y, 52, a[0]);
        int xo = base3Bytes(x, 0, a[1], y, 0, 32);
        xo = base3Bytes(x, xo, a[1], y, 32, 16);
        for (int j = 0; j < 4; j++) {
            int q = 0;
            for (int m = 0; m < 4; m++) q = q * 3 + lround(x[xo + j + m * 4] * a[1]) + 1;
            q *= 3;
            y[48 + j] = (byte) ((q * 256 + 242) / 243);
        }
        return y;
    }
}
