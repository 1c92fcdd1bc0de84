package org.ternary4j.runtime.kernel;

/**
 * A depthwise convolution (one input channel per group, one output channel per group) with
 * ternary taps and one scale per channel, computed directly: per output pixel the +1 taps and the
 * −1 taps are summed separately and the channel's scale applied to the difference, as
 * {@link PackedTernaryMatrix#exactReference} does for one segment. The generic grouped path built
 * an unrolled window copy and a packed 1-row matrix per channel (a 3×3 depthwise layer padded each
 * channel's 9 taps to a whole code block). Both activation modes run this float kernel: per-pixel
 * int8 quantization of 9 values saves nothing.
 */
final class DepthwiseConv {
    /** Tap offsets (ky·kw + kx) with code +1 and −1 per channel: pos[c], neg[c]. */
    private final int[][] pos;
    private final int[][] neg;
    private final float[] scale;
    private final int kh;
    private final int kw;

    private DepthwiseConv(int[][] pos, int[][] neg, float[] scale, int kh, int kw) {
        this.pos = pos;
        this.neg = neg;
        this.scale = scale;
        this.kh = kh;
        this.kw = kw;
    }

    /** The depthwise form of per-channel matrices [1, kh·kw], or null when a channel has two scales or several segments. */
    static DepthwiseConv of(PackedTernaryMatrix[] channels, int kh, int kw) {
        int c = channels.length, taps = kh * kw;
        int[][] pos = new int[c][], neg = new int[c][];
        float[] scale = new float[c];
        for (int ch = 0; ch < c; ch++) {
            PackedTernaryMatrix m = channels[ch];
            if (m.rows() != 1 || m.cols() != taps || m.twoScales() || m.layout().segments() != 1) return null;
            scale[ch] = m.scalePos()[0];
            int np = 0, nn = 0;
            for (int t = 0; t < taps; t++) {
                int code = m.code(0, t);
                if (code > 0) np++;
                else if (code < 0) nn++;
            }
            pos[ch] = new int[np];
            neg[ch] = new int[nn];
            np = 0;
            nn = 0;
            for (int t = 0; t < taps; t++) {
                int code = m.code(0, t);
                if (code > 0) pos[ch][np++] = t;
                else if (code < 0) neg[ch][nn++] = t;
            }
        }
        return new DepthwiseConv(pos, neg, scale, kh, kw);
    }

    /** Bytes kept: two tap lists and a scale per channel. */
    long residentBytes() {
        long b = scale.length * 4L;
        for (int ch = 0; ch < scale.length; ch++) b += 4L * (pos[ch].length + neg[ch].length);
        return b;
    }

    /** x [n, c, h, w] → [n, c, oh, ow] without bias; channels split among threads. */
    ConvOutput forward(float[] x, int n, int h, int w, ConvGeometry geo, Parallel par) {
        int c = scale.length, oh = geo.outH(h, kh), ow = geo.outW(w, kw);
        float[] y = new float[Math.multiplyExact(n * c, oh * ow)];
        Parallel p = (long) n * c * oh * ow * kh * kw < TernaryMatmul.SERIAL_WORK ? Parallel.serial() : par;
        p.forRange(n * c, 1, (from, to) -> {
            float[] sp = new float[ow], sn = new float[ow];
            for (int plane = from; plane < to; plane++) channel(x, plane, h, w, geo, oh, ow, y, sp, sn);
        });
        return new ConvOutput(y, n, c, oh, ow, ow);
    }

    private void channel(float[] x, int plane, int h, int w, ConvGeometry geo, int oh, int ow, float[] y, float[] sp, float[] sn) {
        int ch = plane % scale.length, in = plane * h * w, out = plane * oh * ow;
        float s = scale[ch];
        for (int oy = 0; oy < oh; oy++) {
            java.util.Arrays.fill(sp, 0f);
            java.util.Arrays.fill(sn, 0f);
            accumulate(x, in, h, w, geo, oy, ow, pos[ch], sp);
            accumulate(x, in, h, w, geo, oy, ow, neg[ch], sn);
            int o = out + oy * ow;
            for (int ox = 0; ox < ow; ox++) y[o + ox] = s * (sp[ox] - sn[ox]);
        }
    }

    /** Adds, tap by tap in tap order, the inputs under the given taps to each output column's sum (zeros outside the image). */
    private void accumulate(float[] x, int in, int h, int w, ConvGeometry geo, int oy, int ow, int[] taps, float[] sum) {
        for (int t : taps) {
            int ky = t / kw, kx = t % kw;
            int iy = oy * geo.strideH() - geo.padTop() + ky * geo.dilationH();
            if (iy < 0 || iy >= h) continue;
            int row = in + iy * w, x0 = kx * geo.dilationW() - geo.padLeft(), sw = geo.strideW();
            // columns whose input lies inside the row: ox in [lo, hi)
            int lo = x0 >= 0 ? 0 : (-x0 + sw - 1) / sw;
            int hi = Math.min(ow, w - x0 <= 0 ? 0 : (w - 1 - x0) / sw + 1);
            if (sw == 1) for (int ox = lo; ox < hi; ox++) sum[ox] += x[row + x0 + ox];
            else for (int ox = lo; ox < hi; ox++) sum[ox] += x[row + x0 + ox * sw];
        }
    }
}
