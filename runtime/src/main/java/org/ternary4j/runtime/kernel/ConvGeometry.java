package org.ternary4j.runtime.kernel;

/**
 * Stride, padding, dilation and group count of a 2-D convolution (ONNX Conv's attributes).
 * Output size per axis: (in + padBegin + padEnd − dilation·(k − 1) − 1) / stride + 1.
 */
public record ConvGeometry(int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight, int dilationH, int dilationW, int groups) {

    public ConvGeometry {
        if (strideH < 1 || strideW < 1) throw new IllegalArgumentException("conv: strides must be ≥ 1");
        if (dilationH < 1 || dilationW < 1) throw new IllegalArgumentException("conv: dilations must be ≥ 1");
        if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) throw new IllegalArgumentException("conv: pads must be ≥ 0");
        if (groups < 1) throw new IllegalArgumentException("conv: group must be ≥ 1");
    }

    public static ConvGeometry simple(int stride, int pad, int groups) {
        return new ConvGeometry(stride, stride, pad, pad, pad, pad, 1, 1, groups);
    }

    public int outH(int h, int kh) {
        return size(h, kh, padTop, padBottom, dilationH, strideH);
    }

    public int outW(int w, int kw) {
        return size(w, kw, padLeft, padRight, dilationW, strideW);
    }

    private static int size(int in, int k, int a, int b, int d, int s) {
        int span = in + a + b - d * (k - 1) - 1;
        if (span < 0) throw new IllegalArgumentException("conv: kernel " + k + " (dilation " + d + ") larger than padded input " + (in + a + b));
        return span / s + 1;
    }
}
