package org.ternary4j.core.projection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WeightedTntTest {

    /** min over all 3^N codes of Σ d (w − q)², scales solved in closed form per code. */
    private static double bruteForce(float[] w, float[] d, boolean twoScales) {
        int n = w.length, total = 1;
        for (int i = 0; i < n; i++) total *= 3;
        double best = Double.MAX_VALUE;
        for (int code = 0; code < total; code++) {
            int[] t = new int[n];
            for (int i = 0, c = code; i < n; i++, c /= 3) t[i] = c % 3 - 1;
            double pn = 0, pd = 0, nn = 0, nd = 0;
            for (int i = 0; i < n; i++) {
                if (t[i] > 0) { pn += d[i] * w[i]; pd += d[i]; }
                if (t[i] < 0) { nn -= d[i] * w[i]; nd += d[i]; }
            }
            double ap, an;
            if (twoScales) {
                ap = pd == 0 ? 0 : Math.max(0, pn / pd);
                an = nd == 0 ? 0 : Math.max(0, nn / nd);
            } else {
                ap = an = pd + nd == 0 ? 0 : Math.max(0, (pn + nn) / (pd + nd));
            }
            double err = 0;
            for (int i = 0; i < n; i++) {
                double q = t[i] > 0 ? ap : t[i] < 0 ? -an : 0;
                err += d[i] * (w[i] - q) * (w[i] - q);
            }
            best = Math.min(best, err);
        }
        return best;
    }

    private static double error(float[] w, float[] d, byte[] codes, Scales s) {
        double err = 0;
        for (int i = 0; i < w.length; i++) err += d[i] * Math.pow((double) w[i] - s.value(codes[i]), 2);
        return err;
    }

    @Test
    void reachesTheWeightedOptimum() {
        SplittableRandom r = new SplittableRandom(5);
        RandomVectors gen = new RandomVectors(6);
        for (int k = 0; k < 2000; k++) {
            float[] w = gen.next(1 + r.nextInt(7));
            float[] d = new float[w.length];
            for (int i = 0; i < d.length; i++) d[i] = (float) Math.exp(2 * r.nextDouble() - 1);
            for (boolean two : new boolean[] {false, true}) {
                byte[] codes = new byte[w.length];
                Scales s = new WeightedTnt(two).project(w, d, w.length, codes);
                double tol = 1e-9 * Math.max(1, error(w, d, new byte[w.length], Scales.ZERO));
                assertEquals(bruteForce(w, d, two), error(w, d, codes, s), tol, Arrays.toString(w) + " d=" + Arrays.toString(d));
            }
        }
    }

    @Test
    void unitImportanceIsTnt() {
        float[] w = {0.9f, -0.5f, 0.1f, -0.05f, 0.4f};
        float[] ones = {1, 1, 1, 1, 1};
        byte[] a = new byte[5], b = new byte[5];
        Scales weighted = new WeightedTnt(false).project(w, ones, 5, a);
        Scales tnt = new Tnt(false).project(w, 5, b);
        assertArrayEquals(b, a);
        assertEquals(tnt.pos(), weighted.pos(), 1e-6);
    }

    @Test
    void importanceMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new WeightedTnt(false).project(new float[] {1}, new float[] {0}, 1, new byte[1]));
    }
}
