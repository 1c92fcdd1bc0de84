package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
 * The tap kernel against the pixel kernel (or, for large images, the panel product) it replaces on
 * the exact path ({@link TernaryConv2d#forwardRaw}, itself tested against a direct convolution), followed by the finish as ConvFinish computes it:
 * the same bits, for any thread count, batch split and block shape.
 */
class TapConvTest {

    @ParameterizedTest(name = "n{0} c{1} {2}x{3} o{4} k{5}x{6} pads {7} d{8} pool {9} zeros {10}")
    @CsvSource({
            // VGG's three ternary convs (16→16 at 28², 16→32 and 32→32 at 14²), TNT-like sparsity
            "1, 16, 28, 28, 16, 3, 3, 1 1 1 1, 1, true, 0.45",
            "3, 16, 14, 14, 32, 3, 3, 1 1 1 1, 1, true, 0.45",
            "2, 32, 14, 14, 32, 3, 3, 1 1 1 1, 1, false, 0.45",
            // odd channel count (a last quad of three channels), odd output sizes under the pool
            "2, 5, 13, 14, 7, 3, 3, 1 0 1 1, 1, true, 0.3",
            // kernel taller than wide, asymmetric pads, dilation
            "1, 3, 9, 26, 5, 5, 3, 2 1 2 1, 1, false, 0.5",
            "1, 4, 12, 12, 6, 3, 3, 2 2 2 2, 2, true, 0.2",
            // rows of three and four vectors (blocks of two rows), rows of one vector and a two-row tail
            "1, 2, 40, 40, 3, 3, 3, 1 1 1 1, 1, true, 0.45",
            "1, 2, 62, 61, 4, 3, 3, 1 1 1 1, 1, false, 0.45",
            "2, 3, 6, 14, 4, 3, 3, 1 1 1 1, 1, true, 0",
            // a channel whose codes are all zero (six input channels: row 2 emptied)
            "1, 6, 10, 14, 5, 3, 3, 1 1 1 1, 1, false, 0.45"})
    void sameBitsAsThePixelKernelThenTheFinish(int n, int c, int h, int w, int o, int kh, int kw, String pads, int dil, boolean pool, double zeros) {
        Random rnd = new Random(n * 1000L + c * 100 + o * 10 + kh);
        int[] p = Arrays.stream(pads.split(" ")).mapToInt(Integer::parseInt).toArray();
        ConvGeometry geo = new ConvGeometry(1, 1, p[0], p[1], p[2], p[3], dil, dil, 1);
        TernaryTensor wt = sparse(rnd, new int[] {o, c, kh, kw}, zeros, c == 6);
        float[] bias = RandomTensors.gaussian(rnd, o), scale = RandomTensors.gaussian(rnd, o), shift = RandomTensors.gaussian(rnd, o);
        float[] x = RandomTensors.gaussian(rnd, n * c * h * w);
        TernaryConv2d conv = TernaryConv2d.of(wt, null, 1);
        PackedTernaryMatrix m = PackedTernaryMatrix.of(wt, 0, o);
        assertTrue(TapConv.applies(m, 1, kw, geo, w), "the taps apply to this shape");
        int oh = geo.outH(h, kh), ow = geo.outW(w, kw);
        float[] raw = conv.forwardRaw(x, n, c, h, w, geo, true, Parallel.serial()).compact();
        for (TapConv.Finish f : new TapConv.Finish[] {
                new TapConv.Finish(null, null, null, false, pool), new TapConv.Finish(bias, scale, shift, true, pool), new TapConv.Finish(bias, null, null, false, false)}) {
            float[] expected = finished(raw, n, o, oh, ow, f);
            if (PanelConv.applies(m, oh * PixelSource.pitch(geo, w))) {
                assertNull(conv.forwardFinished(x, n, c, h, w, geo, f, Parallel.serial()), "large images go to the panel product (then the finish)");
            } else {
                assertBits(expected, conv.forwardFinished(x, n, c, h, w, geo, f, Parallel.serial()), "serial, " + f);
                assertBits(expected, conv.forwardFinished(x, n, c, h, w, geo, f, RandomTensors.TWO), "two threads");
            }
            float[] y = new float[expected.length];
            TapConv.forward(m, new TapConv.Cache(), kh, kw, x, n, c, h, w, geo, f, y, RandomTensors.THREE, true);
            assertBits(expected, y, "three threads sharing each image's channel quads");
        }
    }

    /** A float conv (every weight a tap, zeros included): the same bits as {@link Fp32Conv2d}'s own kernels, then the finish. */
    @ParameterizedTest(name = "n{0} c{1} {2}x{3} o{4} k{5} pad {6} pool {7}")
    @CsvSource({
            // VGG's and LeNet-5's first convs
            "1, 1, 28, 28, 16, 3, 1, false",
            "3, 1, 28, 28, 6, 5, 2, true",
            "2, 3, 11, 14, 5, 3, 1, true"})
    void floatConvSameBitsAsItsKernelThenTheFinish(int n, int c, int h, int w, int o, int k, int pad, boolean pool) {
        Random rnd = new Random(o * 100L + k);
        float[] weights = RandomTensors.gaussian(rnd, o * c * k * k);
        for (int i = 0; i < weights.length; i += 7) weights[i] = 0f;
        Fp32Conv2d conv = new Fp32Conv2d(weights, new int[] {o, c, k, k}, 1);
        ConvGeometry geo = ConvGeometry.simple(1, pad, 1);
        float[] x = RandomTensors.gaussian(rnd, n * c * h * w);
        float[] raw = conv.forwardRaw(x, n, c, h, w, geo, Parallel.serial()).compact();
        TapConv.Finish f = new TapConv.Finish(RandomTensors.gaussian(rnd, o), RandomTensors.gaussian(rnd, o), RandomTensors.gaussian(rnd, o), true, pool);
        float[] expected = finished(raw, n, o, geo.outH(h, k), geo.outW(w, k), f);
        for (Parallel par : new Parallel[] {Parallel.serial(), RandomTensors.TWO}) {
            float[] y = new float[expected.length];
            TapConv.forwardFloat(weights, new TapConv.Cache(), o, k, k, x, n, c, h, w, geo, f, y, par, par.threads() > 1);
            assertBits(expected, y, par.threads() + " thread(s)");
        }
        x[3] = Float.NaN;
        assertNull(conv.forwardFinished(x, n, c, h, w, geo, f, Parallel.serial()), "a NaN input stays with the float kernel");
    }

    /** One layer alternating between input shapes: the taps kept for one shape are never used for another. */
    @Test
    void keptTapsFollowTheInputShape() {
        Random rnd = new Random(9);
        TernaryTensor wt = sparse(rnd, new int[] {6, 4, 3, 3}, 0.45, false);
        TernaryConv2d conv = TernaryConv2d.of(wt, null, 1);
        PackedTernaryMatrix m = PackedTernaryMatrix.of(wt, 0, 6);
        TapConv.Cache kept = new TapConv.Cache();
        TapConv.Finish f = new TapConv.Finish(null, null, null, true, false);
        int[][] shapes = {{12, 14}, {9, 30}, {12, 14}, {12, 12}, {9, 30}};
        for (int[] hw : shapes) {
            int h = hw[0], w = hw[1];
            ConvGeometry geo = ConvGeometry.simple(1, 1, 1);
            float[] x = RandomTensors.gaussian(rnd, 4 * h * w);
            float[] expected = finished(conv.forwardRaw(x, 1, 4, h, w, geo, true, Parallel.serial()).compact(), 1, 6, h, w, f);
            float[] y = new float[expected.length];
            TapConv.forward(m, kept, 3, 3, x, 1, 4, h, w, geo, f, y, Parallel.serial(), false);
            assertBits(expected, y, h + "x" + w + " after other shapes");
        }
    }

    /** What the fused path declines; a 3×12 image, which the panel product leaves to the taps on every machine. */
    @Test
    void declinesWhatItDoesNotCompute() {
        Random rnd = new Random(4);
        TernaryTensor row = sparse(rnd, new int[] {4, 3, 3, 3}, 0.4, false);
        TernaryConv2d conv = TernaryConv2d.of(row, null, 1);
        TapConv.Finish f = new TapConv.Finish(null, null, null, true, true);
        int h = 3, w = 12;
        float[] x = RandomTensors.gaussian(rnd, 3 * h * w);
        assertFalse(PanelConv.applies(PackedTernaryMatrix.of(row, 0, 4), h * PixelSource.pitch(ConvGeometry.simple(1, 1, 1), w)), "a small image");
        assertNotNull(conv.forwardFinished(x, 1, 3, h, w, ConvGeometry.simple(1, 1, 1), f, Parallel.serial()));
        assertNull(conv.forwardFinished(x, 1, 3, h, w, ConvGeometry.simple(2, 1, 1), f, Parallel.serial()), "stride 2");
        float[] inf = x.clone();
        inf[17] = Float.POSITIVE_INFINITY;
        assertNull(conv.forwardFinished(inf, 1, 3, h, w, ConvGeometry.simple(1, 1, 1), f, Parallel.serial()), "an infinite input (0·∞ rules)");
        assertNull(conv.forwardFinished(x, 1, 3, h, w, new ConvGeometry(1, 1, 1, 1, 1, 12, 1, 1, 1), f, Parallel.serial()),
                "padded rows far wider than the output");
        TernaryTensor kernel = RandomTensors.ternary(rnd, new int[] {4, 3, 3, 3}, Grouping.parse("kernel"), false);
        assertNull(TernaryConv2d.of(kernel, null, 1).forwardFinished(x, 1, 3, h, w, ConvGeometry.simple(1, 1, 1), f, Parallel.serial()), "a scale per kernel");
        TernaryTensor two = RandomTensors.ternary(rnd, new int[] {4, 3, 3, 3}, new Grouping.Row(), true);
        assertNull(TernaryConv2d.of(two, null, 1).forwardFinished(x, 1, 3, h, w, ConvGeometry.simple(1, 1, 1), f, Parallel.serial()), "two scales per row");
        assertFalse(TapConv.applies(PackedTernaryMatrix.of(row, 0, 4), 2, 3, ConvGeometry.simple(1, 1, 2), w), "groups");
    }

    /** Row-scaled codes with about {@code zeros} of them 0; {@code emptyRow}: row 2 all zeros. */
    private static TernaryTensor sparse(Random rnd, int[] shape, double zeros, boolean emptyRow) {
        int k = shape[1] * shape[2] * shape[3];
        byte[] codes = new byte[shape[0] * k];
        for (int i = 0; i < codes.length; i++) codes[i] = rnd.nextDouble() < zeros ? 0 : (byte) (rnd.nextBoolean() ? 1 : -1);
        if (emptyRow) Arrays.fill(codes, 2 * k, 3 * k, (byte) 0);
        float[] scales = new float[shape[0]];
        for (int i = 0; i < scales.length; i++) scales[i] = 0.05f + rnd.nextFloat() * 0.3f;
        return new TernaryTensor(shape, new Grouping.Row(), "test", codes, scales, null);
    }

    /** ConvFinish's operations on the raw outputs [n, o, oh, ow], one value at a time, then its 2×2 max. */
    private static float[] finished(float[] raw, int n, int o, int oh, int ow, TapConv.Finish f) {
        float[] a = raw.clone();
        for (int i = 0; i < a.length; i++) {
            int ch = i / (oh * ow) % o;
            float v = a[i];
            if (f.bias() != null) v += f.bias()[ch];
            if (f.scale() != null) v = v * f.scale()[ch] + f.shift()[ch];
            if (f.relu()) v = v <= 0f ? 0f : v;
            a[i] = v;
        }
        if (!f.pool()) return a;
        int ph = oh / 2, pw = ow / 2;
        float[] y = new float[n * o * ph * pw];
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

    private static void assertBits(float[] expected, float[] actual, String what) {
        assertNotNull(actual, what);
        assertArrayEquals(expected, actual, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": bits differ at " + i + ": " + expected[i] + " vs " + actual[i]);
            }
        }
    }
}
