package org.ternary4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.metrics.TensorMetrics;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projections;

class TernarizerTest {
    private static final int[] SHAPE = {8, 6, 3, 3};

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) (r.nextDouble() - 0.5) * (1 + i % 5);
        return w;
    }

    @Test
    void everyGroupHoldsAtMostThreeValues() {
        float[] w = random(8 * 6 * 9, 3);
        for (String g : new String[] {"tensor", "row", "kernel", "fiber", "block:7", "syq-pixel", "syq-row"}) {
            for (String m : new String[] {"tnt", "two-scale", "twn", "tga"}) {
                TernaryTensor t = new Ternarizer(Projections.parse(m), Grouping.parse(g)).apply(SHAPE, w);
                float[] q = t.dequantize();
                GroupLayout layout = t.grouping().layout(SHAPE);
                for (int grp = 0; grp < layout.groupCount(); grp++) {
                    Set<Float> values = new HashSet<>();
                    for (int j = 0; j < layout.size(grp); j++) values.add(q[layout.position(grp, j)]);
                    assertTrue(values.size() <= 3, m + "/" + g + " group " + grp + ": " + values);
                }
            }
        }
    }

    @Test
    void threadCountDoesNotChangeTheResult() {
        float[] w = random(8 * 6 * 9, 4);
        for (String g : new String[] {"row", "kernel", "fiber"}) {
            TernaryTensor one = new Ternarizer(Projections.parse("two-scale"), Grouping.parse(g), 1).apply(SHAPE, w);
            TernaryTensor two = new Ternarizer(Projections.parse("two-scale"), Grouping.parse(g), 2).apply(SHAPE, w);
            assertArrayEquals(one.codes(), two.codes());
            assertArrayEquals(one.scalePos(), two.scalePos());
            assertArrayEquals(one.scaleNeg(), two.scaleNeg());
        }
    }

    @Test
    void nonFiniteWeightsAreRefused() {
        float[] w = random(8 * 6 * 9, 5);
        w[17] = Float.NaN;
        var e = assertThrows(NonFiniteWeightException.class, () -> new Ternarizer(Projections.parse("tnt"), Grouping.parse("row")).apply(SHAPE, w));
        assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("17"));
        w[17] = Float.NEGATIVE_INFINITY;
        assertThrows(NonFiniteWeightException.class, () -> new Ternarizer(Projections.parse("tnt"), Grouping.parse("row")).apply(SHAPE, w));
    }

    /** Groups check their own weights as they go; the error still names the first non-finite weight, at any thread count. */
    @Test
    void theFirstNonFiniteWeightIsNamedWhicheverThreadMeetsOne() {
        float[] w = random(64 * 40, 7);
        w[2000] = Float.NaN;
        w[1234] = Float.POSITIVE_INFINITY;
        for (int threads : new int[] {1, 2, 4}) {
            var e = assertThrows(NonFiniteWeightException.class, () -> new Ternarizer(Projections.parse("tnt"), Grouping.parse("row"), threads).apply(new int[] {64, 40}, w));
            assertEquals("infinite weight at element 1234", e.getMessage());
        }
    }

    @Test
    void emptyAndZeroTensors() {
        TernaryTensor empty = new Ternarizer(Projections.parse("tnt"), Grouping.parse("row")).apply(new int[] {3, 0}, new float[0]);
        assertEquals(3, empty.groupCount());
        assertEquals(0, empty.bitsPerWeight(Packing.BASE3));
        TernaryTensor zeros = new Ternarizer(Projections.parse("tga"), Grouping.parse("row")).apply(new int[] {2, 4}, new float[8]);
        assertArrayEquals(new float[8], zeros.dequantize());
        TensorMetrics m = TensorMetrics.of(new float[8], zeros.dequantize(), zeros.sparsity(), 2);
        assertEquals(1.0, m.cosine());
        assertEquals(0.0, m.relL2());
    }

    @Test
    void bitsPerWeightCountScales() {
        TernaryTensor t = new Ternarizer(Projections.parse("two-scale"), Grouping.parse("row")).apply(new int[] {4, 100}, random(400, 6));
        // 400 codes → 80 base-3 bytes; 4 groups × 2 fp32 scales
        assertEquals((80 * 8 + 8 * 32) / 400.0, t.bitsPerWeight(Packing.BASE3), 1e-12);
        assertEquals((100 * 8 + 8 * 32) / 400.0, t.bitsPerWeight(Packing.TWO_BIT), 1e-12);
    }

    @Test
    void metricsMatchHandComputedValues() {
        TensorMetrics m = TensorMetrics.of(new float[] {3, 4}, new float[] {3, 0}, 0.5, 2);
        assertEquals(0.6, m.cosine(), 1e-12);
        assertEquals(0.8, m.relL2(), 1e-12);
    }
}
