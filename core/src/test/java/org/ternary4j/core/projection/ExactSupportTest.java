package org.ternary4j.core.projection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The bucketed search must return exactly what the full sorted scan returns. */
class ExactSupportTest {

    private static boolean[] kept(float[] x, ExactSupport.Support s) {
        boolean[] keep = new boolean[x.length];
        ExactSupport.Cut cut = s.cut();
        for (int i = 0; i < x.length; i++) keep[i] = cut.keep(x[i]);
        return keep;
    }

    /** n copies of {@code value}, the first ones replaced by {@code head}. */
    private static float[] filled(int n, float value, float... head) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, value);
        System.arraycopy(head, 0, x, 0, head.length);
        return x;
    }

    private static void assertSameSupport(float[] x) {
        ExactSupport.Support sorted = ExactSupport.sortedScan(x, x.length);
        ExactSupport.Support bucketed = ExactSupport.bucketScan(x, x.length);
        assertEquals(sorted.size(), bucketed.size(), "support size");
        assertArrayEquals(kept(x, sorted), kept(x, bucketed));
        int count = 0;
        for (boolean k : kept(x, sorted)) if (k) count++;
        assertEquals(sorted.size(), count, "the cut keeps exactly M* elements");
    }

    @Test
    void bucketScanEqualsSortedScanOnRandomVectors() {
        RandomVectors gen = new RandomVectors(7);
        for (int k = 0; k < 3000; k++) {
            float[] w = gen.next(ExactSupport.SMALL + 1 + gen.nextInt(k % 10 == 0 ? 20000 : 600));
            float[] x = new float[w.length];
            for (int i = 0; i < w.length; i++) x[i] = Math.abs(w[i]);
            assertSameSupport(x);
        }
    }

    /** The same with the vector passes in use, which count only the magnitudes above the never-kept last bucket. */
    @Test
    void bucketScanWithTheVectorPassesEqualsSortedScan() {
        boolean before = GroupPasses.vectorsInUse();
        try {
            GroupPasses.useVectorsNow(true);
            RandomVectors gen = new RandomVectors(13);
            for (int k = 0; k < 1500; k++) {
                float[] w = gen.next(ExactSupport.SMALL + 1 + gen.nextInt(k % 10 == 0 ? 70_000 : 5000));
                float[] x = new float[w.length];
                for (int i = 0; i < w.length; i++) x[i] = Math.abs(w[i]);
                assertSameSupport(x);
            }
        } finally {
            GroupPasses.useVectorsNow(before);
        }
    }

    /** The per-thread work arrays grow for a large group and are then reused, longer than needed, for small ones. */
    @Test
    void reusedWorkArraysAfterALargeGroup() {
        RandomVectors gen = new RandomVectors(11);
        for (int n : new int[] {(1 << 20) + 5, 50, 3000, (1 << 14) + 1, 700, 200_000, 64}) {
            float[] w = gen.next(n);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = Math.abs(w[i]);
            assertSameSupport(x);
        }
    }

    @Test
    void adversarialShapes() {
        float[] outlier = filled(201, 1f, 10f);
        assertSameSupport(outlier);
        assertEquals(201, ExactSupport.bucketScan(outlier, 201).size());

        assertSameSupport(filled(1000, 0.5f));

        float[] zeros = new float[100];
        assertEquals(0, ExactSupport.bucketScan(zeros, 100).size());

        float[] tiny = new float[500]; // everything far below the top value lands in the last bucket
        for (int i = 0; i < tiny.length; i++) tiny[i] = (float) Math.scalb(1.0 + i % 7, -100 - i % 20);
        tiny[3] = 1f;
        assertSameSupport(tiny);

        float[] subnormal = new float[300];
        for (int i = 0; i < subnormal.length; i++) subnormal[i] = Float.MIN_VALUE * (1 + i % 13);
        assertSameSupport(subnormal);

        float[] huge = new float[300];
        for (int i = 0; i < huge.length; i++) huge[i] = Float.MAX_VALUE / (1 + i % 5);
        assertSameSupport(huge);
    }

    /** The support's sum of kept magnitudes against an exact sum (BigDecimal) of the kept elements. */
    @Test
    void exactSumIsTheSumOfTheKeptMagnitudes() {
        RandomVectors gen = new RandomVectors(13);
        int checked = 0;
        for (int k = 0; k < 2000; k++) {
            float[] w = gen.next(1 + gen.nextInt(k % 10 == 0 ? 20000 : 600));
            float[] x = new float[w.length];
            for (int i = 0; i < w.length; i++) x[i] = Math.abs(w[i]);
            for (ExactSupport.Support s : new ExactSupport.Support[] {ExactSupport.select(x, x.length), ExactSupport.sortedScan(x, x.length)}) {
                boolean[] keep = kept(x, s);
                java.math.BigDecimal exact = java.math.BigDecimal.ZERO;
                for (int i = 0; i < x.length; i++) if (keep[i]) exact = exact.add(new java.math.BigDecimal(x[i]));
                double sum = s.exactSum();
                if (Double.isNaN(sum)) continue; // allowed: the fixed-point sum may not be exact
                assertEquals(exact.doubleValue(), sum, 0.0, "n=" + x.length);
                checked++;
            }
        }
        assertEquals(true, checked > 3800, "almost every support has an exact sum: " + checked);
    }

    /** A cut whose run of equal magnitudes is kept whole needs no tie count, so codes are written in one pass. */
    @Test
    void aWholeRunOfEqualMagnitudesIsAPlainThreshold() {
        float[] x = filled(100, 0.01f, 5f, 5f, 5f, 4f); // keeps the three 5s and the 4
        ExactSupport.Support s = ExactSupport.select(x, x.length);
        assertEquals(4, s.size());
        assertEquals(0, s.tiesTaken());
        float[] small = filled(20, 0.01f, 5f, 5f, 5f, 4f); // the sorted scan's path
        assertEquals(0, ExactSupport.select(small, small.length).tiesTaken());
    }

    @Test
    void tiesAtTheCutBreakByIndex() {
        float[] x = filled(100, 1f, 30f, 30f);
        ExactSupport.Support s = ExactSupport.select(x, x.length);
        boolean[] keep = kept(x, s);
        assertEquals(s.size(), ExactSupport.sortedScan(x, x.length).size());
        int lastKept = -1;
        for (int i = 0; i < x.length; i++) if (keep[i] && x[i] == 1f) lastKept = i;
        for (int i = 2; i < x.length; i++) if (x[i] == 1f && i < lastKept) assertEquals(true, keep[i], "lower indices first");
    }
}
