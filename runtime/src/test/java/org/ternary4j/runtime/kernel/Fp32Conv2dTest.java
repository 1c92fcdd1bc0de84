package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Fp32Conv2dTest {
    /**
     * Both forms (stride-1 padded view, im2col) give each output as one FMA chain over the kernel
     * inputs in (channel, ky, kx) order from +0, skipping taps in the padding: the bits of a
     * scalar loop, whatever the stride, padding, dilation, groups or threads.
     */
    @ParameterizedTest(name = "n{0} c{1} {2}x{3} o{4} k{5}x{6} s{7}x{8} p{9} d{10} g{11}")
    @CsvSource({
            "1, 3, 48, 64, 8, 3, 3, 2, 2, 1, 1, 1",
            "2, 3, 13, 17, 5, 3, 3, 2, 2, 1, 1, 1",
            "1, 4, 12, 15, 6, 3, 3, 2, 1, 1, 1, 2",
            "1, 2, 11, 12, 3, 5, 5, 3, 2, 2, 1, 1",
            "1, 3, 14, 14, 4, 3, 3, 2, 2, 0, 2, 1",
            "1, 3, 9, 10, 4, 3, 3, 1, 1, 1, 1, 1",
            "1, 2, 9, 10, 4, 2, 2, 2, 2, 0, 1, 1"})
    void everyFormGivesTheScalarFmaChain(int n, int c, int h, int w, int o, int kh, int kw, int sy, int sx, int pad, int dil, int groups) {
        Random rnd = new Random(c * 100L + h * 10 + w);
        int cin = c / groups;
        float[] weights = RandomTensors.gaussian(rnd, o * cin * kh * kw), x = RandomTensors.gaussian(rnd, n * c * h * w);
        ConvGeometry geo = new ConvGeometry(sy, sx, pad, pad, pad, pad, dil, dil, groups);
        Fp32Conv2d conv = new Fp32Conv2d(weights, new int[] {o, cin, kh, kw}, groups);
        int oh = geo.outH(h, kh), ow = geo.outW(w, kw), perGroup = o / groups;
        float[] want = new float[n * o * oh * ow];
        for (int img = 0; img < n; img++) for (int oc = 0; oc < o; oc++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
            float acc = 0f;
            for (int ci = 0; ci < cin; ci++) for (int ky = 0; ky < kh; ky++) for (int kx = 0; kx < kw; kx++) {
                int iy = oy * sy - pad + ky * dil, ix = ox * sx - pad + kx * dil;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                int ch = oc / perGroup * cin + ci;
                acc = Math.fma(weights[((oc * cin + ci) * kh + ky) * kw + kx], x[((img * c + ch) * h + iy) * w + ix], acc);
            }
            want[((img * o + oc) * oh + oy) * ow + ox] = acc;
        }
        assertArrayEquals(want, conv.forward(x, n, c, h, w, geo, Parallel.serial()), "one thread");
        assertArrayEquals(want, conv.forward(x, n, c, h, w, geo, RandomTensors.TWO), "two threads");
    }
}
