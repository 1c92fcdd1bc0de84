package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RowSampleTest {

    @Test
    void keepsAboutTheTargetAndTheStrideSharesNoFactorWithThePeriod() {
        long total = 2_000_000_000L;
        RowSample s = RowSample.of(total, 25, 96);
        assertEquals(1, gcd(s.stride(), 96));
        long kept = (total + s.stride() - 1) / s.stride();
        assertTrue(kept >= RowSample.target(25) * 0.9 && kept <= RowSample.target(25) * 1.1, "kept " + kept);
        assertEquals(1, RowSample.of(1000, 25, 96).stride()); // fewer rows than the target: all of them
        assertEquals(s, RowSample.of(total, 25, 96)); // a function of its arguments alone
    }

    @Test
    void firstFromIsTheNextMultipleOfTheStride() {
        RowSample s = new RowSample(7);
        assertEquals(0, s.firstFrom(0));
        assertEquals(7, s.firstFrom(1));
        assertEquals(14, s.firstFrom(14));
    }

    /** Sampled patches, fed batch by batch, are exactly every stride-th patch of all of them in order (brute force). */
    @Test
    void sampledPatchesAcrossBatchesAreEveryStrideThPatch() {
        ConvGeometry geo = new ConvGeometry(2, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 2);
        int n = 5, h = 6, w = 7;
        Random rnd = new Random(3);
        float[] x = new float[n * geo.channels() * h * w], ref = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextFloat() - 0.5f;
            ref[i] = rnd.nextFloat() - 0.5f;
        }
        RowSample s = new RowSample(5);
        List<InputStats> sampled = stats(geo, true);
        int per = geo.channels() * h * w;
        for (int from = 0; from < n; from += 2) { // batches of 2, 2, 1 examples
            int m = Math.min(2, n - from);
            float[] xb = java.util.Arrays.copyOfRange(x, from * per, (from + m) * per), rb = java.util.Arrays.copyOfRange(ref, from * per, (from + m) * per);
            geo.patches(new ConvGeometry.Batch(xb, rb, m, h, w, Examples.range(from, m)), sampled, s);
        }
        // Oracle: every patch of every group, in row order, from the single-group walk of a one-group geometry per group.
        List<InputStats> expected = stats(geo, true);
        int rows = geo.outH(h) * geo.outW(w);
        for (int g = 0; g < geo.groups(); g++) {
            List<float[]> all = new ArrayList<>(), allRef = new ArrayList<>();
            collect(geo, x, g, n, h, w, all);
            collect(geo, ref, g, n, h, w, allRef);
            assertEquals(n * rows, all.size());
            for (int r = 0; r < all.size(); r += 5) expected.get(g).add(all.get(r), 0, allRef.get(r), 0);
        }
        for (int g = 0; g < geo.groups(); g++) {
            assertEquals(expected.get(g).count(), sampled.get(g).count());
            assertArrayEquals(expected.get(g).gram(), sampled.get(g).gram());
            assertArrayEquals(expected.get(g).cross(), sampled.get(g).cross());
            assertArrayEquals(expected.get(g).mean(), sampled.get(g).mean());
        }
    }

    private static List<InputStats> stats(ConvGeometry geo, boolean cross) {
        List<InputStats> out = new ArrayList<>();
        for (int g = 0; g < geo.groups(); g++) out.add(new InputStats(geo.patchSize(), cross));
        return out;
    }

    /** Group g's patches by direct indexing, in (example, y, x) order. */
    private static void collect(ConvGeometry geo, float[] x, int g, int n, int h, int w, List<float[]> out) {
        for (int e = 0; e < n; e++) {
            for (int oy = 0; oy < geo.outH(h); oy++) {
                for (int ox = 0; ox < geo.outW(w); ox++) {
                    float[] p = new float[geo.patchSize()];
                    int i = 0;
                    for (int c = 0; c < geo.cin(); c++) {
                        for (int ky = 0; ky < geo.kh(); ky++) {
                            for (int kx = 0; kx < geo.kw(); kx++) {
                                int y = oy * geo.strideH() - geo.padTop() + ky * geo.dilH(), xx = ox * geo.strideW() - geo.padLeft() + kx * geo.dilW();
                                boolean inside = y >= 0 && y < h && xx >= 0 && xx < w;
                                p[i++] = inside ? x[((e * geo.channels() + g * geo.cin() + c) * h + y) * w + xx] : 0f;
                            }
                        }
                    }
                    out.add(p);
                }
            }
        }
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
