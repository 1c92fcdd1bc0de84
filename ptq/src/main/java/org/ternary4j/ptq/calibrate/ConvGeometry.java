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
        for (int g = 0; g < groups; g++) patches(x, ref, n, h, w, g, stats.get(g));
    }

    private void patches(float[] x, float[] ref, int n, int h, int w, int group, InputStats stats) {
        int oh = outH(h), ow = outW(w), k = patchSize();
        if (oh < 1 || ow < 1) throw new IllegalArgumentException("conv input " + h + "×" + w + " is smaller than its kernel");
        float[] patch = new float[k], refPatch = ref == null ? null : new float[k];
        for (int e = 0; e < n; e++) {
            int base = (e * channels() + group * cin) * h * w;
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int p = 0;
                    for (int c = 0; c < cin; c++) {
                        for (int ky = 0; ky < kh; ky++) {
                            int y = oy * strideH - padTop + ky * dilH;
                            for (int kx = 0; kx < kw; kx++) {
                                int xx = ox * strideW - padLeft + kx * dilW;
                                boolean out = y < 0 || y >= h || xx < 0 || xx >= w;
                                if (refPatch != null) refPatch[p] = out ? 0f : ref[base + (c * h + y) * w + xx];
                                patch[p++] = out ? 0f : x[base + (c * h + y) * w + xx];
                            }
                        }
                    }
                    if (refPatch == null) stats.add(patch, 0);
                    else stats.add(patch, 0, refPatch, 0);
                }
            }
        }
    }
}
