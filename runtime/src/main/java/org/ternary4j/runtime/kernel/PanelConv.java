package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The convolution of large images, on both paths, as a {@link PanelGemm} product: each block of
 * {@link PanelGemm#NR} output pixels of a {@link PixelSource} is copied into a packed panel
 * ([input][NR], about 100 KB at 864 inputs, in L2) and every output channel is swept over it
 * twelve at a time, so each pixel vector loaded from the panel feeds twelve FMAs.
 * {@link TapConv} and {@link PixelKernel} load a pixel vector per one or four FMAs from a
 * window that at PP-OCRv4's 80×80×96 maps (a third of a megabyte per output row, nine
 * megabytes per frame) no longer fits any cache close to the core. The rows are the layer's
 * codes as floats (−1, 0, 1), each output one FMA chain in padded input order, then 0 + sum·scale:
 * the same bits as those two kernels (and, on the int8 path, as the integer kernels).
 */
final class PanelConv {
    private PanelConv() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length(), NR = PanelGemm.NR;

    /**
     * Output pixels of one image from which the panel product pays. Where vectors are 512 bits,
     * 40×40 maps: PP-OCRv4's 96 → 24 conv took 0.54 ms this way at 40×40 against the tap kernel's
     * 0.88, but VGG's 28×28 convs, whose windows stay in cache, ran slower at batch 16 than with the
     * tap kernel's fused finish. Where they are 256 bits, three panels: there it beat the pixel
     * kernel at every size measured from 49 pixels (LeNet-5's 6 → 16 5×5 conv 20 → 13.5 µs, a
     * 32 → 64 3×3 conv at 7×7 64 → 39 µs) and lost at 16 (146 against 83 µs for 64 → 128),
     * and LeNet-5 at batch 1 went from 41 to 34 µs a run.
     */
    static final int MIN_PIXELS = VectorWidth.WIDE ? 1600 : 48;

    /** Whether the product applies: one scale per row (no segments, no second scale) and a large image. */
    static boolean applies(PackedTernaryMatrix m, int pixels) {
        return m.oneScalePerRow() && pixels >= MIN_PIXELS;
    }

    /**
     * y[yOff + o·stride + j] = 0 + scale(o)·Σ_p code(o, p)·src[p, j] for every row o of m and
     * pixel j below {@code bound}; blocks of pixels shared among threads. With {@code int8} each
     * pixel's window in the panel is first quantized ({@link PixelQuantizer}: integer levels, whose
     * sums are exact in float) and the output multiplied by the pixel's scale, the integer kernels'
     * result bit for bit.
     */
    static void forward(PackedTernaryMatrix m, PixelSource src, int stride, int bound, boolean int8, float[] y, int yOff, Parallel par) {
        int used = FloatKernels.usedSteps(m.layout()), len = used * ReductionLayout.STEP, rows = m.rows();
        float[] codes = Scratch.floats(Scratch.Slot.WEIGHTS, Math.multiplyExact(rows, len)), scale = new float[rows];
        for (int r = 0; r < rows; r++) {
            FloatKernels.decodeRow(m, r, used, codes, null, r * len);
            scale[r] = m.scalePos().get(r);
        }
        product(new PanelGemm.Rows(codes, 0, len, y, yOff, stride), rows, len, src, bound, int8, scale, par);
    }

    /**
     * A float convolution's product: y[yOff + o·stride + j] = Σ_p w[wOff + o·k + p]·src[p, j]
     * for {@code rows} output channels and pixels j below {@code bound}, each output one FMA
     * chain over p in order (the bits of {@link PixelKernel}'s float rows).
     */
    static void forwardFloat(float[] w, int wOff, int rows, int k, PixelSource src, int stride, int bound, float[] y, int yOff, Parallel par) {
        product(new PanelGemm.Rows(w, wOff, k, y, yOff, stride), rows, k, src, bound, false, null, par);
    }

    /** The rows of io (their first len values) over pixel panels of src, then, with {@code scale}, each output 0 + sum·scale[o] (times the pixel's scale when int8). */
    private static void product(PanelGemm.Rows io, int rows, int len, PixelSource src, int bound, boolean int8, float[] scale, Parallel par) {
        float[] y = io.y();
        int blocks = (bound + NR - 1) / NR, yOff = io.yOff(), stride = io.ldy();
        par.forRange(blocks, 1, (b0, b1) -> {
            float[] panel = Scratch.floats(Scratch.Slot.PANEL, len * NR), pixelScale = int8 ? new float[NR] : null, max = int8 ? new float[NR] : null;
            for (int b = b0; b < b1; b++) {
                int j0 = b * NR, cols = Math.min(NR, bound - j0);
                boolean maxima = pack(src, len, j0, cols, panel, max);
                if (int8 && maxima) PixelQuantizer.quantize(panel, len, NR, max, pixelScale);
                else if (int8) PixelQuantizer.quantize(panel, len, NR, pixelScale);
                PanelGemm.multiply(io, rows, len, new PanelGemm.Panel(panel, 0, NR), j0, cols);
                if (scale != null) for (int o = 0; o < rows; o++) PanelGemm.scaleOutputs(y, yOff + o * stride + j0, cols, scale[o], pixelScale, 0);
            }
        });
    }

    /**
     * Inputs [0, len) of pixels [j0, j0 + cols) into panel [len][NR] (zeros past cols). With
     * {@code max}, a whole panel also leaves each pixel's max |x| there (the int8 path's first pass,
     * done while the values pass through registers anyway); returns whether it did.
     */
    private static boolean pack(PixelSource src, int len, int j0, int cols, float[] panel, float[] max) {
        float[] data = src.data();
        int[] off = src.off();
        if (cols == NR && j0 + NR <= src.width()) {
            FloatVector m0 = FloatVector.zero(F), m1 = m0;
            for (int p = 0, at = 0; p < len; p++, at += NR) {
                int from = off[p] + j0;
                FloatVector v0 = FloatVector.fromArray(F, data, from), v1 = FloatVector.fromArray(F, data, from + L);
                v0.intoArray(panel, at);
                v1.intoArray(panel, at + L);
                if (max == null) continue;
                // finite inputs: a compare and blend is max (lanewise MAX pays for NaN and −0 rules)
                v0 = v0.abs();
                v1 = v1.abs();
                m0 = m0.blend(v0, m0.lt(v0));
                m1 = m1.blend(v1, m1.lt(v1));
            }
            if (max == null) return false;
            m0.intoArray(max, 0);
            m1.intoArray(max, L);
            return true;
        }
        for (int p = 0, at = 0; p < len; p++, at += NR) {
            System.arraycopy(data, off[p] + j0, panel, at, cols);
            java.util.Arrays.fill(panel, at + cols, at + NR, 0f);
        }
        return false;
    }
}
