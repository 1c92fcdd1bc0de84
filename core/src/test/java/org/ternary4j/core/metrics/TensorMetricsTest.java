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

    @Test
    void theVectorFormOfTheBf16SumsGivesTheScalarSumsBitForBit() {
        SplittableRandom rnd = new SplittableRandom(12);
        int n = 3 * TensorMetrics.Sums.Vectors.BLOCK + 17; // whole blocks and a scalar tail
        short[] w = new short[n], q = new short[n];
        for (int i = 0; i < n; i++) {
            // every magnitude from subnormal to large, both signs, so the double sums round often
            w[i] = (short) rnd.nextInt(0x7f80);
            if (rnd.nextBoolean()) w[i] |= (short) 0x8000;
            q[i] = i % 4 == 0 ? 0 : (short) (rnd.nextInt(0x7f80) | (rnd.nextBoolean() ? 0x8000 : 0));
        }
        for (int pieces : new int[] {1, 3}) {
            TensorMetrics.Sums scalar = new TensorMetrics.Sums(), vector = new TensorMetrics.Sums();
            scalar.addBf16(w, q, n); // a test JVM has not switched the vector forms on
            for (int p = 0, from = 0; p < pieces; p++) {
                int to = n * (p + 1) / pieces, len = to - from;
                short[] wp = java.util.Arrays.copyOfRange(w, from, to), qp = java.util.Arrays.copyOfRange(q, from, to);
                int tail = TensorMetrics.Sums.Vectors.addBf16(vector, wp, qp, len);
                vector.addBf16(wp, qp, tail, len);
                from = to;
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(scalar.sums(), vector.sums(), pieces + " pieces");
        }
    }
}
