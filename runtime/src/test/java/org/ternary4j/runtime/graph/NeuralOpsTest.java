package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class NeuralOpsTest {
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
