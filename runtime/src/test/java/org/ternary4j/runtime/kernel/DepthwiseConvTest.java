package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

/** The depthwise kernel against a scalar float oracle of its documented sums, bit for bit. */
class DepthwiseConvTest {

    @ParameterizedTest(name = "n{0} c{1} {2}x{3} k{4} s{5}x{11} pads {6},{7},{8},{9} d{10}")
    @CsvSource({
            "1, 4, 7, 9, 3, 1, 1, 1, 1, 1, 1, 1",
            "2, 3, 12, 20, 5, 1, 2, 2, 2, 2, 1, 1",
            "1, 5, 6, 33, 3, 1, 0, 1, 2, 0, 2, 1",
            "1, 3, 9, 8, 3, 2, 1, 1, 1, 1, 1, 2",
            "2, 3, 12, 23, 5, 2, 2, 2, 2, 2, 1, 2",
            "1, 2, 11, 10, 3, 3, 1, 0, 2, 1, 2, 3",
            "1, 3, 9, 14, 3, 2, 1, 1, 1, 1, 1, 1",
            "1, 2, 3, 3, 5, 1, 2, 2, 2, 2, 1, 1",
            // the classifier's planes: fewer rows than the kernel, so most tap rows of an output row are padding
            "1, 6, 2, 40, 5, 1, 2, 2, 2, 2, 1, 1",
            "1, 5, 3, 37, 5, 2, 2, 2, 2, 2, 1, 1",
            "2, 3, 1, 19, 3, 1, 1, 1, 1, 1, 1, 1",
            // stride-2 rows long enough for the split by vector pairs, left pads odd, zero and even
            "1, 3, 6, 80, 3, 2, 1, 1, 1, 1, 1, 2",
            "1, 2, 5, 71, 3, 2, 0, 0, 1, 1, 1, 2",
            "2, 2, 4, 101, 5, 2, 2, 2, 2, 2, 1, 2"})
    void sumsEachSignInTapOrder(int n, int c, int h, int w, int k, int stride, int top, int left, int bottom, int right, int dil, int strideW) {
        Random rnd = new Random(c * 31L + h * 7 + w);
        TernaryTensor wt = RandomTensors.ternary(rnd, new int[] {c, 1, k, k}, new Grouping.Row(), false);
        TernaryConv2d conv = TernaryConv2d.of(wt, null, c);
        assertTrue(conv.directDepthwise());
        ConvGeometry geo = new ConvGeometry(stride, strideW, top, left, bottom, right, dil, dil, c);
        float[] x = RandomTensors.gaussian(rnd, n * c * h * w);
        int oh = geo.outH(h, k), ow = geo.outW(w, k);
        assertTrue(oh > 0 && ow > 0);
        float[] expected = new float[n * c * oh * ow];
        for (int plane = 0; plane < n * c; plane++) {
            int ch = plane % c;
            float s = wt.scalePos()[ch];
            for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
                float pos = 0f, neg = 0f;
                for (int t = 0; t < k * k; t++) {
                    int code = wt.codes()[ch * k * k + t];
                    int iy = oy * stride - top + t / k * dil, ix = ox * strideW - left + t % k * dil;
                    if (code == 0 || iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                    if (code > 0) pos += x[(plane * h + iy) * w + ix];
                    else neg += x[(plane * h + iy) * w + ix];
                }
                expected[(plane * oh + oy) * ow + ox] = s * (pos - neg);
            }
        }
        assertArrayEquals(expected, conv.forward(x, n, c, h, w, geo, true, Parallel.serial()));
        assertArrayEquals(expected, conv.forward(x, n, c, h, w, geo, false, RandomTensors.TWO));
    }
}
