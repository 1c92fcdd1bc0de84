package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NeuralOpsTest {
    /** Integers sum exactly in double whatever the order: every length and offset of the lane loop and its tail gives the exact sum. */
    @Test
    void planeSumOfIntegersIsExact() {
        Random rnd = new Random(5);
        float[] a = new float[200];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextInt(2001) - 1000;
        for (int from = 0; from < 4; from++) {
            for (int len = 0; from + len <= a.length; len++) {
                long exact = 0;
                for (int i = from; i < from + len; i++) exact += (long) a[i];
                assertEquals((double) exact, NeuralOps.planeSum(a, from, len), "from " + from + ", length " + len);
            }
        }
    }

    /** Random floats of mixed magnitudes: within a few double ulps of the exact sum (a float sum would be off by about 1e-7 relative). */
    @Test
    void planeSumIsNearTheExactSum() {
        Random rnd = new Random(6);
        for (int len : new int[] {15, 16, 17, 192, 2304}) {
            float[] a = new float[len];
            BigDecimal exact = BigDecimal.ZERO;
            for (int i = 0; i < len; i++) {
                a[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
                exact = exact.add(new BigDecimal(a[i]));
            }
            double got = NeuralOps.planeSum(a, 0, len), want = exact.round(MathContext.DECIMAL64).doubleValue();
            assertEquals(want, got, 1e-12 * Math.abs(want) + 1e-12, "length " + len);
        }
    }

    /** GlobalAveragePool: each plane's mean, as the exact mean rounded to float for integer values. */
    @Test
    void globalAveragePoolIsThePlaneMean() {
        float[] x = new float[2 * 3 * 50];
        for (int i = 0; i < x.length; i++) x[i] = i % 7 - 3;
        Tensor.F32 y = NeuralOps.globalAveragePool(new Tensor.F32(new int[] {2, 3, 5, 10}, x));
        assertEquals(java.util.List.of(2, 3, 1, 1), java.util.Arrays.stream(y.shape()).boxed().toList());
        for (int p = 0; p < 6; p++) {
            long s = 0;
            for (int j = 0; j < 50; j++) s += (long) x[p * 50 + j];
            assertEquals((float) (s / 50.0), y.data()[p], "plane " + p);
        }
    }
}
