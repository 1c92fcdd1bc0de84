package org.ternary4j.formats.onnx;

import java.util.Arrays;
import org.ternary4j.core.TernaryTensor;

/**
 * A ternary weight as ONNX Runtime's {@code com.microsoft.MatMulNBits} stores it with
 * {@code bits=2}: codes q = t + 1 (zero point 1) in B uint8 [N, blocks, blockSize/4], four codes a
 * byte, low bits first along K; one scale per (row, block); zero points packed four a byte.
 *
 * <p>A block of MatMulNBits holds one scale and an integer zero point, so the mapping is exact only
 * where every block's nonzero codes share one magnitude: {@link #of} picks, among the powers of two
 * ≥ 16 that ONNX Runtime accepts, the block size that fits every row exactly and makes the
 * smallest tensors, and otherwise says why none fits, leaving out the block sizes on which ONNX
 * Runtime's table-lookup kernel would overrun ({@link #lutKernelOverruns}). The K tail of the last
 * block is padded with the zero point (value 0).
 *
 * @param n         output channels (MatMulNBits' N)
 * @param k         inputs per output channel (K)
 * @param blockSize codes per block along K
 * @param codes     B, [n, blocks, blockSize/4]
 * @param scales    [n·blocks], row-major
 * @param zeroPoints [n, ceil(blocks/4)], every 2-bit field 1
 */
public record NBitsBlocks(int n, int k, int blockSize, byte[] codes, float[] scales, byte[] zeroPoints) {

    /** MatMulNBits' smallest block; ONNX Runtime refuses smaller ones and those that are not powers of two. */
    public static final int MIN_BLOCK = 16;
    /**
     * The largest block used. ONNX Runtime 1.24's CPU kernel accepts larger powers of two but
     * computes wrong results with blocks of 512 (measured: relative output error ≈ 1 on MiniLM,
     * MatMulNBitsQuantizationTest), so a row longer than 256 gets several blocks of one scale.
     */
    public static final int MAX_BLOCK = 256;

    public int blocks() {
        return (k + blockSize - 1) / blockSize;
    }

    /** Bytes of B, scales (at {@code scaleBytes} each) and zero points. */
    public long bytes(int scaleBytes) {
        return codes.length + (long) scales.length * scaleBytes + zeroPoints.length;
    }

    /** The mapping of {@code t} (canonical [N, K]), or an IllegalArgumentException saying why none is exact. */
    public static NBitsBlocks of(TernaryTensor t, int scaleBytes) {
        if (t.shape().length != 2) throw new IllegalArgumentException("MatMulNBits takes a rank-2 weight, not shape " + Arrays.toString(t.shape()));
        int n = t.shape()[0], k = t.shape()[1];
        float[] dq = t.dequantize();
        int best = -1;
        long bestBytes = Long.MAX_VALUE;
        for (int bs = MIN_BLOCK; bs <= MAX_BLOCK; bs *= 2) {
            if (lutKernelOverruns(k, bs) || scalesFor(t.codes(), dq, n, k, bs) == null) continue;
            int blocks = (k + bs - 1) / bs;
            long bytes = (long) n * blocks * (bs / 4 + scaleBytes) + (long) n * ((blocks + 3) / 4);
            if (bytes < bestBytes) {
                best = bs;
                bestBytes = bytes;
            }
            if (bs >= k) break; // larger blocks only add padding
        }
        if (best < 0) {
            throw new IllegalArgumentException("no MatMulNBits block size (a power of two ≥ " + MIN_BLOCK + " along K) gives every block one scale: "
                    + (t.twoScales() ? "codes with separate positive and negative scales need a second scale per block"
                    : "grouping " + t.grouping().spec() + " does not split K=" + k + " into such blocks"));
        }
        return pack(t.codes(), scalesFor(t.codes(), dq, n, k, best), n, k, best);
    }

    /**
     * Whether ONNX Runtime 1.24's table-lookup kernel ({@code mlas.use_lut_gemm=1}) would take this
     * weight and run past its buffers: it takes blocks and K that are multiples of 32
     * ({@code MlasIsLutGemmAvailable}) but does not check that K is whole blocks, and with a padded
     * last block (K = 1568, blocks of 64 to 256; measured) it corrupted the heap and aborted the process.
     */
    public static boolean lutKernelOverruns(long k, long blockSize) {
        return k % 32 == 0 && blockSize % 32 == 0 && k % blockSize != 0;
    }

    /**
     * The scale of each (row, block) when every nonzero code in it stands for ±(that scale) exactly,
     * else null. A block without nonzero codes gets scale 0.
     */
    static float[] scalesFor(byte[] codes, float[] dq, int n, int k, int bs) {
        int blocks = (k + bs - 1) / bs;
        float[] scales = new float[n * blocks];
        for (int r = 0; r < n; r++) {
            for (int b = 0; b < blocks; b++) {
                float s = Float.NaN;
                for (int j = b * bs, end = Math.min(k, j + bs); j < end; j++) {
                    int p = r * k + j;
                    if (codes[p] == 0) continue;
                    float v = codes[p] * dq[p];
                    if (Float.isNaN(s)) s = v;
                    else if (Float.floatToIntBits(v) != Float.floatToIntBits(s)) return null;
                }
                scales[r * blocks + b] = Float.isNaN(s) ? 0f : s;
            }
        }
        return scales;
    }

    private static NBitsBlocks pack(byte[] t, float[] scales, int n, int k, int bs) {
        int blocks = (k + bs - 1) / bs, rowBytes = blocks * bs / 4;
        byte[] b = new byte[n * rowBytes];
        Arrays.fill(b, (byte) 0x55); // every padding code is the zero point 1
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < k; j++) {
                int at = r * rowBytes + j / 4, shift = (j % 4) * 2;
                b[at] = (byte) ((b[at] & ~(3 << shift)) | ((t[r * k + j] + 1) << shift));
            }
        }
        byte[] zp = new byte[n * ((blocks + 3) / 4)];
        Arrays.fill(zp, (byte) 0x55);
        return new NBitsBlocks(n, k, bs, b, scales, zp);
    }

    /** What ONNX Runtime computes from these blocks: (q − 1)·scale, canonical [N, K]; for tests and checks. */
    public float[] dequantize() {
        int blocks = blocks(), rowBytes = blocks * blockSize / 4;
        float[] out = new float[n * k];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < k; j++) {
                int q = (codes[r * rowBytes + j / 4] >> ((j % 4) * 2)) & 3;
                int z = (zeroPoints[r * ((blocks + 3) / 4) + (j / blockSize) / 4] >> (((j / blockSize) % 4) * 2)) & 3;
                out[r * k + j] = (q - z) * scales[r * blocks + j / blockSize];
            }
        }
        return out;
    }
}
