package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.formats.onnx.ConvAttributes;
import org.ternary4j.runtime.kernel.Parallel;

/** The compiled MaxPool (vector row max, lane picks for 2×2 stride 2) against the reference operator's scalar windows. */
class CompiledMaxPoolTest {

    @ParameterizedTest(name = "{0}x{1} k{2}x{3} s{4}x{5} d{6}")
    @CsvSource({
        "28, 28, 2, 2, 2, 2, 1", "10, 10, 2, 2, 2, 2, 1", "7, 9, 2, 2, 2, 2, 1", "2, 2, 2, 2, 2, 2, 1", "5, 67, 2, 2, 2, 2, 1",
        "33, 40, 2, 2, 2, 2, 1", "9, 11, 3, 3, 2, 2, 1", "8, 8, 2, 2, 1, 1, 1", "12, 13, 3, 2, 1, 2, 2", "6, 35, 2, 3, 2, 1, 1"})
    void matchesTheReferenceOperator(int h, int w, int kh, int kw, int sh, int sw, int d) {
        Random rnd = new Random(h * 131 + w);
        int n = 2, c = 3;
        float[] a = new float[n * c * h * w];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        // Math.max semantics at the edges: NaN wins, +0 beats −0, infinities
        a[0] = Float.NaN;
        a[a.length - 1] = Float.NEGATIVE_INFINITY;
        a[w + 1] = -0f;
        a[w + 2] = 0f;
        a[a.length / 2] = Float.POSITIVE_INFINITY;
        Tensor.F32 x = new Tensor.F32(new int[] {n, c, h, w}, a);
        WindowSpec spec = new WindowSpec("MaxPool", kh, kw, new ConvAttributes(new int[] {kh, kw}, new int[] {sh, sw}, new int[4], new int[] {d, d}, 1, ConvAttributes.AutoPad.NOTSET, false));
        Tensor.F32 expected = NeuralOps.pool(x, spec.resolve(x), true, false);
        Tensor got = new CompiledOps.MaxPool(spec).run(new Tensor[] {x}, true, Parallel.serial())[0];
        assertArrayEquals(expected.shape(), got.shape());
        float[] e = expected.data(), g = got.floats();
        for (int i = 0; i < e.length; i++) {
            assertArrayEquals(new int[] {Float.floatToRawIntBits(e[i])}, new int[] {Float.floatToRawIntBits(g[i])}, "output " + i);
        }
    }

    @org.junit.jupiter.api.Test
    void windowTallerThanTheInputIsAClearError() {
        Tensor.F32 x = new Tensor.F32(new int[] {1, 2, 1, 6}, new float[12]);
        WindowSpec spec = new WindowSpec("MaxPool", 2, 2, new ConvAttributes(new int[] {2, 2}, new int[] {2, 2}, new int[4], new int[] {1, 1}, 1, ConvAttributes.AutoPad.NOTSET, false));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new CompiledOps.MaxPool(spec).run(new Tensor[] {x}, true, Parallel.serial()));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("window"), e.getMessage());
    }
}
