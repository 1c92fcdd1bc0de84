package org.ternary4j.core.projection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The vector and scalar forms of each pass against brute force, and TNT's answer with either. */
class GroupPassesTest {

    private static final int[] LENGTHS = {0, 1, 15, 16, 17, 63, 100, 4096, 4099};

    /** Gaussian-ish weights with exact ties, signed zeros and subnormals mixed in. */
    private static float[] weights(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(20);
            w[i] = kind == 0 ? 0.25f : kind == 1 ? -0f : kind == 2 ? Float.MIN_VALUE * r.nextInt(1, 100) : (float) (r.nextGaussian() * 0.02);
            if (kind == 3) w[i] = -0.25f;
        }
        return w;
    }

    private static float[] abs(float[] w) {
        float[] a = new float[w.length];
        for (int i = 0; i < w.length; i++) a[i] = Math.abs(w[i]);
        return a;
    }

    @Test
    void magnitudesGiveTheMaximumAndASumBoundBothWays() {
        for (int n : LENGTHS) {
            float[] w = weights(n, n);
            BigDecimal exact = BigDecimal.ZERO;
            float max = 0;
            for (float v : w) {
                exact = exact.add(new BigDecimal(Math.abs(v)));
                max = Math.max(max, Math.abs(v));
            }
            float[] mags = new float[n];
            GroupPasses.Summary vector = GroupPasses.Vectors.magnitudes(w, n, mags);
            assertArrayEquals(abs(w), mags);
            GroupPasses.Summary scalar = GroupPasses.scalarSummary(mags, n);
            for (GroupPasses.Summary s : new GroupPasses.Summary[] {vector, scalar}) {
                assertEquals(max, s.max(), "n=" + n);
                double e = exact.doubleValue();
                assertTrue(s.sumAtLeast() <= e, "a lower bound: " + s.sumAtLeast() + " vs " + e);
                assertTrue(s.sumAtLeast() >= e * (1 - 1e-3), "and a close one: " + s.sumAtLeast() + " vs " + e);
            }
        }
    }

    @Test
    void indicesInRangeAreTheBruteForceOnes() {
        for (int n : LENGTHS) {
            float[] x = abs(weights(n, 31 + n));
            int lo = Float.floatToRawIntBits(0.01f), span = Float.floatToRawIntBits(0.03f) - lo;
            int[] expected = new int[n];
            int k = 0;
            for (int i = 0; i < n; i++) if (x[i] >= 0.01f && x[i] < 0.03f) expected[k++] = i;
            int[] vector = new int[n + 16], scalar = new int[n + 16];
            assertEquals(k, GroupPasses.Vectors.indicesInRange(x, n, lo, span, vector), "n=" + n);
            assertEquals(k, GroupPasses.scalarIndicesInRange(x, n, lo, span, scalar));
            assertArrayEquals(java.util.Arrays.copyOf(expected, k), java.util.Arrays.copyOf(vector, k));
            assertArrayEquals(java.util.Arrays.copyOf(expected, k), java.util.Arrays.copyOf(scalar, k));
        }
    }

    @Test
    void bitsAtLeastAreTheBruteForceOnes() {
        for (int n : LENGTHS) {
            float[] x = abs(weights(n, 53 + n));
            for (int lo : new int[] {0, 1, Float.floatToRawIntBits(0.01f), Float.floatToRawIntBits(0.25f), Float.floatToRawIntBits(0.25f) + 1, Integer.MAX_VALUE}) {
                int[] expected = new int[n];
                int k = 0;
                for (int i = 0; i < n; i++) if (Float.floatToRawIntBits(x[i]) >= lo) expected[k++] = Float.floatToRawIntBits(x[i]);
                int[] vector = new int[n + 16];
                assertEquals(k, GroupPasses.bitsAtLeast(x, n, lo, vector), "n=" + n + " lo=" + lo);
                assertArrayEquals(java.util.Arrays.copyOf(expected, k), java.util.Arrays.copyOf(vector, k));
            }
        }
    }

    @Test
    void signsAboveTheCut() {
        for (int n : LENGTHS) {
            float[] w = weights(n, 77 + n);
            for (int thr : new int[] {-1, 0, Float.floatToRawIntBits(0.02f), Float.floatToRawIntBits(0.25f), Integer.MAX_VALUE}) {
                byte[] expected = new byte[n];
                for (int i = 0; i < n; i++) {
                    if ((Float.floatToRawIntBits(w[i]) & 0x7fffffff) > thr) expected[i] = (byte) (Float.floatToRawIntBits(w[i]) < 0 ? -1 : 1);
                }
                byte[] vector = new byte[n], scalar = new byte[n];
                GroupPasses.scalarSignsAbove(w, GroupPasses.Vectors.signsAbove(w, n, thr, vector), n, thr, vector);
                GroupPasses.scalarSignsAbove(w, 0, n, thr, scalar);
                assertArrayEquals(expected, vector, "n=" + n + " thr=" + thr);
                assertArrayEquals(expected, scalar);
            }
        }
    }

    @Test
    void nonFiniteAnywhereIsFound() {
        for (int n : LENGTHS) {
            float[] w = weights(n, 5 + n);
            assertTrue(GroupPasses.Vectors.maxBitsWithoutSign(w, n) < 0x7f800000);
            assertTrue(GroupPasses.scalarAllFinite(w, n));
            for (int at = 0; at < n; at += Math.max(1, n / 7)) {
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    float[] v = w.clone();
                    v[at] = bad;
                    assertFalse(GroupPasses.Vectors.maxBitsWithoutSign(v, n) < 0x7f800000, "n=" + n + " at " + at);
                    assertFalse(GroupPasses.scalarAllFinite(v, n));
                }
            }
        }
    }

    /** TNT through the vector passes gives the same codes and scales as through the scalar ones. */
    @Test
    void tntIsTheSameWithEitherForm() {
        Tnt tnt = new Tnt(false);
        for (int n : new int[] {49, 300, 4096, 5000, 70_000}) {
            for (long seed = 0; seed < 5; seed++) {
                float[] w = weights(n, seed * 1000 + n);
                byte[] scalarCodes = new byte[n], vectorCodes = new byte[n];
                Scales scalar, vector;
                try {
                    GroupPasses.useVectorsNow(false);
                    scalar = tnt.project(w, n, scalarCodes);
                    GroupPasses.useVectorsNow(true);
                    vector = tnt.project(w, n, vectorCodes);
                } finally {
                    GroupPasses.useVectorsNow(false);
                }
                assertArrayEquals(scalarCodes, vectorCodes, "n=" + n);
                assertEquals(scalar, vector);
            }
        }
    }

    @Test
    void aJobThatWillCrossTheSwitchUsesTheVectorFormsFromItsStart() {
        boolean before = GroupPasses.vectorsInUse();
        try {
            GroupPasses.useVectorsNow(false);
            GroupPasses.expect(GroupPasses.VECTOR_AFTER - 1);
            assertFalse(GroupPasses.vectorsInUse());
            GroupPasses.expect(GroupPasses.VECTOR_AFTER);
            assertTrue(GroupPasses.vectorsInUse());
        } finally {
            GroupPasses.useVectorsNow(before);
        }
    }
}
