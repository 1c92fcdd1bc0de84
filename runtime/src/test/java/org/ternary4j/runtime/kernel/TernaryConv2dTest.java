package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

/** Convolution against a direct six-loop reference on the dequantized weights. */
class TernaryConv2dTest {
    private static final Parallel TWO = RandomTensors.TWO;

    @ParameterizedTest(name = "n{0} c{1} {2}x{3} o{4} k{5}x{6} s{7} p{8} d{9} g{10} {11} two={12}")
    @CsvSource({
            "1, 3, 7, 5, 4, 3, 3, 1, 1, 1, 1, row, false",
            "2, 3, 7, 5, 4, 3, 3, 2, 1, 1, 1, kernel, true",
            "1, 4, 9, 9, 6, 3, 3, 1, 2, 2, 2, fiber, false",
            "2, 5, 6, 7, 5, 3, 3, 1, 1, 1, 5, row, false",
            "1, 5, 6, 7, 10, 3, 3, 2, 1, 1, 5, kernel, true",
            "1, 17, 5, 5, 9, 1, 1, 1, 0, 1, 1, syq-pixel, false",
            // 1×1 convs over every pixel (the exact path's panel product): whole pixel blocks and a tail, several scale segments
            "2, 40, 9, 11, 13, 1, 1, 1, 0, 1, 1, row, true",
            "1, 48, 6, 8, 7, 1, 1, 1, 0, 1, 1, block:16, false",
            // 1×1 convs with one scale per channel (kept as base-3 codes), also strided and padded
            "2, 22, 7, 9, 16, 1, 1, 1, 0, 1, 1, row, false",
            "1, 8, 12, 12, 8, 1, 1, 2, 0, 1, 1, kernel, false",
            "3, 5, 6, 7, 9, 1, 1, 2, 1, 1, 1, tensor, false",
            "3, 50, 1, 1, 40, 1, 1, 1, 0, 1, 1, row, false",
            "1, 24, 1, 1, 8, 1, 1, 1, 0, 1, 1, kernel, false",
            "1, 6, 8, 3, 4, 2, 3, 3, 1, 1, 1, syq-row, true",
            "3, 2, 4, 4, 3, 5, 5, 1, 2, 1, 1, block:7, false",
            "1, 33, 6, 6, 8, 3, 3, 1, 1, 1, 1, tensor, false",
            "1, 6, 14, 14, 16, 5, 5, 1, 0, 1, 1, row, false",
            "1, 1, 28, 28, 6, 5, 5, 1, 2, 1, 1, kernel, true",
            "2, 16, 15, 13, 18, 3, 3, 1, 1, 1, 1, row, true",
            // large images: the exact path's panel product (stride 1 over the padded planes, stride 2 over an im2col; one group and grouped)
            "1, 20, 40, 43, 14, 3, 3, 1, 1, 1, 1, row, false",
            "2, 8, 90, 84, 5, 3, 3, 2, 1, 1, 1, row, false",
            "1, 8, 41, 40, 8, 3, 3, 1, 1, 1, 2, row, false",
            // batches of stride-1 convs: one product over every image's padded planes
            "5, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1, row, false",
            "3, 7, 9, 6, 5, 3, 3, 1, 1, 2, 1, block:9, false",
            "4, 3, 8, 8, 6, 5, 3, 1, 0, 1, 1, kernel, true",
            "1, 8, 11, 9, 8, 3, 3, 1, 1, 2, 8, row, false",
            "1, 4, 10, 10, 7, 3, 3, 2, 2, 1, 1, block:5, false",
            "2, 12, 9, 13, 12, 3, 3, 2, 1, 1, 12, row, false",
            "1, 6, 8, 8, 6, 5, 5, 1, 2, 1, 6, row, false",
            "1, 6, 8, 8, 6, 3, 3, 1, 1, 1, 6, kernel, false",
            "1, 6, 8, 8, 6, 3, 3, 1, 1, 1, 6, row, true",
            "2, 5, 6, 7, 10, 3, 3, 2, 1, 1, 5, kernel, true",
            "1, 8, 11, 9, 8, 3, 3, 1, 1, 2, 8, fiber, true",
            "1, 6, 8, 8, 12, 3, 3, 1, 1, 1, 3, row, true",
            "1, 6, 9, 9, 6, 5, 5, 1, 2, 1, 6, tensor, true"})
    void matchesDirectConvolution(int n, int c, int h, int w, int o, int kh, int kw, int stride, int pad, int dil, int groups, String grouping, boolean two) {
        Random rnd = new Random(n * 1000L + c * 100 + o);
        TernaryTensor wt = RandomTensors.ternary(rnd, new int[] {o, c / groups, kh, kw}, Grouping.parse(grouping), two);
        float[] bias = new float[o];
        for (int i = 0; i < o; i++) bias[i] = (float) rnd.nextGaussian();
        ConvGeometry geo = new ConvGeometry(stride, stride, pad, pad, pad, pad, dil, dil, groups);
        TernaryConv2d conv = TernaryConv2d.of(wt, bias, groups);
        float[] x = RandomTensors.gaussian(rnd, n * c * h * w);
        double[] ref = reference(wt.dequantize(), bias, x, n, c, h, w, o, kh, kw, geo);
        float[] exact = conv.forward(x, n, c, h, w, geo, true, Parallel.serial());
        float[] fast = conv.forward(x, n, c, h, w, geo, false, Parallel.serial());
        assertEquals(ref.length, exact.length);
        float[] dq = wt.dequantize();
        double maxX = 0;
        for (float v : x) maxX = Math.max(maxX, Math.abs(v));
        int k = c / groups * kh * kw;
        for (int i = 0; i < ref.length; i++) {
            int ch = (i / (ref.length / n / o)) % o;
            double absW = 0;
            for (int j = 0; j < k; j++) absW += Math.abs(dq[ch * k + j]);
            assertEquals(ref[i], exact[i], 1e-5 * (absW * maxX + 1), "exact path at " + i);
            assertEquals(ref[i], fast[i], absW * maxX / 254 + 1e-5 * (absW * maxX + 1), "int8 path at " + i);
        }
        assertArrayEquals(fast, conv.forward(x, n, c, h, w, geo, false, TWO), "int8 path, 2 threads");
        if (conv.directDepthwise()) assertArrayEquals(exact, fast, "a depthwise conv computes in float on both paths");
        else assertArrayEquals(perPixelIntegerPath(wt, bias, x, n, c, h, w, kh, kw, geo), fast, "int8 pixel path = the integer kernels, bit for bit");
        assertArrayEquals(exact, conv.forward(x, n, c, h, w, geo, true, TWO), "float path, 2 threads");
        int in = c * h * w, out = exact.length / n;
        for (int img = 0; img < n; img++) {
            float[] one = conv.forward(java.util.Arrays.copyOfRange(x, img * in, (img + 1) * in), 1, c, h, w, geo, true, Parallel.serial());
            assertArrayEquals(one, java.util.Arrays.copyOfRange(exact, img * out, (img + 1) * out), "float path, image " + img + " of the batch = that image alone");
        }
    }

    /** Resident bytes by part for each conv kind: codes as the layout keeps them, four bytes a scale and a bias value. */
    @ParameterizedTest(name = "c{0} o{1} k{2} g{3} {4}")
    @CsvSource({"8, 6, 1, 1, row", "6, 6, 5, 6, row", "16, 32, 3, 1, row", "16, 32, 3, 1, block:16", "12, 8, 3, 1, row-two"})
    void weightBytesSplitIntoCodesScalesAndBiases(int c, int o, int k, int g, String grouping) {
        Random rnd = new Random(12);
        boolean two = grouping.endsWith("-two");
        TernaryTensor wt = RandomTensors.ternary(rnd, new int[] {o, c / g, k, k}, Grouping.parse(grouping.replace("-two", "")), two);
        float[] bias = RandomTensors.gaussian(rnd, o);
        TernaryConv2d conv = TernaryConv2d.of(wt, bias, g);
        WeightBytes parts = conv.weightBytes();
        assertEquals(4L * o, parts.biases(), "one float bias per channel");
        assertEquals(parts.total(), conv.residentBytes());
        assertEquals(parts.total() - 4L * o, TernaryConv2d.of(wt, null, g).residentBytes(), "without a bias, only the bias goes");
        int segments = grouping.startsWith("block") ? (c / g * k * k + 15) / 16 : 1;
        assertEquals(4L * o * segments * (two ? 2 : 1), parts.scales(), "four bytes a scale, " + segments + " segment(s) a row");
        long weights = (long) o * (c / g) * k * k;
        assertTrue(parts.codes() * 8 >= weights * Math.log(3) / Math.log(2), "codes at least log2(3) bits a weight: " + parts.codes() + " bytes");
    }

    /** The compact 1×1 form: its codes and scales, 1.6 bits a weight, and an infinity reaching only the outputs whose code for it is nonzero. */
    @Test
    void compactPointwiseKeepsCodesAndHandlesInfinity() {
        Random rnd = new Random(11);
        int n = 1, c = 8, h = 3, w = 5, o = 6;
        TernaryTensor wt = RandomTensors.ternary(rnd, new int[] {o, c, 1, 1}, new Grouping.Row(), false);
        TernaryConv2d conv = TernaryConv2d.of(wt, null, 1);
        assertTrue(conv.compactPointwise());
        assertTrue(conv.residentBytes() <= (o * c + Base3Codes.GROUP) / 5 + 4L * o, "codes and one scale per channel, " + conv.residentBytes() + " bytes");
        float[] x = RandomTensors.gaussian(rnd, n * c * h * w);
        x[2 * h * w + 4] = Float.POSITIVE_INFINITY;
        ConvGeometry geo = ConvGeometry.simple(1, 0, 1);
        for (boolean exact : new boolean[] {true, false}) {
            float[] y = conv.forward(x, n, c, h, w, geo, exact, TWO);
            for (int ch = 0; ch < o; ch++) {
                int code = wt.codes()[ch * c + 2];
                float v = y[ch * h * w + 4];
                if (code == 0) assertTrue(Float.isFinite(v), "channel " + ch + " does not read the infinity");
                else assertEquals(code > 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY, v, "channel " + ch);
            }
        }
    }

    /**
     * A 1×1 conv loaded for one-pixel inputs (codes input-major) gives the row-major form's bits
     * on both paths: on one pixel per image (several output panels and a partial one), on larger
     * inputs (reordered per call), and with an infinity (the per-pixel path); and the same bytes.
     */
    @ParameterizedTest(name = "n{0} c{1} o{2} {3}x{4}")
    @CsvSource({"1, 200, 50, 1, 1", "3, 50, 200, 1, 1", "1, 8, 2, 1, 1", "2, 22, 88, 1, 1", "1, 88, 22, 1, 1", "2, 12, 37, 3, 5"})
    void onePixelLayoutGivesTheSameBits(int n, int c, int o, int h, int w) {
        Random rnd = new Random(c * 31L + o);
        TernaryTensor wt = RandomTensors.ternary(rnd, new int[] {o, c, 1, 1}, new Grouping.Row(), false);
        TernaryConv2d rows = TernaryConv2d.of(wt, null, 1), pixel = TernaryConv2d.of(wt, null, 1, true);
        assertTrue(pixel.compactPointwise());
        assertEquals(rows.weightBytes(), pixel.weightBytes());
        float[] x = RandomTensors.gaussian(rnd, n * c * h * w);
        ConvGeometry geo = ConvGeometry.simple(1, 0, 1);
        for (boolean exact : new boolean[] {true, false}) {
            float[] want = rows.forward(x, n, c, h, w, geo, exact, Parallel.serial());
            assertArrayEquals(want, pixel.forward(x, n, c, h, w, geo, exact, Parallel.serial()), exact ? "exact" : "int8");
            assertArrayEquals(want, pixel.forward(x, n, c, h, w, geo, exact, TWO), (exact ? "exact" : "int8") + ", 2 threads");
        }
        x[x.length / 2] = Float.NEGATIVE_INFINITY;
        assertArrayEquals(rows.forward(x, n, c, h, w, geo, true, TWO), pixel.forward(x, n, c, h, w, geo, true, TWO), "with an infinity");
    }

    /**
     * Convs above the serial bars ({@link TernaryConv2d#SERIAL_CONV_WORK}: a depthwise 5×5, a 1×1
     * with one scale per channel, a float 3×3, a ternary 3×3) share one image among the threads,
     * with the serial bits.
     */
    @Test
    void largeConvsShareAnImageAmongThreadsWithTheSameBits() {
        Random rnd = new Random(17);
        int c = 64, h = 28, w = 48;
        float[] x = RandomTensors.gaussian(rnd, c * h * w);
        TernaryTensor dw = RandomTensors.ternary(rnd, new int[] {c, 1, 5, 5}, new Grouping.Row(), false);
        TernaryTensor pw = RandomTensors.ternary(rnd, new int[] {96, c, 1, 1}, new Grouping.Row(), false);
        assertTrue((long) c * h * w * 25 >= TernaryConv2d.SERIAL_DEPTHWISE_WORK && 96L * c * h * w >= TernaryConv2d.SERIAL_CONV_WORK
                && 8L * c * 9 * h * w >= TernaryConv2d.SERIAL_FLOAT_CONV_WORK);
        ConvGeometry pad2 = new ConvGeometry(1, 1, 2, 2, 2, 2, 1, 1, c), one = ConvGeometry.simple(1, 0, 1);
        TernaryConv2d depthwise = TernaryConv2d.of(dw, null, c), pointwise = TernaryConv2d.of(pw, null, 1);
        Fp32Conv2d dense = new Fp32Conv2d(RandomTensors.gaussian(rnd, 8 * c * 9), new int[] {8, c, 3, 3}, 1);
        Parallel.Stats before = TWO.stats();
        for (boolean exact : new boolean[] {true, false}) {
            assertArrayEquals(depthwise.forward(x, 1, c, h, w, pad2, exact, Parallel.serial()), depthwise.forward(x, 1, c, h, w, pad2, exact, TWO), "depthwise");
            assertArrayEquals(pointwise.forward(x, 1, c, h, w, one, exact, Parallel.serial()), pointwise.forward(x, 1, c, h, w, one, exact, TWO), "pointwise");
        }
        ConvGeometry pad1 = ConvGeometry.simple(1, 1, 1);
        assertArrayEquals(dense.forward(x, 1, c, h, w, pad1, Parallel.serial()), dense.forward(x, 1, c, h, w, pad1, TWO), "float conv");
        TernaryConv2d full = TernaryConv2d.of(RandomTensors.ternary(rnd, new int[] {32, c, 3, 3}, new Grouping.Row(), false), null, 1);
        for (boolean exact : new boolean[] {true, false}) {
            assertArrayEquals(full.forward(x, 1, c, h, w, pad1, exact, Parallel.serial()), full.forward(x, 1, c, h, w, pad1, exact, TWO), "3×3 ternary conv");
        }
        assertTrue(TWO.stats().since(before).sharedRanges() >= 7, "each large conv shared its image");
    }

    @Test
    void rejectsMismatchedInputs() {
        TernaryTensor wt = RandomTensors.ternary(new Random(1), new int[] {4, 3, 3, 3}, new Grouping.Row(), false);
        TernaryConv2d conv = TernaryConv2d.of(wt, null, 1);
        ConvGeometry geo = ConvGeometry.simple(1, 0, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> conv.forward(new float[2 * 5 * 5], 1, 2, 5, 5, geo, false, Parallel.serial()));
        assertTrue(e.getMessage().contains("channels"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> conv.forward(new float[3 * 2 * 2], 1, 3, 2, 2, geo, false, Parallel.serial()));
        assertThrows(IllegalArgumentException.class, () -> TernaryConv2d.of(wt, null, 3));
    }

    /**
     * The int8 conv through the per-vector kernels: one im2col row per output pixel, quantized and
     * multiplied by the integer kernels ({@link TernaryMatmul#gemv}), plus the bias.
     */
    static float[] perPixelIntegerPath(TernaryTensor wt, float[] bias, float[] x, int n, int c, int h, int w, int kh, int kw, ConvGeometry g) {
        int o = wt.shape()[0], cg = c / g.groups(), og = o / g.groups(), oh = g.outH(h, kh), ow = g.outW(w, kw), k = cg * kh * kw, pixels = oh * ow;
        float[] y = new float[n * o * pixels];
        for (int gi = 0; gi < g.groups(); gi++) {
            PackedTernaryMatrix m = PackedTernaryMatrix.of(wt, gi * og, og);
            for (int b = 0; b < n; b++) {
                float[] cols = new float[pixels * k];
                for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
                    int i = 0;
                    for (int ci = 0; ci < cg; ci++) for (int ky = 0; ky < kh; ky++) for (int kx = 0; kx < kw; kx++, i++) {
                        int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH(), ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                        cols[(oy * ow + ox) * k + i] = iy < 0 || iy >= h || ix < 0 || ix >= w ? 0f : x[((b * c + gi * cg + ci) * h + iy) * w + ix];
                    }
                }
                float[] out = new float[pixels * og];
                // one pixel at a time: many go through the float panel product of the levels, not the integer kernels
                float[] one = new float[og];
                for (int p = 0; p < pixels; p++) {
                    TernaryMatmul.gemv(m, java.util.Arrays.copyOfRange(cols, p * k, (p + 1) * k), one, Parallel.serial());
                    System.arraycopy(one, 0, out, p * og, og);
                }
                for (int r = 0; r < og; r++) for (int p = 0; p < pixels; p++) y[(b * o + gi * og + r) * pixels + p] = out[p * og + r] + bias[gi * og + r];
            }
        }
        return y;
    }

    @ParameterizedTest(name = "float conv c{0} {1}x{2} o{3} k{4} s{5} p{6} d{7} g{8}")
    @CsvSource({"1, 28, 28, 6, 5, 1, 2, 1, 1", "2, 20, 20, 5, 3, 1, 1, 1, 1", "3, 9, 7, 5, 3, 2, 1, 1, 1", "4, 10, 10, 8, 3, 1, 1, 2, 2", "6, 6, 6, 6, 3, 1, 1, 1, 6", "16, 7, 7, 9, 3, 1, 1, 1, 1"})
    void floatConvMatchesDirectConvolution(int c, int h, int w, int o, int k, int stride, int pad, int dil, int groups) {
        Random rnd = new Random(c * 100L + o);
        float[] wt = RandomTensors.gaussian(rnd, o * (c / groups) * k * k), x = RandomTensors.gaussian(rnd, 2 * c * h * w);
        ConvGeometry geo = new ConvGeometry(stride, stride, pad, pad, pad, pad, dil, dil, groups);
        Fp32Conv2d conv = new Fp32Conv2d(wt, new int[] {o, c / groups, k, k}, groups);
        double[] ref = reference(wt, new float[o], x, 2, c, h, w, o, k, k, geo);
        float[] got = conv.forward(x, 2, c, h, w, geo, Parallel.serial());
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 1e-5 * (1 + Math.abs(ref[i])) + 1e-4, "at " + i);
        assertArrayEquals(got, conv.forward(x, 2, c, h, w, geo, TWO), "same bits on two threads");
    }

    /** Padding on one side only (stride 1: the padded-view path, whose planes then differ from the input's). */
    @ParameterizedTest(name = "pads t{0} l{1} b{2} r{3}")
    @CsvSource({"0, 0, 1, 0", "0, 0, 0, 1", "1, 0, 0, 0", "0, 0, 2, 1"})
    void floatConvWithOneSidedPadding(int top, int left, int bottom, int right) {
        int c = 3, h = 9, w = 8, o = 4, k = 3;
        Random rnd = new Random(top * 8 + left * 4 + bottom * 2 + right);
        float[] wt = RandomTensors.gaussian(rnd, o * c * k * k), x = RandomTensors.gaussian(rnd, c * h * w);
        ConvGeometry geo = new ConvGeometry(1, 1, top, left, bottom, right, 1, 1, 1);
        double[] ref = reference(wt, new float[o], x, 1, c, h, w, o, k, k, geo);
        float[] got = new Fp32Conv2d(wt, new int[] {o, c, k, k}, 1).forward(x, 1, c, h, w, geo, Parallel.serial());
        assertEquals(ref.length, got.length);
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 1e-5 * (1 + Math.abs(ref[i])) + 1e-4, "at " + i);
    }

    static double[] reference(float[] wq, float[] bias, float[] x, int n, int c, int h, int w, int o, int kh, int kw, ConvGeometry g) {
        int oh = g.outH(h, kh), ow = g.outW(w, kw), cg = c / g.groups(), og = o / g.groups();
        double[] y = new double[n * o * oh * ow];
        for (int b = 0; b < n; b++) for (int oc = 0; oc < o; oc++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
            double s = bias[oc];
            int grp = oc / og;
            for (int ci = 0; ci < cg; ci++) for (int ky = 0; ky < kh; ky++) for (int kx = 0; kx < kw; kx++) {
                int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH(), ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                s += (double) wq[((oc * cg + ci) * kh + ky) * kw + kx] * x[((b * c + grp * cg + ci) * h + iy) * w + ix];
            }
            y[((b * o + oc) * oh + oy) * ow + ox] = s;
        }
        return y;
    }
}
