package org.ternary4j.runtime.kernel;

import java.util.Arrays;

/**
 * A float convolution (NCHW, weights [O, I/groups, kh, kw]) for layers kept in full precision:
 * per group a transposed im2col (or a view of the padded input), then, for images of at least
 * {@link #PANEL_PIXELS} output pixels, a {@link PanelConv} panel product of the weight rows, and
 * otherwise every output channel as a vector of pixels accumulated with FMAs (one broadcast weight
 * times one vector of pixels per kernel input). Either way each output is one FMA chain in input
 * order, and work splits by pixel blocks or output channels, so results do not depend on the
 * thread count. No bias: callers apply it with the rest
 * of the layer's epilogue.
 */
public final class Fp32Conv2d {

    private final float[] w;
    private final int outChannels;
    private final int inPerGroup;
    private final int kh;
    private final int kw;
    private final int groups;
    /** The fused path's taps (every weight one), built on the first call of each input shape. */
    private final TapConv.Cache taps = new TapConv.Cache();

    public Fp32Conv2d(float[] w, int[] shape, int groups) {
        if (shape.length != 4) throw new IllegalArgumentException("conv weight must be [O, I/groups, kh, kw], got shape " + Arrays.toString(shape));
        if (groups < 1 || shape[0] % groups != 0) throw new IllegalArgumentException("conv: " + shape[0] + " output channels not divisible by group " + groups);
        if (w.length != (long) shape[0] * shape[1] * shape[2] * shape[3]) throw new IllegalArgumentException("conv: " + w.length + " weights for shape " + Arrays.toString(shape));
        this.w = w;
        this.outChannels = shape[0];
        this.inPerGroup = shape[1];
        this.kh = shape[2];
        this.kw = shape[3];
        this.groups = groups;
    }

    public int outChannels() {
        return outChannels;
    }

    public int kernelH() {
        return kh;
    }

    public int kernelW() {
        return kw;
    }

    /** x is [n, c, h, w]; returns [n, outChannels, outH, outW]. */
    public float[] forward(float[] x, int n, int c, int h, int wd, ConvGeometry geo, Parallel par) {
        return forwardRaw(x, n, c, h, wd, geo, par).compact();
    }

    /** As {@link #forward}, the rows as the kernel wrote them (see {@link ConvOutput}). */
    public ConvOutput forwardRaw(float[] x, int n, int c, int h, int wd, ConvGeometry geo, Parallel par) {
        if (geo.groups() != groups) throw new IllegalArgumentException("conv: geometry has group " + geo.groups() + ", weights have " + groups);
        if (c != inPerGroup * groups) throw new IllegalArgumentException("conv: input has " + c + " channels, weight expects " + inPerGroup * groups);
        int oh = geo.outH(h, kh), ow = geo.outW(wd, kw), k = inPerGroup * kh * kw;
        boolean view = PixelSource.viewPays(geo, wd, kw);
        int pitch = PixelSource.rowPitch(geo, wd, kw), pixels = oh * pitch;
        int perGroup = outChannels / groups;
        float[] y = Buffers.floats(Math.multiplyExact(n, Math.multiplyExact(outChannels, pixels)));
        boolean acrossGroups = groups >= par.threads() && par.threads() > 1, small = (long) perGroup * k * pixels < TernaryConv2d.SERIAL_FLOAT_CONV_WORK;
        if (Batching.acrossImages(n, par)) {
            par.forRange(n, 1, (i0, i1) -> {
                for (int img = i0; img < i1; img++) for (int gi = 0; gi < groups; gi++) group(x, new Shape(img, c, h, wd), gi, geo, view, y, Parallel.serial());
            });
            return new ConvOutput(y, n, outChannels, oh, ow, pitch);
        }
        Parallel inner = acrossGroups || small ? Parallel.serial() : par;
        for (int img = 0; img < n; img++) {
            Shape s = new Shape(img, c, h, wd);
            Parallel.RangeBody body = (from, to) -> {
                for (int gi = from; gi < to; gi++) group(x, s, gi, geo, view, y, inner);
            };
            if (acrossGroups) par.forRange(groups, 1, body);
            else body.run(0, groups);
        }
        return new ConvOutput(y, n, outChannels, oh, ow, pitch);
    }

    /**
     * The conv and {@code f} in one pass through {@link TapConv} (one group, stride 1, finite x):
     * [n, outChannels, outH, outW] or pooled, the same bits as {@link #forwardRaw} with f applied
     * after it; null where that does not apply, and on 256-bit machines where the panel product
     * serves the image ({@link #PANEL_PIXELS}): measured faster there, finish included.
     */
    public float[] forwardFinished(float[] x, int n, int c, int h, int wd, ConvGeometry geo, TapConv.Finish f, Parallel par) {
        if (groups != 1 || geo.groups() != 1 || !TapConv.applies(1, kw, geo, wd) || !VectorWidth.WIDE && panels(geo, h, wd)) return null;
        if (c != inPerGroup) throw new IllegalArgumentException("conv: input has " + c + " channels, weight expects " + inPerGroup);
        if (x.length != (long) n * c * h * wd) throw new IllegalArgumentException("conv: input has " + x.length + " values for [" + n + ", " + c + ", " + h + ", " + wd + "]");
        int oh = geo.outH(h, kh), ow = geo.outW(wd, kw);
        // a quad's zero coefficients multiply real inputs: 0·∞ would be NaN
        if (f.pool() && (oh < 2 || ow < 2) || !FloatKernels.allFinite(x, 0, x.length)) return null;
        int plane = f.pool() ? (oh / 2) * (ow / 2) : oh * ow;
        float[] y = Buffers.floats(Math.multiplyExact(n, Math.multiplyExact(outChannels, plane)));
        boolean share = (long) outChannels * inPerGroup * kh * kw * oh * ow >= TernaryConv2d.SERIAL_FLOAT_CONV_WORK;
        TapConv.forwardFloat(w, taps, outChannels, kh, kw, x, n, c, h, wd, geo, f, y, par, share);
        return y;
    }

    /** Which image of an input [n, c, h, w] a call works on. */
    private record Shape(int image, int c, int h, int w) {}

    /** Image s.image()'s group gi into y; rows shared by {@code par} (no output depends on it). */
    private void group(float[] x, Shape s, int gi, ConvGeometry geo, boolean view, float[] y, Parallel par) {
        int k = inPerGroup * kh * kw, oh = geo.outH(s.h(), kh), pitch = PixelSource.rowPitch(geo, s.w(), kw);
        int yOff = s.image() * outChannels * oh * pitch, perGroup = outChannels / groups;
        PixelSource src = view ? PixelSource.view(x, s.image(), s.c(), s.h(), s.w(), gi * inPerGroup, inPerGroup, kh, kw, geo, null, k)
                : PixelSource.im2col(x, s.image(), s.c(), s.h(), s.w(), gi * inPerGroup, inPerGroup, kh, kw, geo, null, k);
        int r0 = gi * perGroup, pixels = src.kernelPixels();
        if (pixels >= PANEL_PIXELS) {
            PanelConv.forwardFloat(w, r0 * k, perGroup, k, src, pixels, pixels, y, yOff + r0 * pixels, par);
            return;
        }
        par.forRange(perGroup, 4, (a, b) -> pixelRows(w, k, src, r0 + a, r0 + b, y, yOff));
    }

    /**
     * Output pixels (as the kernel writes them) from which a group's product is a {@link PanelConv}
     * panel product: on a 256-bit machine it beat the four-row pixel kernel from 49 pixels up
     * (LeNet-5's stem 8.5 → 7.1 µs, PP-OCRv4's 3 → 16 stride-2 stem at 320×320 831 → 561 µs) and
     * lost below 16 (1.7 against 2.2 µs); and with the finish after it, it beat the fused tap
     * kernel too (LeNet-5 at batch 1: 44 → 41 µs a run; not measured where vectors are 512 bits).
     */
    static final int PANEL_PIXELS = 64;

    /** Whether the group products of this input shape are panel products. */
    private boolean panels(ConvGeometry geo, int h, int wd) {
        return geo.outH(h, kh) * PixelSource.rowPitch(geo, wd, kw) >= PANEL_PIXELS;
    }

    private static final ScaleArray ONE = ScaleArray.of(new float[] {1f});

    /** Rows [from, to) of y [rows, kernel pixels] at yOff: Σ_p w[r·k + p]·input p of pixel j, four rows at a time. */
    private static void pixelRows(float[] w, int k, PixelSource src, int from, int to, float[] y, int yOff) {
        int pixels = src.kernelPixels();
        int[] bounds = {0, k};
        float[] tail = new float[PixelKernel.PIXELS];
        int slab = PixelKernel.slab(k), width = src.width();
        for (int j = 0; j < width; j += slab) {
            for (int r = from; r < to; r += 4) {
                int r1 = Math.min(r + 1, to - 1), r2 = Math.min(r + 2, to - 1), r3 = Math.min(r + 3, to - 1);
                PixelKernel.rows4(w, null, r * k, r1 * k, r2 * k, r3 * k, bounds, ONE, null, 0, 0, 0, 0, src.data(), src.off(), j,
                        Math.min(width, j + slab), null, y, yOff + r * pixels, r + 1 < to ? yOff + (r + 1) * pixels : -1,
                        r + 2 < to ? yOff + (r + 2) * pixels : -1, r + 3 < to ? yOff + (r + 3) * pixels : -1, pixels, tail);
            }
        }
    }
}
