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
    /** Codes of channel c's taps (ky·kw + kx) at c·kh·kw + tap. */
    private final Base3Codes codes;
    private final float[] scale;
    private final int kh;
    private final int kw;

    private DepthwiseConv(Base3Codes codes, float[] scale, int kh, int kw) {
        this.codes = codes;
        this.scale = scale;
        this.kh = kh;
        this.kw = kw;
    }

    /** The depthwise form of per-channel matrices [1, kh·kw], or null when a channel has two scales or several segments. */
    static DepthwiseConv of(PackedTernaryMatrix[] channels, int kh, int kw) {
        int c = channels.length, taps = kh * kw;
        float[] scale = new float[c];
        for (int ch = 0; ch < c; ch++) {
            PackedTernaryMatrix m = channels[ch];
            if (m.rows() != 1 || m.cols() != taps || m.twoScales() || m.layout().segments() != 1) return null;
            scale[ch] = m.scalePos()[0];
        }
        return new DepthwiseConv(Base3Codes.of(c * taps, i -> channels[i / taps].code(0, i % taps)), scale, kh, kw);
    }

    /** Bytes kept: the codes (1.6 bits a tap) and a scale per channel; the tap lists are rebuilt per call. */
    long residentBytes() {
        return codes.residentBytes() + scale.length * 4L;
    }

    /** x [n, c, h, w] → [n, c, oh, ow] without bias; channels split among threads. */
    ConvOutput forward(float[] x, int n, int h, int w, ConvGeometry geo, Parallel par) {
        int c = scale.length, oh = geo.outH(h, kh), ow = geo.outW(w, kw), taps = kh * kw;
        float[] y = new float[Math.multiplyExact(n * c, oh * ow)], code = new float[codes.decodedLength()];
        codes.decode(code);
        Parallel p = (long) n * c * oh * ow * kh * kw < TernaryMatmul.SERIAL_WORK ? Parallel.serial() : par;
        p.forRange(n * c, 1, (from, to) -> {
            float[] sp = new float[ow], sn = new float[ow];
            int[] pos = new int[taps], neg = new int[taps];
            for (int plane = from; plane < to; plane++) {
                int ch = plane % c, np = 0, nn = 0;
                for (int t = 0; t < taps; t++) {
                    float v = code[ch * taps + t];
                    if (v > 0) pos[np++] = t;
                    else if (v < 0) neg[nn++] = t;
                }
                channel(x, plane, new Taps(pos, np, neg, nn), h, w, geo, oh, ow, y, sp, sn);
            }
        });
        return new ConvOutput(y, n, c, oh, ow, ow);
    }

    /** A channel's +1 taps pos[0 … np) and −1 taps neg[0 … nn), in tap order. */
    private record Taps(int[] pos, int np, int[] neg, int nn) {}

    private void channel(float[] x, int plane, Taps t, int h, int w, ConvGeometry geo, int oh, int ow, float[] y, float[] sp, float[] sn) {
        int ch = plane % scale.length, in = plane * h * w, out = plane * oh * ow;
        float s = scale[ch];
        for (int oy = 0; oy < oh; oy++) {
            java.util.Arrays.fill(sp, 0f);
            java.util.Arrays.fill(sn, 0f);
            accumulate(x, in, h, w, geo, oy, ow, t.pos(), t.np(), sp);
            accumulate(x, in, h, w, geo, oy, ow, t.neg(), t.nn(), sn);
            int o = out + oy * ow;
            for (int ox = 0; ox < ow; ox++) y[o + ox] = s * (sp[ox] - sn[ox]);
        }
    }

    /** Adds, tap by tap in tap order, the inputs under taps[0 … count) to each output column's sum (zeros outside the image). */
    private void accumulate(float[] x, int in, int h, int w, ConvGeometry geo, int oy, int ow, int[] taps, int count, float[] sum) {
        for (int i = 0; i < count; i++) {
            int t = taps[i];
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
