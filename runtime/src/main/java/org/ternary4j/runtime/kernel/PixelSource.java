package org.ternary4j.runtime.kernel;

/**
 * What {@link PixelKernel} reads for one image and one group of a convolution: input p of output
 * pixel j at data[off[p] + j] for j below {@code width}. Either a materialized transposed im2col
 * (any stride; the only form the int8 path can quantize per pixel), or, for stride 1, a view of
 * the zero-padded input planes: pixel j = oy·pitch + ox with pitch the padded row length, input
 * (c, ky, kx) at offset c·plane + ky·dh·pitch + kx·dw, so nothing is copied per kernel input;
 * its outputs come out {@code pitch} wide per row (see {@link ConvOutput}).
 *
 * @param pitch output pixels per row as the kernel writes them (ow for an im2col)
 */
record PixelSource(float[] data, int[] off, int width, int pitch, int outH, int outW) {

    /** Output values per row the kernel writes: outH·pitch. */
    int kernelPixels() {
        return outH * pitch;
    }

    boolean wide() {
        return pitch != outW;
    }

    /**
     * Whether the view applies and saves work: stride 1, and padded rows at most twice as long as
     * the output rows (the extra columns are computed and dropped; LeNet's 14-wide rows for 10
     * outputs still ran 1.5× faster than through an im2col).
     */
    static boolean viewPays(ConvGeometry geo, int w, int kw) {
        int ow = geo.outW(w, kw), pitch = pitch(geo, w);
        return geo.strideH() == 1 && geo.strideW() == 1 && pitch <= 2 * ow;
    }

    /** The view's padded row length: output rows come out this wide. */
    static int pitch(ConvGeometry geo, int w) {
        return w + geo.padLeft() + geo.padRight();
    }

    /** Kernel input i = (ci·kh + ky)·kw + kx goes to row rowOf[i] (identity when null) of {@code rows} rows; other rows read zeros. */
    static PixelSource im2col(float[] x, int img, int c, int h, int w, int c0, int cin, int kh, int kw, ConvGeometry geo, int[] rowOf, int rows) {
        int oh = geo.outH(h, kh), ow = geo.outW(w, kw), ld = Im2col.stride(oh * ow);
        float[] cols = new float[Math.multiplyExact(rows, ld)];
        Im2col.transposed(x, img, c, h, w, c0, cin, kh, kw, geo, rowOf, cols, ld);
        int[] off = new int[rows];
        for (int p = 0; p < rows; p++) off[p] = p * ld;
        return new PixelSource(cols, off, ld, ow, oh, ow);
    }

    /** The stride-1 view; rows not named by rowOf read a zero region at the end. */
    static PixelSource view(float[] x, int img, int c, int h, int w, int c0, int cin, int kh, int kw, ConvGeometry geo, int[] rowOf, int rows) {
        int oh = geo.outH(h, kh), ow = geo.outW(w, kw);
        int pitch = pitch(geo, w), ph = h + geo.padTop() + geo.padBottom(), plane = pitch * ph;
        int width = Im2col.stride(oh * pitch);
        int i = 0, maxOff = 0;
        int[] off = new int[rows];
        int[] logical = new int[cin * kh * kw];
        for (int ci = 0; ci < cin; ci++) {
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++, i++) {
                    logical[i] = ci * plane + ky * geo.dilationH() * pitch + kx * geo.dilationW();
                    maxOff = Math.max(maxOff, logical[i]);
                }
            }
        }
        // the last block reads up to width − 1 past the largest offset; then width zeros for pad rows
        int zeros = Math.max(cin * plane, maxOff + width);
        float[] data = new float[zeros + width];
        java.util.Arrays.fill(off, zeros);
        for (i = 0; i < logical.length; i++) off[rowOf == null ? i : rowOf[i]] = logical[i];
        int first = (img * c + c0) * h * w;
        if (plane == h * w) {
            // unpadded: the view's planes are the input's, one copy (many short arraycopy calls cost more than their bytes)
            System.arraycopy(x, first, data, 0, cin * plane);
        } else {
            for (int ci = 0; ci < cin; ci++) {
                for (int y = 0; y < h; y++) {
                    int src = first + (ci * h + y) * w, dst = ci * plane + (y + geo.padTop()) * pitch + geo.padLeft();
                    System.arraycopy(x, src, data, dst, w);
                }
            }
        }
        return new PixelSource(data, off, width, pitch, oh, ow);
    }

    /** The same inputs as one contiguous row per kernel input (what the int8 path quantizes per pixel). */
    PixelSource materialize() {
        float[] cols = new float[Math.multiplyExact(off.length, width)];
        int[] rowsAt = new int[off.length];
        for (int p = 0; p < off.length; p++) {
            System.arraycopy(data, off[p], cols, p * width, width);
            rowsAt[p] = p * width;
        }
        return new PixelSource(cols, rowsAt, width, pitch, outH, outW);
    }
}
