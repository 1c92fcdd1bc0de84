package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DepthwiseGramTest {

    /** Brute force: each kept output position's receptive field, group by group, added one row at a time. */
    private static List<InputStats> oracle(ConvGeometry geo, float[] x, float[] ref, int n, int h, int w, long firstExample, RowSample sample) {
        List<InputStats> out = new ArrayList<>();
        for (int g = 0; g < geo.groups(); g++) out.add(new InputStats(geo.patchSize(), ref != null));
        int oh = geo.outH(h), ow = geo.outW(w);
        for (int e = 0; e < n; e++) {
            for (int pos = 0; pos < oh * ow; pos++) {
                long row = (firstExample + e) * oh * ow + pos;
                if (row % sample.stride() != 0) continue;
                for (int g = 0; g < geo.groups(); g++) {
                    float[] p = field(geo, x, e, g, pos / ow, pos % ow, h, w);
                    if (ref == null) out.get(g).add(p, 0);
                    else out.get(g).add(p, 0, field(geo, ref, e, g, pos / ow, pos % ow, h, w), 0);
                }
            }
        }
        return out;
    }

    private static float[] field(ConvGeometry geo, float[] x, int e, int g, int oy, int ox, int h, int w) {
        float[] p = new float[geo.kh() * geo.kw()];
        for (int ky = 0; ky < geo.kh(); ky++) {
            for (int kx = 0; kx < geo.kw(); kx++) {
                int y = oy * geo.strideH() - geo.padTop() + ky * geo.dilH(), xx = ox * geo.strideW() - geo.padLeft() + kx * geo.dilW();
                p[ky * geo.kw() + kx] = y < 0 || y >= h || xx < 0 || xx >= w ? 0 : x[((e * geo.groups() + g) * h + y) * w + xx];
            }
        }
        return p;
    }

    @Test
    void depthwiseStatisticsEqualTheRowByRowSumsBitForBit() {
        Random r = new Random(3);
        ConvGeometry[] convs = {
            new ConvGeometry(1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, DepthwiseGram.LANES), // one vector of groups
            new ConvGeometry(1, 5, 5, 2, 1, 2, 2, 2, 2, 1, 1, DepthwiseGram.LANES + 5), // a partial vector; 25 inputs, not a multiple of the tile
            new ConvGeometry(1, 3, 2, 1, 2, 0, 1, 2, 0, 2, 1, 2 * DepthwiseGram.LANES + 3), // asymmetric pads, dilation
        };
        for (ConvGeometry geo : convs) {
            assertTrue(DepthwiseGram.fits(geo));
            int n = 3, h = 7, w = 9;
            float[] x = new float[n * geo.groups() * h * w], ref = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextInt(4) == 0 ? 0 : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(5) - 2));
                ref[i] = (float) r.nextGaussian();
            }
            for (RowSample sample : new RowSample[] {RowSample.ALL, new RowSample(3)}) {
                for (boolean withRef : new boolean[] {false, true}) {
                    List<InputStats> want = oracle(geo, x, withRef ? ref : null, n, h, w, 5, sample);
                    List<InputStats> got = new ArrayList<>();
                    for (int g = 0; g < geo.groups(); g++) got.add(new InputStats(geo.patchSize(), withRef));
                    geo.patches(new ConvGeometry.Batch(x, withRef ? ref : null, n, h, w, Examples.range(5, n)), got, sample);
                    for (int g = 0; g < geo.groups(); g++) {
                        String at = geo + " group " + g + " stride " + sample.stride() + " ref " + withRef;
                        assertEquals(want.get(g).count(), got.get(g).count(), at);
                        assertArrayEquals(want.get(g).gram(), got.get(g).gram(), at);
                        assertArrayEquals(want.get(g).mean(), got.get(g).mean(), at);
                        if (withRef) assertArrayEquals(want.get(g).centeredCross(), got.get(g).centeredCross(), at);
                    }
                }
            }
        }
    }
}
