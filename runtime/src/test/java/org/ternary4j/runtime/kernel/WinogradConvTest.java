package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

/**
 * Winograd's F(2×2, 3×3) against a direct convolution of the dequantized weights summed in
 * double, then the finish one value at a time: equal up to float rounding, for any thread count
 * and batch split.
 */
class WinogradConvTest {

    @ParameterizedTest(name = "n{0} c{1} {2}x{3} o{4} pads {5} pool {6}")
    @CsvSource({
            // VGG's three ternary convs (16→16 at 28², 16→32 and 32→32 at 14²)
            "1, 16, 28, 28, 16, 1 1 1 1, true",
            "3, 16, 14, 14, 32, 1 1 1 1, false",
            "2, 32, 14, 14, 32, 1 1 1 1, true",
            // an odd channel count (a last quad of three rows), one tile row, rows wider than two vectors of tiles
            "2, 5, 2, 40, 7, 1 1 1 1, false",
            "1, 3, 4, 70, 5, 1 1 1 1, true",
            // no padding, asymmetric padding, odd input sides (even outputs)
            "1, 4, 10, 12, 6, 0 0 0 0, false",
            "2, 2, 9, 13, 4, 2 0 1 1, true",
            // transformed inputs past MAX_TRANSFORMED_BYTES: bands of five tile rows (256-bit vectors) (and one image split among threads by bands)
            "1, 160, 64, 62, 5, 1 1 1 1, false",
            "2, 160, 66, 64, 6, 1 1 1 1, true"})
    void matchesTheDirectConvolutionUpToRounding(int n, int c, int h, int w, int o, String pads, boolean pool) {
        Random rnd = new Random(n * 1000L + c * 100 + o * 10 + h);
        int[] p = Arrays.stream(pads.split(" ")).mapToInt(Integer::parseInt).toArray();
        ConvGeometry geo = new ConvGeometry(1, 1, p[0], p[1], p[2], p[3], 1, 1, 1);
        TernaryTensor wt = rowScaled(rnd, new int[] {o, c, 3, 3});
        float[] x = RandomTensors.gaussian(rnd, n * c * h * w);
        TernaryConv2d conv = TernaryConv2d.of(wt, null, 1);
        int oh = geo.outH(h, 3), ow = geo.outW(w, 3);
        double[] direct = direct(wt, x, n, c, h, w, geo);
        for (TapConv.Finish f : new TapConv.Finish[] {
                new TapConv.Finish(null, null, null, false, pool),
                new TapConv.Finish(RandomTensors.gaussian(rnd, o), RandomTensors.gaussian(rnd, o), RandomTensors.gaussian(rnd, o), true, pool)}) {
            double[] expected = finished(direct, n, o, oh, ow, f);
            float[] serial = conv.forwardTiles(x, n, c, h, w, geo, f, Parallel.serial());
            assertClose(expected, serial, c * 9, "serial, " + f);
            assertArrayEquals(serial, conv.forwardTiles(x, n, c, h, w, geo, f, RandomTensors.TWO), "two threads: the same bits");
            assertArrayEquals(serial, conv.forwardTiles(x, n, c, h, w, geo, f, RandomTensors.THREE), "three threads: the same bits");
        }
    }

    /** One layer alternating between input shapes and channel counts of work: each call's tiles follow its own shape. */
    @Test
    void followsTheInputShape() {
        Random rnd = new Random(5);
        TernaryTensor wt = rowScaled(rnd, new int[] {6, 4, 3, 3});
        TernaryConv2d conv = TernaryConv2d.of(wt, null, 1);
        TapConv.Finish f = new TapConv.Finish(null, null, null, true, false);
        for (int[] hw : new int[][] {{12, 14}, {8, 30}, {12, 14}, {4, 4}}) {
            ConvGeometry geo = ConvGeometry.simple(1, 1, 1);
            float[] x = RandomTensors.gaussian(rnd, 4 * hw[0] * hw[1]);
            double[] expected = finished(direct(wt, x, 1, 4, hw[0], hw[1], geo), 1, 6, hw[0], hw[1], f);
            assertClose(expected, conv.forwardTiles(x, 1, 4, hw[0], hw[1], geo, f, Parallel.serial()), 36, Arrays.toString(hw));
        }
    }

    @Test
    void declinesWhatItDoesNotCompute() {
        Random rnd = new Random(4);
        TernaryConv2d conv = TernaryConv2d.of(rowScaled(rnd, new int[] {4, 3, 3, 3}), null, 1);
        TapConv.Finish f = new TapConv.Finish(null, null, null, true, true);
        float[] x = RandomTensors.gaussian(rnd, 3 * 12 * 12);
        assertNotNull(conv.forwardTiles(x, 1, 3, 12, 12, ConvGeometry.simple(1, 1, 1), f, Parallel.serial()));
        assertNull(conv.forwardTiles(x, 1, 3, 12, 12, ConvGeometry.simple(2, 1, 1), f, Parallel.serial()), "stride 2");
        assertNull(conv.forwardTiles(x, 1, 3, 12, 12, new ConvGeometry(1, 1, 1, 1, 0, 1, 1, 1, 1), f, Parallel.serial()), "an odd output height");
        assertNull(conv.forwardTiles(x, 1, 3, 12, 12, new ConvGeometry(1, 1, 2, 2, 2, 2, 2, 2, 1), f, Parallel.serial()), "dilation");
        float[] nan = x.clone();
        nan[40] = Float.NaN;
        assertNull(conv.forwardTiles(nan, 1, 3, 12, 12, ConvGeometry.simple(1, 1, 1), f, Parallel.serial()), "a NaN input (it would spread over whole tiles)");
        TernaryTensor five = rowScaled(rnd, new int[] {4, 3, 5, 5});
        assertNull(TernaryConv2d.of(five, null, 1).forwardTiles(x, 1, 3, 12, 12, ConvGeometry.simple(1, 2, 1), f, Parallel.serial()), "5×5");
        TernaryTensor two = RandomTensors.ternary(rnd, new int[] {4, 3, 3, 3}, new Grouping.Row(), true);
        assertNull(TernaryConv2d.of(two, null, 1).forwardTiles(x, 1, 3, 12, 12, ConvGeometry.simple(1, 1, 1), f, Parallel.serial()), "two scales per row");
        assertFalse(WinogradConv.applies(PackedTernaryMatrix.of(five, 0, 4), 5, 5, ConvGeometry.simple(1, 2, 1), 12, 12));
        // 256 channels of 160×160: a single tile row's transformed inputs take 2.75 MB
        PackedTernaryMatrix wide = PackedTernaryMatrix.of(rowScaled(rnd, new int[] {8, 256, 3, 3}), 0, 8);
        assertFalse(WinogradConv.applies(wide, 3, 3, ConvGeometry.simple(1, 1, 1), 160, 160), "a tile row's transformed inputs past the bound");
        assertTrue(WinogradConv.applies(wide, 3, 3, ConvGeometry.simple(1, 1, 1), 80, 80), "in bands of tile rows");
        assertTrue(WinogradConv.applies(wide, 3, 3, ConvGeometry.simple(1, 1, 1), 8, 8));
        assertTrue(WinogradConv.applies(PackedTernaryMatrix.of(rowScaled(rnd, new int[] {4, 3, 3, 3}), 0, 4), 3, 3, ConvGeometry.simple(1, 1, 1), 12, 12));
    }

    /** The transformed codes of a kernel with a single +1 at (ky, kx): G's column ky times G's column kx, by hand. */
    @Test
    void transformedCodesAreGTimesTheKernelTimesGTransposed() {
        float[][] gColumn = {{1, 0.5f, 0.5f, 0}, {0, 0.5f, -0.5f, 0}, {0, 0.5f, 0.5f, 1}};
        for (int ky = 0; ky < 3; ky++) {
            for (int kx = 0; kx < 3; kx++) {
                byte[] codes = new byte[9];
                codes[ky * 3 + kx] = 1;
                TernaryTensor one = new TernaryTensor(new int[] {1, 1, 3, 3}, new Grouping.Row(), "test", codes, new float[] {0.5f}, null);
                WinogradConv.Weights u = WinogradConv.Weights.of(PackedTernaryMatrix.of(one, 0, 1), 1);
                for (int xi = 0; xi < 16; xi++) assertEquals(gColumn[ky][xi / 4] * gColumn[kx][xi % 4], u.u()[xi * 4], 0f, "ξ " + xi + " of a 1 at " + ky + "," + kx);
                assertEquals(0.5f, u.scale()[0]);
            }
        }
    }

    /** Row-scaled codes, about 40 % of them zero. */
    private static TernaryTensor rowScaled(Random rnd, int[] shape) {
        int k = shape[1] * shape[2] * shape[3];
        byte[] codes = new byte[shape[0] * k];
        for (int i = 0; i < codes.length; i++) codes[i] = rnd.nextDouble() < 0.4 ? 0 : (byte) (rnd.nextBoolean() ? 1 : -1);
        float[] scales = new float[shape[0]];
        for (int i = 0; i < scales.length; i++) scales[i] = 0.05f + rnd.nextFloat() * 0.3f;
        return new TernaryTensor(shape, new Grouping.Row(), "test", codes, scales, null);
    }

    /** The dequantized weights' convolution [n, o, oh, ow], in double. */
    private static double[] direct(TernaryTensor wt, float[] x, int n, int c, int h, int w, ConvGeometry geo) {
        int o = wt.shape()[0], oh = geo.outH(h, 3), ow = geo.outW(w, 3);
        float[] dq = wt.dequantize();
        double[] y = new double[n * o * oh * ow];
        for (int img = 0; img < n; img++) {
            for (int oc = 0; oc < o; oc++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double s = 0;
                        for (int ic = 0; ic < c; ic++) {
                            for (int ky = 0; ky < 3; ky++) {
                                for (int kx = 0; kx < 3; kx++) {
                                    int iy = oy + ky - geo.padTop(), ix = ox + kx - geo.padLeft();
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    s += (double) dq[((oc * c + ic) * 3 + ky) * 3 + kx] * x[((img * c + ic) * h + iy) * w + ix];
                                }
                            }
                        }
                        y[((img * o + oc) * oh + oy) * ow + ox] = s;
                    }
                }
            }
        }
        return y;
    }

    /** The finish one value at a time, then its 2×2 max. */
    private static double[] finished(double[] raw, int n, int o, int oh, int ow, TapConv.Finish f) {
        double[] a = raw.clone();
        for (int i = 0; i < a.length; i++) {
            int ch = i / (oh * ow) % o;
            double v = a[i];
            if (f.bias() != null) v += f.bias()[ch];
            if (f.scale() != null) v = v * f.scale()[ch] + f.shift()[ch];
            if (f.relu()) v = Math.max(v, 0);
            a[i] = v;
        }
        if (!f.pool()) return a;
        int ph = oh / 2, pw = ow / 2;
        double[] y = new double[n * o * ph * pw];
        for (int plane = 0; plane < n * o; plane++) {
            for (int py = 0; py < ph; py++) {
                for (int px = 0; px < pw; px++) {
                    int r0 = (plane * oh + 2 * py) * ow + 2 * px, r1 = r0 + ow;
                    y[(plane * ph + py) * pw + px] = Math.max(Math.max(a[r0], a[r1]), Math.max(a[r0 + 1], a[r1 + 1]));
                }
            }
        }
        return y;
    }

    /** Within float rounding of sums of {@code terms} terms of unit-variance inputs, relative to max(1, |expected|). */
    private static void assertClose(double[] expected, float[] actual, int terms, String what) {
        assertNotNull(actual, what);
        assertEquals(expected.length, actual.length, what);
        // measured at most 6.2e-8·√terms on these cases: a wrong tap or tile would be off by whole terms
        double tol = 4e-7 * Math.sqrt(terms);
        for (int i = 0; i < expected.length; i++) {
            if (Math.abs(expected[i] - actual[i]) > tol * Math.max(1, Math.abs(expected[i]))) {
                throw new AssertionError(what + ": at " + i + " expected " + expected[i] + " got " + actual[i]);
            }
        }
    }
}
