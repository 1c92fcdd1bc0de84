package org.ternary4j.core.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** TNT's scale must be, to the bit, the float of the index-order double mean of the kept magnitudes. */
class TntTest {

    private static float indexOrderMean(float[] w, byte[] codes) {
        double s = 0;
        int k = 0;
        for (int i = 0; i < w.length; i++) {
            if (codes[i] != 0) {
                s += Math.abs(w[i]);
                k++;
            }
        }
        return k == 0 ? 0f : (float) (s / k);
    }

    @Test
    void scaleIsTheIndexOrderMeanOfTheKeptMagnitudes() {
        RandomVectors gen = new RandomVectors(17);
        Tnt tnt = new Tnt(false);
        for (int k = 0; k < 3000; k++) {
            float[] w = gen.next(1 + gen.nextInt(k % 10 == 0 ? 20000 : 700));
            byte[] codes = new byte[w.length];
            Scales s = tnt.project(w, w.length, codes);
            assertEquals(Float.floatToRawIntBits(indexOrderMean(w, codes)), Float.floatToRawIntBits(s.pos()), "n=" + w.length);
            assertEquals(s.pos(), s.neg());
        }
    }

    /** Means that sit on a float rounding boundary must not be decided from the exact sum. */
    @Test
    void roundedMeanRefusesNearARoundingBoundary() {
        double midpoint = 1.0 + 0x1p-24; // halfway between 1 and the next float
        assertEquals(true, Float.isNaN(Groups.roundedMean(3 * midpoint, 3)));
        assertEquals(1.0f, Groups.roundedMean(3.0, 3));
        assertEquals(true, Float.isNaN(Groups.roundedMean(0.0, 3)));
        assertEquals(true, Float.isNaN(Groups.roundedMean(Double.NaN, 3)));
    }
}
