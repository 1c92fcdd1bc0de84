package org.ternary4j.runtime.kernel;

import java.util.Arrays;

/**
 * Transposed im2col for pixel-vectorized convolutions: one row per kernel input (channel, ky, kx)
 * holding that input for every output pixel, so pixels are contiguous and the kernels vectorize
 * over them. Rows may be placed in any order (a packed matrix's padded order, say) and have a
 * stride {@code ld} ≥ pixels; lanes past the pixels are left alone (callers keep them zero).
 */
public final class Im2col {
    private Im2col() {}

    /** Row stride for {@code pixels} output pixels: a whole number of the pixel kernel's vectors. */
    public static int stride(int pixels) {
        return (pixels + PixelKernel.VECTOR - 1) / PixelKernel.VECTOR * PixelKernel.VECTOR;
    }

    /**
     * Channels [c0, c0 + cin) of image img of x [n, c, h, w] into cols: input (ci, ky, kx), logical
     * index i = (ci·kh + ky)·kw + kx, goes to row {@code rowOf == null ? i : rowOf[i]}; zeros outside the image.
     */
    public static void transposed(float[] x, int img, int c, int h, int w, int c0, int cin, int kh, int kw, ConvGeometry geo,
                                  int[] rowOf, float[] cols, int ld) {
        int oh = geo.outH(h, kh), ow = geo.outW(w, kw);
        int i = 0;
        for (int ci = 0; ci < cin; ci++) {
            int plane = (img * c + c0 + ci) * h * w;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++, i++) {
                    int row = (rowOf == null ? i : rowOf[i]) * ld;
                    int dx = kx * geo.dilationW() - geo.padLeft();
                    // output columns whose input column ox·stride + dx lies inside the image
                    int lo = dx >= 0 ? 0 : Math.min(ow, (-dx + geo.strideW() - 1) / geo.strideW());
                    int hi = Math.max(lo, Math.min(ow, w - dx <= 0 ? 0 : (w - dx - 1) / geo.strideW() + 1));
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * geo.strideH() - geo.padTop() + ky * geo.dilationH(), dst = row + oy * ow;
                        if (iy < 0 || iy >= h) {
                            Arrays.fill(cols, dst, dst + ow, 0f);
                            continue;
                        }
                        // plain loops: rows are short, where arraycopy's call costs more than the copy
                        int src = plane + iy * w + dx, sw = geo.strideW();
                        for (int ox = 0; ox < lo; ox++) cols[dst + ox] = 0f;
                        if (sw == 1) for (int ox = lo; ox < hi; ox++) cols[dst + ox] = x[src + ox];
                        else for (int ox = lo; ox < hi; ox++) cols[dst + ox] = x[src + ox * sw];
                        for (int ox = hi; ox < ow; ox++) cols[dst + ox] = 0f;
                    }
                }
            }
        }
    }
}
