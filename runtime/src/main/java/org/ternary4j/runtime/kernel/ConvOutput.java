package org.ternary4j.runtime.kernel;

/**
 * A convolution's output [n, channels, outH, outW] as its kernel wrote it: row oy of plane p at
 * data[p·outH·pitch + oy·pitch], pitch ≥ outW. A stride-1 conv over a padded view ({@link PixelSource})
 * computes pitch − outW extra columns per row; leaving them in place lets the caller's epilogue (and
 * pooling) read the rows once instead of after a separate compaction pass.
 */
public record ConvOutput(float[] data, int n, int channels, int outH, int outW, int pitch) {

    public int planes() {
        return n * channels;
    }

    /** The outputs without the extra columns, [n, channels, outH, outW] contiguous. */
    public float[] compact() {
        if (pitch == outW) return data;
        float[] y = Buffers.floats(Math.multiplyExact(planes(), outH * outW));
        for (int p = 0; p < planes(); p++) {
            for (int oy = 0; oy < outH; oy++) System.arraycopy(data, (p * outH + oy) * pitch, y, (p * outH + oy) * outW, outW);
        }
        return y;
    }
}
