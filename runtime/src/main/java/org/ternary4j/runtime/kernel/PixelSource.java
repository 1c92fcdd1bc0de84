package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * What {@link PixelKernel} reads for one image and one group of a convolution: input p of output
 * pixel j at data[off[p] + j] for j below {@code width}. Either a materialized transposed im2col
 * (any stride; the only form the int8 path can quantize per pixel), or, for strides 1 and 2, a
 * view of the zero-padded input planes: pixel j = oy·pitch + ox with pitch the padded row length
 * over the stride, so nothing is copied per kernel input; its outputs come out {@code pitch} wide
 * per row (see {@link ConvOutput}). At stride 1 input (c, ky, kx) is at offset c·plane +
 * ky·dh·pitch + kx·dw. At stride 2 each padded plane is first split into its four phases (even
 * and odd rows × even and odd columns, each a plane of pitch-wide rows), so that (c, ky, kx) reads
 * a contiguous run of one phase: X'[2·oy + dy][2·ox + dx] is phase (dy mod 2, dx mod 2) at row
 * oy + ⌊dy/2⌋, column ox + ⌊dx/2⌋. A network's stem (3×3 at stride 2 on three colour channels)
 * had spent twice its products' time building the im2col of 27 strided rows.
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
     * Whether the view applies and saves work: the same stride, 1 or 2, on both axes, and view rows
     * at most twice as long as the output rows (the extra columns are computed and dropped; LeNet's
     * 14-wide rows for 10 outputs still ran 1.5× faster than through an im2col).
     */
    static boolean viewPays(ConvGeometry geo, int w, int kw) {
        int ow = geo.outW(w, kw), pitch = pitch(geo, w), s = geo.strideW();
        return geo.strideH() == s && (s == 1 || s == 2) && pitch <= 2 * ow;
    }

    /** Output values per row the pixel products write for a kw-wide kernel: the view's {@link #pitch} where it {@link #viewPays pays}, else the output width. */
    static int rowPitch(ConvGeometry geo, int w, int kw) {
        return viewPays(geo, w, kw) ? pitch(geo, w) : geo.outW(w, kw);
    }

    /** The view's row length, the padded row length over the stride: output rows come out this wide. */
    static int pitch(ConvGeometry geo, int w) {
        int s = geo.strideW();
        return (w + geo.padLeft() + geo.padRight() + s - 1) / s;
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

    /** The view (strides 1 and 2, {@link #viewPays}); rows not named by rowOf read a zero region at the end. */
    static PixelSource view(float[] x, int img, int c, int h, int w, int c0, int cin, int kh, int kw, ConvGeometry geo, int[] rowOf, int rows) {
        int oh = geo.outH(h, kh), ow = geo.outW(w, kw), s = geo.strideH();
        int pitch = pitch(geo, w), ph = (h + geo.padTop() + geo.padBottom() + s - 1) / s, phase = pitch * ph, plane = s * s * phase;
        int width = Im2col.stride(oh * pitch);
        int i = 0, maxOff = 0;
        int[] off = new int[rows];
        int[] logical = new int[cin * kh * kw];
        for (int ci = 0; ci < cin; ci++) {
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++, i++) {
                    int dy = ky * geo.dilationH(), dx = kx * geo.dilationW();
                    logical[i] = ci * plane + (dy % s * s + dx % s) * phase + dy / s * pitch + dx / s;
                    maxOff = Math.max(maxOff, logical[i]);
                }
            }
        }
        // the last block reads up to width − 1 past the largest offset; then width zeros for pad rows
        int zeros = Math.max(cin * plane, maxOff + width);
        // this thread's scratch: the planes as copied below, zeros in their padding, the zero region past them
        boolean unpadded = s == 1 && plane == h * w;
        float[] data = unpadded ? Scratch.floats(Scratch.Slot.VIEW, zeros + width) : Scratch.zeroedFloats(Scratch.Slot.VIEW, zeros + width);
        java.util.Arrays.fill(off, zeros);
        for (i = 0; i < logical.length; i++) off[rowOf == null ? i : rowOf[i]] = logical[i];
        int first = (img * c + c0) * h * w;
        if (s == 2) {
            for (int ci = 0; ci < cin; ci++) for (int y = 0; y < h; y++) splitRow(x, first + (ci * h + y) * w, w, data, ci * plane, y + geo.padTop(), geo.padLeft(), pitch, phase);
        } else if (unpadded) {
            // the view's planes are the input's, one copy (many short arraycopy calls cost more than their bytes), then the zeros past them
            System.arraycopy(x, first, data, 0, cin * plane);
            java.util.Arrays.fill(data, cin * plane, zeros + width, 0f);
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

    /**
     * One input row of w values into its stride-2 phases: padded row py, padded columns left … left + w − 1,
     * column px to phase (py mod 2, px mod 2) at row ⌊py/2⌋, column ⌊px/2⌋ of the channel's phases at {@code to}.
     */
    private static void splitRow(float[] x, int src, int w, float[] data, int to, int py, int left, int pitch, int phase) {
        int row = to + (py % 2 * 2) * phase + py / 2 * pitch;
        // input column k lands in phase column (left + k) mod 2: the evens of the input go to one phase, the odds to the other
        int firstEven = row + (left % 2) * phase + left / 2, firstOdd = row + ((left + 1) % 2) * phase + (left + 1) / 2;
        int k = 0;
        for (; k + 2 * L <= w; k += 2 * L) {
            FloatVector a = FloatVector.fromArray(F, x, src + k), b = FloatVector.fromArray(F, x, src + k + L);
            PairLanes.even(a, b).intoArray(data, firstEven + k / 2);
            PairLanes.odd(a, b).intoArray(data, firstOdd + k / 2);
        }
        for (; k < w; k++) data[(k % 2 == 0 ? firstEven : firstOdd) + k / 2] = x[src + k];
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

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
