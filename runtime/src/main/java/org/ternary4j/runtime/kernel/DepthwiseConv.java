package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

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

    /**
     * x [n, c, h, w] → [n, c, oh, ow] without bias; channels split among threads. Stride 1 runs
     * over a zero-padded copy of each plane (see {@link #padded}), so its rows come out as wide as
     * the padded rows ({@link ConvOutput#pitch}).
     */
    ConvOutput forward(float[] x, int n, int h, int w, ConvGeometry geo, Parallel par) {
        int c = scale.length, oh = geo.outH(h, kh), ow = geo.outW(w, kw), taps = kh * kw;
        boolean view = geo.strideH() == 1 && geo.strideW() == 1;
        int pitch = view ? PixelSource.pitch(geo, w) : ow;
        float[] y = new float[Math.multiplyExact(n * c, oh * pitch)], code = new float[codes.decodedLength()];
        codes.decode(code);
        Parallel p = (long) n * c * oh * ow * kh * kw < TernaryMatmul.SERIAL_WORK ? Parallel.serial() : par;
        p.forRange(n * c, 1, (from, to) -> {
            float[] sp = new float[ow], sn = new float[ow];
            Padded pad = view ? new Padded(geo, h, w, oh, kh, kw) : null;
            int[] pos = new int[taps], neg = new int[taps];
            for (int plane = from; plane < to; plane++) {
                int ch = plane % c, np = 0, nn = 0;
                for (int t = 0; t < taps; t++) {
                    // no branch on the code: random codes mispredicted one in three
                    float v = code[ch * taps + t];
                    pos[np] = t;
                    neg[nn] = t;
                    np += v > 0 ? 1 : 0;
                    nn += v < 0 ? 1 : 0;
                }
                Taps tp = new Taps(pos, np, neg, nn);
                if (view) padded(x, plane, tp, pad, y);
                else channel(x, plane, tp, h, w, geo, oh, ow, y, sp, sn);
            }
        });
        return new ConvOutput(y, n, c, oh, ow, pitch);
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * A thread's scratch for stride-1 planes: the plane zero-padded to rows of {@code pitch}, and
     * the sums of the +1 and −1 taps for every output (oh·pitch, in vectors). Tap (ky, kx) of
     * output j = oy·pitch + ox reads padded value j + ky·dh·pitch + kx·dw, so a tap is one
     * contiguous add over all outputs.
     */
    private static final class Padded {
        final int h, w, pitch, top, left, outputs, span;
        final int[] offset;
        final float[] in, sp, sn;

        Padded(ConvGeometry geo, int h, int w, int oh, int kh, int kw) {
            this.h = h;
            this.w = w;
            pitch = PixelSource.pitch(geo, w);
            top = geo.padTop();
            left = geo.padLeft();
            outputs = oh * pitch;
            span = (outputs + F.length() - 1) / F.length() * F.length();
            offset = new int[kh * kw];
            int max = 0;
            for (int t = 0; t < offset.length; t++) max = Math.max(max, offset[t] = t / kw * geo.dilationH() * pitch + t % kw * geo.dilationW());
            in = new float[Math.max((h + geo.padTop() + geo.padBottom()) * pitch, max + span)];
            sp = new float[span];
            sn = new float[span];
        }
    }

    /**
     * One stride-1 plane: each output's +1 and −1 sums over its taps in tap order, as
     * {@link #channel} computes them. Taps in the padding add +0 where channel skips them, which
     * changes no sum (a sum that starts at +0 is never −0), so the results are the same bits.
     */
    private void padded(float[] x, int plane, Taps t, Padded p, float[] y) {
        float[] in = p.in, sp = p.sp, sn = p.sn;
        for (int iy = 0; iy < p.h; iy++) System.arraycopy(x, (plane * p.h + iy) * p.w, in, (iy + p.top) * p.pitch + p.left, p.w);
        sums(in, p.offset, t.pos(), t.np(), sp, p.span);
        sums(in, p.offset, t.neg(), t.nn(), sn, p.span);
        float s = scale[plane % scale.length];
        int out = plane * p.outputs, j = 0;
        for (; j + F.length() <= p.outputs; j += F.length()) {
            FloatVector.fromArray(F, sp, j).sub(FloatVector.fromArray(F, sn, j)).mul(s).intoArray(y, out + j);
        }
        for (; j < p.outputs; j++) y[out + j] = s * (sp[j] - sn[j]);
    }

    /** sum[j] = Σ in[offset[taps[i]] + j] over i in order, for j below span (a multiple of the vector length). */
    private static void sums(float[] in, int[] offset, int[] taps, int count, float[] sum, int span) {
        java.util.Arrays.fill(sum, 0f);
        for (int i = 0; i < count; i++) {
            int o = offset[taps[i]];
            for (int j = 0; j < span; j += F.length()) FloatVector.fromArray(F, in, o + j).add(FloatVector.fromArray(F, sum, j)).intoArray(sum, j);
        }
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
