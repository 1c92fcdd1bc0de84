package org.ternary4j.runtime.kernel;

import java.util.Arrays;
import org.ternary4j.core.TernaryTensor;

/**
 * 2-D convolution (NCHW) with packed ternary weights [O, I/groups, kh, kw]: per group, the input
 * windows are unrolled (im2col, one row of I/groups·kh·kw values per output pixel) and multiplied
 * by that group's packed rows with {@link TernaryMatmul}. Grouped convolutions are groups of small
 * matrices; many groups run in parallel, one group's rows otherwise. Two shapes too small for the
 * padded layouts keep base-3 codes instead and decode them per call: depthwise convs
 * ({@link DepthwiseConv}) and 1×1 convs with one scale per output channel ({@link CompactPointwise}).
 * A batch of at least one image per thread is shared by whole images ({@link Batching}). On the
 * exact path, stride-1 convs of one group with one scale per row skip all of that and run over
 * their nonzero codes with the layer's finish in the same pass ({@link #forwardFinished}, {@link TapConv}),
 * unless the image is large: then convs with one scale per row are a {@link PanelConv} product.
 */
public final class TernaryConv2d {
    private final PackedTernaryMatrix[] groups;
    private final float[] bias;
    private final Kernel kernel;
    /** The direct kernel of a depthwise conv with one scale per channel (then {@link #groups} is only kept for its count); null otherwise. */
    private final DepthwiseConv depthwise;
    /** The compact form of a 1×1 conv with one scale per output channel (then {@link #groups} only counts); null otherwise. */
    private final CompactPointwise compact;
    /** The exact fused path's taps, built on the first call of each input shape. */
    private final TapConv.Cache taps = new TapConv.Cache();
    /** The Winograd path's transformed codes, built on its first call. */
    private volatile WinogradConv.Weights tiles;

    /**
     * Work below which a conv of one image stays on the calling thread, about 60–100 µs of it:
     * multiply-adds of a 1×1 or a pixel-kernel conv (2^22), adds of a depthwise conv (2^21, at a tenth of the
     * rate), multiply-adds of a float conv (2^19: its im2col costs more than its FMAs). The
     * project machine's two cores are far apart (a parked worker took 15–55 µs to start, and a
     * core reads what the other just wrote slowly), so every hand-off of a small conv cost more
     * than the second core saved: on the shared machine the PaddleOCR classifier (largest
     * 1×1 conv 1.2 M multiply-adds, depthwise 0.96 M adds) ran 4× slower on two threads than on
     * one (2.7 against 0.69 ms) with those layers split (the bars had been 2^19 and 2^16), and with
     * workers spinning VGG at batch 1 still ran half as fast with them split (the worker reads the
     * frame the calling thread filled, across cores).
     */
    static final long SERIAL_CONV_WORK = 1 << 22, SERIAL_DEPTHWISE_WORK = 1 << 21, SERIAL_FLOAT_CONV_WORK = 1 << 19;

    /** The weight's shape [O, I/groups, kh, kw]. */
    private record Kernel(int outChannels, int inPerGroup, int kh, int kw) {}

    private TernaryConv2d(PackedTernaryMatrix[] groups, float[] bias, Kernel kernel, boolean onePixel) {
        this.depthwise = kernel.inPerGroup() == 1 && groups.length == kernel.outChannels() ? DepthwiseConv.of(groups, kernel.kh(), kernel.kw()) : null;
        this.compact = depthwise == null && kernel.kh() == 1 && kernel.kw() == 1 && groups.length == 1 ? CompactPointwise.of(groups[0], onePixel) : null;
        this.groups = depthwise == null && compact == null ? groups : new PackedTernaryMatrix[groups.length];
        this.bias = bias;
        this.kernel = kernel;
    }

    /** bias may be null. */
    public static TernaryConv2d of(TernaryTensor weight, float[] bias, int g) {
        return of(weight, bias, g, false);
    }

    /**
     * As {@link #of(TernaryTensor, float[], int)}; {@code onePixel}: the graph only ever gives this
     * conv one pixel per image (after a global pooling), so a 1×1 conv keeps its codes in the
     * order that product reads (inputs of more pixels still run, through a per-call reordering).
     */
    public static TernaryConv2d of(TernaryTensor weight, float[] bias, int g, boolean onePixel) {
        int[] s = weight.shape();
        if (s.length != 4) throw new IllegalArgumentException("conv weight must be [O, I/groups, kh, kw], got shape " + Arrays.toString(s));
        if (g < 1) throw new IllegalArgumentException("conv: group must be ≥ 1, got " + g);
        if (s[0] % g != 0) throw new IllegalArgumentException("conv: " + s[0] + " output channels not divisible by group " + g);
        if (bias != null && bias.length != s[0]) throw new IllegalArgumentException("conv: bias has " + bias.length + " values for " + s[0] + " output channels");
        int perGroup = s[0] / g;
        PackedTernaryMatrix[] mats = new PackedTernaryMatrix[g];
        for (int i = 0; i < g; i++) mats[i] = PackedTernaryMatrix.of(weight, i * perGroup, perGroup);
        return new TernaryConv2d(mats, bias == null ? null : bias.clone(), new Kernel(s[0], s[1], s[2], s[3]), onePixel);
    }

    /** Whether this conv runs the direct depthwise kernel (for tests). */
    boolean directDepthwise() {
        return depthwise != null;
    }

    /** Whether this 1×1 conv keeps its weights as {@link CompactPointwise} (for tests). */
    boolean compactPointwise() {
        return compact != null;
    }

    public int outChannels() {
        return kernel.outChannels();
    }

    public long residentBytes() {
        return weightBytes().total();
    }

    /** Codes, scales and the conv's bias, which it keeps as floats beside them. */
    public WeightBytes weightBytes() {
        WeightBytes b = new WeightBytes(0, 0, bias == null ? 0 : bias.length * 4L);
        if (depthwise != null) return b.plus(depthwise.weightBytes());
        if (compact != null) return b.plus(compact.weightBytes());
        for (PackedTernaryMatrix m : groups) b = b.plus(m.weightBytes());
        return b;
    }

    public int kernelH() {
        return kernel.kh();
    }

    public int kernelW() {
        return kernel.kw();
    }

    /** x is [n, c, h, w]; returns [n, outChannels, outH, outW], bias added. {@code exact} keeps activations in float. */
    public float[] forward(float[] x, int n, int c, int h, int w, ConvGeometry geo, boolean exact, Parallel par) {
        ConvOutput o = forwardRaw(x, n, c, h, w, geo, exact, par);
        float[] y = o.compact();
        if (bias != null) {
            int pixels = o.outH() * o.outW();
            for (int p = 0; p < o.planes(); p++) {
                float b = bias[p % kernel.outChannels()];
                for (int i = p * pixels; i < (p + 1) * pixels; i++) y[i] += b;
            }
        }
        return y;
    }

    /** x holds [n, c, h, w] and c is the weights' input channels (over all groups). */
    private void requireInput(float[] x, int n, int c, int h, int w) {
        int expected = kernel.inPerGroup() * groups.length;
        if (c != expected) throw new IllegalArgumentException("conv: input has " + c + " channels, weights expect " + expected);
        if (x.length != (long) n * c * h * w) throw new IllegalArgumentException("conv: input has " + x.length + " values for [" + n + ", " + c + ", " + h + ", " + w + "]");
    }

    /** The conv's bias (null if none), which {@link #forwardRaw} leaves to the caller. */
    public float[] bias() {
        return bias == null ? null : bias.clone();
    }

    /** As {@link #forward} without the bias, the rows as the kernel wrote them (see {@link ConvOutput}). */
    public ConvOutput forwardRaw(float[] x, int n, int c, int h, int w, ConvGeometry geo, boolean exact, Parallel par) {
        int g = groups.length;
        if (geo.groups() != g) throw new IllegalArgumentException("conv: geometry has group " + geo.groups() + ", weights were split into " + g);
        requireInput(x, n, c, h, w);
        // the depthwise kernel reads only taps with nonzero codes, so NaN and infinity need no other path
        if (depthwise != null) return depthwise.forward(x, n, h, w, geo, par);
        boolean finite = FloatKernels.allFinite(x, 0, x.length);
        if (finite && compact != null) return compact(x, n, c, h, w, geo, exact, par);
        if (finite && exact && pointwise(geo)) return pointwise(x, n, h, w, par);
        if (finite) return forwardPixels(x, n, c, h, w, geo, !exact, par);
        int oh = geo.outH(h, kernel.kh()), ow = geo.outW(w, kernel.kw());
        PackedTernaryMatrix[] mats = compact == null ? groups : new PackedTernaryMatrix[] {compact.unpack()};
        return new ConvOutput(forwardPerPixel(mats, x, n, c, h, w, geo, exact, par), n, kernel.outChannels(), oh, ow, ow);
    }

    /**
     * The exact path's fused form, where {@link TapConv} applies and x is finite: the product, the
     * scale and {@code f} in one pass, [n, outChannels, outH, outW] or pooled, the same bits as
     * {@link #forwardRaw} with f applied after it. Null where it does not apply: the caller then
     * takes {@link #forwardRaw} and finishes the rows itself.
     */
    public float[] forwardFinished(float[] x, int n, int c, int h, int w, ConvGeometry geo, TapConv.Finish f, Parallel par) {
        if (depthwise != null || compact != null || groups.length != 1 || geo.groups() != 1 || !TapConv.applies(groups[0], 1, kernel.kw(), geo, w)) return null;
        requireInput(x, n, c, h, w);
        int oh = geo.outH(h, kernel.kh()), ow = geo.outW(w, kernel.kw());
        if (f.pool() && (oh < 2 || ow < 2)) return null;
        if (PanelConv.applies(groups[0], oh * pitch(geo, w))) return null;
        if (!FloatKernels.allFinite(x, 0, x.length)) return null;
        int plane = f.pool() ? (oh / 2) * (ow / 2) : oh * ow;
        float[] y = Buffers.floats(Math.multiplyExact(n, Math.multiplyExact(kernel.outChannels(), plane)));
        boolean share = (long) kernel.outChannels() * FloatKernels.usedSteps(groups[0].layout()) * ReductionLayout.STEP * oh * ow >= SERIAL_CONV_WORK;
        TapConv.forward(groups[0], taps, kernel.kh(), kernel.kw(), x, n, c, h, w, geo, f, y, par, share);
        return y;
    }

    /**
     * As {@link #forwardFinished}, by Winograd's F(2×2, 3×3) where {@link WinogradConv} applies
     * (3×3, stride 1, even output sides): each output the dequantized layer's up to rounding, not
     * the direct sum's bits. Null where it does not apply.
     */
    public float[] forwardTiles(float[] x, int n, int c, int h, int w, ConvGeometry geo, TapConv.Finish f, Parallel par) {
        if (depthwise != null || compact != null || groups.length != 1 || !WinogradConv.applies(groups[0], kernel.kh(), kernel.kw(), geo, h, w)) return null;
        requireInput(x, n, c, h, w);
        if (!FloatKernels.allFinite(x, 0, x.length)) return null;
        WinogradConv.Weights u = tiles;
        if (u == null) tiles = u = WinogradConv.Weights.of(groups[0], c);
        int oh = geo.outH(h, 3), ow = geo.outW(w, 3), plane = f.pool() ? (oh / 2) * (ow / 2) : oh * ow;
        float[] y = Buffers.floats(Math.multiplyExact(n, Math.multiplyExact(kernel.outChannels(), plane)));
        WinogradConv.forward(u, x, n, c, h, w, geo, f, y, par);
        return y;
    }

    /**
     * A compact 1×1 conv: over the input planes as they are, or, with strides or padding, over
     * planes of the pixels the outputs read (zeros where they fall in the padding).
     */
    private ConvOutput compact(float[] x, int n, int c, int h, int w, ConvGeometry geo, boolean exact, Parallel par) {
        if (pointwise(geo)) return new ConvOutput(compact.forward(x, n, h * w, exact, par), n, kernel.outChannels(), h, w, w);
        int oh = geo.outH(h, 1), ow = geo.outW(w, 1);
        float[] xs = new float[Math.multiplyExact(n * c, oh * ow)];
        for (int plane = 0; plane < n * c; plane++) {
            for (int oy = 0; oy < oh; oy++) {
                int iy = oy * geo.strideH() - geo.padTop();
                if (iy < 0 || iy >= h) continue;
                for (int ox = 0; ox < ow; ox++) {
                    int ix = ox * geo.strideW() - geo.padLeft();
                    if (ix >= 0 && ix < w) xs[(plane * oh + oy) * ow + ox] = x[(plane * h + iy) * w + ix];
                }
            }
        }
        return new ConvOutput(compact.forward(xs, n, oh * ow, exact, par), n, kernel.outChannels(), oh, ow, ow);
    }

    /** A 1×1 convolution over every pixel (stride 1, no padding, one group): a matrix product with the input planes as they are. */
    private boolean pointwise(ConvGeometry geo) {
        return kernel.kh() == 1 && kernel.kw() == 1 && groups.length == 1 && geo.strideH() == 1 && geo.strideW() == 1
                && geo.padTop() == 0 && geo.padLeft() == 0 && geo.padBottom() == 0 && geo.padRight() == 0;
    }

    /**
     * The exact 1×1 convolution of finite inputs: y[o, pixel] = Σ_c w[o, c]·x[c, pixel], the
     * decoded weights as the rows of a {@link PanelGemm} product whose panels are the input
     * planes read in place (pixels along the lanes), blocks of pixels shared among threads. The
     * last partial block is copied out, so no load runs past the input.
     */
    private ConvOutput pointwise(float[] x, int n, int h, int w, Parallel par) {
        PackedTernaryMatrix m = groups[0];
        int cin = kernel.inPerGroup(), outs = kernel.outChannels(), hw = h * w, kp = m.layout().paddedK();
        float[] wts;
        int ld;
        if (m.layout().toPadded() == null) {
            // logical input ch sits at padded ch: the decoded rows serve as they are, only their used steps decoded
            ld = FloatKernels.usedSteps(m.layout()) * ReductionLayout.STEP;
            wts = DecodedGemm.decodedSteps(m, ld / ReductionLayout.STEP, ld);
        } else {
            float[] padded = DecodedGemm.decoded(m);
            ld = cin;
            wts = new float[outs * cin];
            for (int o = 0; o < outs; o++) for (int ch = 0; ch < cin; ch++) wts[o * cin + ch] = padded[o * kp + m.layout().padded(ch)];
        }
        float[] y = Buffers.floats(Math.multiplyExact(n, Math.multiplyExact(outs, hw)));
        PanelGemm.Rows weights = new PanelGemm.Rows(wts, 0, ld, y, 0, hw);
        if (Batching.acrossImages(n, par)) {
            par.forRange(n, 1, (i0, i1) -> {
                for (int img = i0; img < i1; img++) pointwiseImage(x, img, hw, weights, Parallel.serial());
            });
        } else {
            Parallel p = (long) outs * cin * hw < SERIAL_CONV_WORK ? Parallel.serial() : par;
            for (int img = 0; img < n; img++) pointwiseImage(x, img, hw, weights, p);
        }
        return new ConvOutput(y, n, outs, h, w, w);
    }

    /** One image of the 1×1 product; io holds the weights and y at image 0. */
    private void pointwiseImage(float[] x, int img, int hw, PanelGemm.Rows io, Parallel par) {
        int cin = kernel.inPerGroup(), outs = kernel.outChannels();
        PanelGemm.Rows rows = new PanelGemm.Rows(io.a(), 0, io.lda(), io.y(), img * outs * hw, hw);
        PanelGemm.overPlanes(rows, outs, x, img * cin * hw, cin, hw, par);
    }

    /** Inputs with NaN or infinity: one im2col row per output pixel through {@link TernaryMatmul}, whose packed kernels skip zero codes. */
    private float[] forwardPerPixel(PackedTernaryMatrix[] groups, float[] x, int n, int c, int h, int w, ConvGeometry geo, boolean exact, Parallel par) {
        int g = groups.length;
        int oh = geo.outH(h, kernel.kh()), ow = geo.outW(w, kernel.kw()), pixels = oh * ow, k = kernel.inPerGroup() * kernel.kh() * kernel.kw(), perGroup = kernel.outChannels() / g;
        float[] y = new float[Math.multiplyExact(n, Math.multiplyExact(kernel.outChannels(), pixels))];
        boolean acrossGroups = g >= par.threads() && par.threads() > 1;
        for (int img = 0; img < n; img++) {
            int image = img;
            Parallel.RangeBody body = (from, to) -> {
                float[] cols = new float[pixels * k];
                float[] out = new float[pixels * perGroup];
                Parallel inner = acrossGroups ? Parallel.serial() : par;
                for (int gi = from; gi < to; gi++) {
                    im2col(x, image, c, h, w, gi * kernel.inPerGroup(), oh, ow, geo, cols);
                    if (exact) TernaryMatmul.gemmExact(groups[gi], cols, pixels, out, inner);
                    else TernaryMatmul.gemm(groups[gi], cols, pixels, out, inner);
                    for (int o = 0; o < perGroup; o++) {
                        int ch = gi * perGroup + o, dst = (image * kernel.outChannels() + ch) * pixels;
                        for (int p = 0; p < pixels; p++) y[dst + p] = out[p * perGroup + o];
                    }
                }
            };
            if (acrossGroups) par.forRange(g, 1, body);
            else body.run(0, g);
        }
        return y;
    }

    /**
     * Finite inputs: a transposed im2col in each group's padded input order, and
     * {@link FloatKernels#pixelRows} vectorized over output pixels (at batch 1 a conv has few
     * inputs per output and many pixels). With {@code int8} each pixel's window is first quantized
     * as {@link QuantizedActivations} would ({@link PixelQuantizer}), which gives the integer
     * kernels' outputs exactly; the per-pixel path below remains for inputs with NaN or infinity.
     */
    private ConvOutput forwardPixels(float[] x, int n, int c, int h, int w, ConvGeometry geo, boolean int8, Parallel par) {
        int g = groups.length, oh = geo.outH(h, kernel.kh()), ow = geo.outW(w, kernel.kw()), perGroup = kernel.outChannels() / g;
        int pitch = pitch(geo, w), pixels = oh * pitch;
        float[] y = Buffers.floats(Math.multiplyExact(n, Math.multiplyExact(kernel.outChannels(), pixels)));
        boolean small = (long) perGroup * FloatKernels.usedSteps(groups[0].layout()) * ReductionLayout.STEP * pixels < SERIAL_CONV_WORK;
        Parallel.RangeBody images = (i0, i1) -> {
            for (int img = i0; img < i1; img++) {
                for (int gi = 0; gi < g; gi++) pixelGroup(x, new Image(img, c, h, w), gi, geo, int8, y, pixels, Parallel.serial());
            }
        };
        if (Batching.acrossImages(n, par)) {
            // whole images per thread: a batch's convs no longer wait on a split of one small image's rows
            par.forRange(n, 1, images);
            return new ConvOutput(y, n, kernel.outChannels(), oh, ow, pitch);
        }
        boolean acrossGroups = g >= par.threads() && par.threads() > 1;
        Parallel inner = acrossGroups || small ? Parallel.serial() : par;
        for (int img = 0; img < n; img++) {
            Image image = new Image(img, c, h, w);
            Parallel.RangeBody body = (from, to) -> {
                for (int gi = from; gi < to; gi++) pixelGroup(x, image, gi, geo, int8, y, pixels, inner);
            };
            if (acrossGroups) par.forRange(g, 1, body);
            else body.run(0, g);
        }
        return new ConvOutput(y, n, kernel.outChannels(), oh, ow, pitch);
    }

    /** Output values per row the pixel products write ({@link PixelSource#rowPitch}). */
    private int pitch(ConvGeometry geo, int w) {
        return PixelSource.rowPitch(geo, w, kernel.kw());
    }

    /** Which image of an input [n, c, h, w] a kernel works on. */
    private record Image(int index, int c, int h, int w) {}

    /** One image's group gi into y (each output's value does not depend on {@code par}). */
    private void pixelGroup(float[] x, Image im, int gi, ConvGeometry geo, boolean int8, float[] y, int pixels, Parallel par) {
        int perGroup = kernel.outChannels() / groups.length, image = im.index(), c = im.c(), h = im.h(), w = im.w();
        boolean view = PixelSource.viewPays(geo, w, kernel.kw());
        PackedTernaryMatrix m = groups[gi];
        int rows = FloatKernels.usedSteps(m.layout()) * ReductionLayout.STEP;
        int[] rowOf = m.layout().toPadded();
        PixelSource viewOrCols = view ? PixelSource.view(x, image, c, h, w, gi * kernel.inPerGroup(), kernel.inPerGroup(), kernel.kh(), kernel.kw(), geo, rowOf, rows)
                : PixelSource.im2col(x, image, c, h, w, gi * kernel.inPerGroup(), kernel.inPerGroup(), kernel.kh(), kernel.kw(), geo, rowOf, rows);
        int yOff = (image * kernel.outChannels() + gi * perGroup) * pixels;
        if (PanelConv.applies(m, pixels)) {
            PanelConv.forward(m, viewOrCols, pixels, pixels, int8, y, yOff, par);
            return;
        }
        if (int8 && view) {
            quantizedSlabs(m, viewOrCols, rows, y, yOff, par);
            return;
        }
        PixelSource src = viewOrCols;
        float[] scale = int8 ? new float[src.width()] : null;
        if (int8) PixelQuantizer.quantize(src.data(), rows, src.width(), scale);
        par.forRange(perGroup, 4, (r0, r1) -> FloatKernels.pixelRows(m, src, pixels, r0, r1, y, yOff, scale));
    }

    /**
     * The int8 path over a stride-1 view: each pixel needs its own quantized copy of its window,
     * so slabs of pixel columns are copied out, quantized and multiplied while they sit in L1 (a
     * whole copy of VGG's 16-channel windows is 0.5 MB, and the kernel slowed to L2 speed).
     * Slabs are shared among threads; a pixel's result does not depend on its slab.
     */
    private void quantizedSlabs(PackedTernaryMatrix m, PixelSource view, int rows, float[] y, int yOff, Parallel par) {
        int kp = view.kernelPixels(), width = view.width(), slab = PixelKernel.slab(rows), perGroup = m.rows();
        par.forRange((width + slab - 1) / slab, 1, (s0, s1) -> {
            float[] buf = Scratch.floats(Scratch.Slot.SLAB, rows * slab), scale = Scratch.floats(Scratch.Slot.SLAB_SCALES, slab);
            int[] at = new int[rows];
            for (int p = 0; p < rows; p++) at[p] = p * slab;
            for (int si = s0; si < s1; si++) {
                int j0 = si * slab, cols = Math.min(slab, width - j0);
                for (int p = 0; p < rows; p++) System.arraycopy(view.data(), view.off()[p] + j0, buf, p * slab, cols);
                PixelQuantizer.quantize(buf, rows, slab, scale);
                PixelSource part = new PixelSource(buf, at, cols, view.pitch(), view.outH(), view.outW());
                FloatKernels.pixelRows(m, part, kp, kp - j0, 0, perGroup, y, yOff + j0, scale);
            }
        });
    }

    /** One row per output pixel: the window of channels [c0, c0 + inPerGroup) in (channel, ky, kx) order; zeros outside the image. */
    private void im2col(float[] x, int img, int c, int h, int w, int c0, int oh, int ow, ConvGeometry geo, float[] cols) {
        int k = kernel.inPerGroup() * kernel.kh() * kernel.kw();
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                int row = (oy * ow + ox) * k, i = 0;
                for (int ci = 0; ci < kernel.inPerGroup(); ci++) {
                    int plane = ((img * c) + c0 + ci) * h * w;
                    for (int ky = 0; ky < kernel.kh(); ky++) {
                        int iy = oy * geo.strideH() - geo.padTop() + ky * geo.dilationH();
                        for (int kx = 0; kx < kernel.kw(); kx++, i++) {
                            int ix = ox * geo.strideW() - geo.padLeft() + kx * geo.dilationW();
                            cols[row + i] = iy < 0 || iy >= h || ix < 0 || ix >= w ? 0f : x[plane + iy * w + ix];
                        }
                    }
                }
            }
        }
    }
}
