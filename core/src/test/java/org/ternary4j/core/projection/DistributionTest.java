package org.ternary4j.core.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/** Spec §1.1's optimal thresholds (half the optimal scale) relative to E|w|, at N = 10^6. */
class DistributionTest {
    private static final int N = 1_000_000;

    private static double thresholdOverMeanAbs(DoubleSupplier sample) {
        float[] w = new float[N];
        double meanAbs = 0;
        for (int i = 0; i < N; i++) {
            w[i] = (float) sample.getAsDouble();
            meanAbs += Math.abs(w[i]);
        }
        meanAbs /= N;
        byte[] codes = new byte[N];
        Scales s = new Tnt(false).project(w, N, codes);
        return s.pos() / 2 / meanAbs;
    }

    @Test
    void gaussian() {
        RandomVectors r = new RandomVectors(11);
        assertEquals(0.767, thresholdOverMeanAbs(r::gaussian), 0.01);
    }

    @Test
    void uniform() {
        SplittableRandom r = new SplittableRandom(12);
        assertEquals(0.667, thresholdOverMeanAbs(() -> r.nextDouble(-1, 1)), 0.01);
    }

    @Test
    void laplace() {
        SplittableRandom r = new SplittableRandom(13);
        assertEquals(1.00, thresholdOverMeanAbs(() -> (r.nextBoolean() ? 1 : -1) * -Math.log1p(-r.nextDouble())), 0.01);
    }
}
