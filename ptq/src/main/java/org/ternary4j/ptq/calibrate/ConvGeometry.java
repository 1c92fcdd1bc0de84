package org.ternary4j.ptq.calibrate;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * A 2-D convolution's geometry (explicit pads; {@code cin} input channels per group, {@code groups}
 * groups). {@link #patches} walks the input as the conv does and hands each output position's
 * receptive field within each group, in the weight's (cin, kh, kw) order with zeros for padding,
 * to that group's {@link InputStats}: a grouped conv is one calibration problem per group.
 */
public record ConvGeometry(int cin, int kh, int kw, int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight,
                           int dilH, int dilW, int groups) {

    /** A conv with one group. */
    public ConvGeometry(int cin, int kh, int kw, int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight, int dilH, int dilW) {
        this(cin, kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight, dilH, dilW, 1);
    }

    /** Input channels over all groups. */
    public int channels() {
        return cin * groups;
    }

    public int patchSize() {
        return cin * kh * kw;
    }

    public int outH(int h) {
        return (h + padTop + padBottom - dilH * (kh - 1) - 1) / strideH + 1;
    }

    public int outW(int w) {
        return (w + padLeft + padRight - dilW * (kw - 1) - 1) / strideW + 1;
    }

    /** Adds every patch of the NCHW input {@code x} of {@code n} examples to {@code stats} (one group). */
    public void patches(float[] x, int n, int h, int w, InputStats stats) {
        patches(x, null, n, h, w, List.of(stats));
    }

    /**
     * Adds every patch of group g to {@code stats.get(g)}, pairing each patch with the same patch of
     * {@code ref} when not null.
     */
    public void patches(float[] x, float[] ref, int n, int h, int w, List<InputStats> stats) {
        patches(new Batch(x, ref, n, h, w, Examples.range(0, n)), stats, RowSample.ALL);
    }

    /**
     * One batch of NCHW inputs: {@code n} examples, {@code examples} of the calibration set, and the full-precision model's inputs {@code ref} for the same examples (or
     * null). The buffers are read at absolute positions, so views of native memory serve uncopied.
     */
    record Batch(FloatBuffer x, FloatBuffer ref, int n, int h, int w, Examples examples) {
        Batch(float[] x, float[] ref, int n, int h, int w, Examples examples) {
            this(FloatBuffer.wrap(x), ref == null ? null : FloatBuffer.wrap(ref), n, h, w, examples);
        }
    }

    /**
     * Adds the patches of the output positions {@code sample} keeps (rows numbered example·oh·ow +
     * y·ow + x across the calibration set) to each group's stats. Example by example, and within
     * one example group by group: each group still gets its rows in ascending order, and one
     * group's statistics stay in cache while they take that example's rows (a depthwise conv has
     * hundreds of groups). Each example is first copied into a zero-padded plane, so that every
     * receptive field lies inside it.
     */
    void patches(Batch b, List<InputStats> stats, RowSample sample) {
        int h = b.h(), w = b.w(), oh = outH(h), ow = outW(w);
        if (oh < 1 || ow < 1) throw new IllegalArgumentException("conv input " + h + "×" + w + " is smaller than its kernel");
        if (DepthwiseGram.fits(this)) {
            DepthwiseGram dw = new DepthwiseGram(this, h, w, b.ref() != null);
            long per = (long) oh * ow;
            for (int e = 0; e < b.n(); e++) {
                long from = b.examples().get(e) * per, to = from + per, first = sample.firstFrom(from);
                if (first < to) dw.example(b, e, from, to, first, sample.stride(), stats);
            }
            return;
        }
        Padded x = new Padded(h, w), ref = b.ref() == null ? null : new Padded(h, w);
        float[] patch = new float[patchSize()], refPatch = ref == null ? null : new float[patchSize()];
        long per = (long) oh * ow;
        for (int e = 0; e < b.n(); e++) {
            long from = b.examples().get(e) * per, to = from + per, first = sample.firstFrom(from);
            if (first >= to) continue;
            x.load(b.x(), e);
            if (ref != null) ref.load(b.ref(), e);
            for (int g = 0; g < groups; g++) {
                InputStats st = stats.get(g);
                int base = g * cin * x.height * x.width;
                for (long row = first; row < to; row += sample.stride()) {
                    int pos = (int) (row - from), oy = pos / ow, ox = pos % ow;
                    x.fill(base, oy, ox, patch);
                    if (ref == null) {
                        st.add(patch, 0);
                    } else {
                        ref.fill(base, oy, ox, refPatch);
                        st.add(patch, 0, refPatch, 0);
                    }
                }
            }
        }
    }

    /** One example's channels with the conv's zero padding around each (the padding is never overwritten). */
    private final class Padded {
        final int h, w, height, width;
        final float[] values;

        Padded(int h, int w) {
            this.h = h;
            this.w = w;
            this.height = h + padTop + padBottom;
            this.width = w + padLeft + padRight;
            this.values = new float[channels() * height * width];
        }

        /** Example e of the NCHW batch in {@code src}. */
        void load(FloatBuffer src, int e) {
            int at = e * channels() * h * w;
            for (int c = 0; c < channels(); c++) {
                for (int y = 0; y < h; y++, at += w) src.get(at, values, (c * height + y + padTop) * width + padLeft, w);
            }
        }

        /** The receptive field of output (oy, ox) in the channels from {@code base} on, (cin, kh, kw) order. */
        void fill(int base, int oy, int ox, float[] patch) {
            int p = 0;
            for (int c = 0; c < cin; c++) {
                for (int ky = 0; ky < kh; ky++) {
                    int at = base + (c * height + oy * strideH + ky * dilH) * width + ox * strideW;
                    for (int kx = 0; kx < kw; kx++) patch[p++] = values[at + kx * dilW];
                }
            }
        }
    }
}
