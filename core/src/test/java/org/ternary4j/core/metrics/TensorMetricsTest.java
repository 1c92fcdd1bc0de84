package org.ternary4j.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TensorMetricsTest {

    @Test
    void sixteenBitSumsEqualTheSumsOfTheDecodedFloats() {
        SplittableRandom rnd = new SplittableRandom(11);
        int n = 5000;
        short[] wb = new short[n], qb = new short[n], wh = new short[n], qh = new short[n];
        float[] wbf = new float[n], qbf = new float[n], whf = new float[n], qhf = new float[n];
        for (int i = 0; i < n; i++) {
            float w = (float) (rnd.nextGaussian() * 0.02), q = i % 3 == 0 ? 0f : (i % 3 == 1 ? 0.013f : -0.013f);
            wb[i] = (short) (Float.floatToRawIntBits(w) >>> 16);
            qb[i] = (short) (Float.floatToRawIntBits(q) >>> 16);
            wbf[i] = Float.intBitsToFloat(wb[i] << 16);
            qbf[i] = Float.intBitsToFloat(qb[i] << 16);
            wh[i] = Float.floatToFloat16(w);
            qh[i] = Float.floatToFloat16(q);
            whf[i] = Float.float16ToFloat(wh[i]);
            qhf[i] = Float.float16ToFloat(qh[i]);
        }
        TensorMetrics.Sums bf16 = new TensorMetrics.Sums(), f16 = new TensorMetrics.Sums();
        bf16.addBf16(wb, qb, n);
        f16.addF16(wh, qh, n);
        assertEquals(TensorMetrics.of(wbf, qbf, 0.5, 2), bf16.metrics(0.5, 2));
        assertEquals(TensorMetrics.of(whf, qhf, 0.5, 2), f16.metrics(0.5, 2));
    }
}
