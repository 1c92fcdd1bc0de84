package org.ternary4j.ptq.calibrate;

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
        patches(x, null, n, h, w, java.util.List.of(stats));
    }

    /**
     * Adds every patch of group g to {@code stats.get(g)}, pairing each patch with the same patch of
     * {@code ref} when not null.
     */
    public void patches(float[] x, float[] ref, int n, int h, int w, java.util.List<InputStats> stats) {
        patches(new Batch(x, ref, n, h, w, 0), stats, RowSample.ALL);
    }

    /**
     * One batch of NCHW inputs: {@code n} examples whose first is example {@code first} of the
     * calibration set, and the full-precision model's inputs {@code ref} for the same examples (or null).
     */
    record Batch(float[] x, float[] ref, int n, int h, int w, long first) {}

    /**
     * Adds the patches of the output positions {@code sample} keeps (rows numbered example·oh·ow +
     * y·ow + x across the calibration set) to each group's stats.
     */
    void patches(Batch b, java.util.List<InputStats> stats, RowSample sample) {
        int h = b.h(), w = b.w(), oh = outH(h), ow = outW(w), k = patchSize();
        if (oh < 1 || ow < 1) throw new IllegalArgumentException("conv input " + h + "×" + w + " is smaller than its kernel");
        float[] patch = new float[k], refPatch = b.ref() == null ? null : new float[k];
        long per = (long) oh * ow, from = b.first() * per, to = from + b.n() * per;
        for (long row = sample.firstFrom(from); row < to; row += sample.stride()) {
            long local = row - from;
            int e = (int) (local / per), pos = (int) (local % per), oy = pos / ow, ox = pos % ow;
            for (int g = 0; g < groups; g++) {
                int base = (e * channels() + g * cin) * h * w;
                fill(b.x(), base, oy, ox, h, w, patch);
                if (refPatch == null) {
                    stats.get(g).add(patch, 0);
                } else {
                    fill(b.ref(), base, oy, ox, h, w, refPatch);
                    stats.get(g).add(patch, 0, refPatch, 0);
                }
            }
        }
    }

    /** The receptive field of output (oy, ox) in the channels from {@code base} on, (cin, kh, kw) order, zeros for padding. */
    private void fill(float[] x, int base, int oy, int ox, int h, int w, float[] patch) {
        int p = 0;
        for (int c = 0; c < cin; c++) {
            for (int ky = 0; ky < kh; ky++) {
                int y = oy * strideH - padTop + ky * dilH;
                boolean rowOut = y < 0 || y >= h;
                int at = base + (c * h + y) * w;
                for (int kx = 0; kx < kw; kx++) {
                    int xx = ox * strideW - padLeft + kx * dilW;
                    patch[p++] = rowOut || xx < 0 || xx >= w ? 0f : x[at + xx];
                }
            }
        }
    }
}
