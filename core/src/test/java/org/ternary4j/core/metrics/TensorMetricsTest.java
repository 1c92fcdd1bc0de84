package org.ternary4j.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.math.BigDecimal;
import java.util.Arrays;

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
        // subnormal to huge, then within 2^-8 … 2^8 (where every lane's sums count in the totals)
        for (short[][] wq : new short[][][] {randomBf16(12, 5 * TensorMetrics.Sums.LANES + 7, 0, 0x7f80), randomBf16(15, 87, 0x3b80, 0x0800)}) {
            short[] w = wq[0], q = wq[1];
            assertVectorFormGivesScalarSums(w.length, s -> s.addBf16(w, q, w.length),
                    (s, from, to) -> s.addBf16Vectors(Arrays.copyOfRange(w, from, to), Arrays.copyOfRange(q, from, to), to - from));
        }
    }

    @Test
    void theVectorFormOfTheFloatSumsGivesTheScalarSumsBitForBit() {
        SplittableRandom rnd = new SplittableRandom(14);
        int n = 5 * TensorMetrics.Sums.LANES + 7;
        float[] w = new float[n], q = new float[n];
        for (int i = 0; i < n; i++) {
            // magnitudes within a few powers of ten (every lane's sums count in the totals), and some subnormal
            w[i] = i % 11 == 0 ? (float) (rnd.nextGaussian() * 1e-40) : (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian() * 2));
            q[i] = i % 3 == 0 ? 0 : Math.copySign(0.7f, w[i]);
        }
        assertVectorFormGivesScalarSums(n, s -> s.add(w, q, n),
                (s, from, to) -> s.addVectors(Arrays.copyOfRange(w, from, to), Arrays.copyOfRange(q, from, to), to - from));
    }

    /** Adds elements [from, to) of a test's tensor by the vector form. */
    private interface Piece {
        void add(TensorMetrics.Sums s, int from, int to);
    }

    /**
     * The scalar form's sums of n elements (a test JVM has not switched the vector forms on)
     * against the vector form's fed in 1, 3 and 7 pieces: piece ends inside a round of lanes, so
     * the vector form starts mid-round too.
     */
    private static void assertVectorFormGivesScalarSums(int n, java.util.function.Consumer<TensorMetrics.Sums> scalar, Piece vector) {
        // the vector form holds the sixteen lanes in two vectors of doubles: 512-bit machines only (elsewhere the sums stay scalar)
        assumeTrue(TensorMetrics.Sums.Vectors.fits(), "doubles per vector: not half the lanes on this machine");
        for (int pieces : new int[] {1, 3, 7}) {
            TensorMetrics.Sums expected = new TensorMetrics.Sums(), actual = new TensorMetrics.Sums();
            scalar.accept(expected);
            for (int p = 0, from = 0; p < pieces; p++) {
                int to = n * (p + 1) / pieces;
                vector.add(actual, from, to);
                from = to;
            }
            assertArrayEquals(expected.sums(), actual.sums(), pieces + " pieces");
        }
    }

    @Test
    void aTensorFedInPiecesOfAnySizeGetsTheSumsOfTheWhole() {
        SplittableRandom rnd = new SplittableRandom(13);
        int n = 1000;
        float[] w = new float[n], q = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian() * 4));
            q[i] = i % 3 == 0 ? 0 : Math.copySign(0.7f, w[i]);
        }
        TensorMetrics.Sums whole = new TensorMetrics.Sums();
        whole.add(w, q, n);
        for (int trial = 0; trial < 20; trial++) {
            TensorMetrics.Sums pieces = new TensorMetrics.Sums();
            for (int from = 0; from < n; ) {
                int to = Math.min(n, from + 1 + rnd.nextInt(40));
                pieces.add(Arrays.copyOfRange(w, from, to), Arrays.copyOfRange(q, from, to), to - from);
                from = to;
            }
            assertArrayEquals(whole.sums(), pieces.sums());
        }
    }

    @Test
    void theSumsAgreeWithExactDecimalSums() {
        short[][] wq = randomBf16(14, 3001, 0x3000, 0x1800); // 2^-31 to 2^17: every product a normal double
        short[] w = wq[0], q = wq[1];
        BigDecimal ww = BigDecimal.ZERO, qq = BigDecimal.ZERO, wqs = BigDecimal.ZERO, dd = BigDecimal.ZERO, absWq = BigDecimal.ZERO;
        for (int i = 0; i < w.length; i++) {
            BigDecimal a = new BigDecimal(Float.intBitsToFloat(w[i] << 16)), b = new BigDecimal(Float.intBitsToFloat(q[i] << 16)), d = a.subtract(b);
            ww = ww.add(a.multiply(a));
            qq = qq.add(b.multiply(b));
            wqs = wqs.add(a.multiply(b));
            absWq = absWq.add(a.multiply(b).abs());
            dd = dd.add(d.multiply(d));
        }
        TensorMetrics.Sums sums = new TensorMetrics.Sums();
        sums.addBf16(w, q, w.length);
        double[] got = sums.sums();
        BigDecimal[] exact = {ww, qq, wqs, dd}, magnitude = {ww, qq, absWq, dd};
        for (int k = 0; k < 4; k++) {
            // float sums of n terms err by at most about n·ε times the sum of the terms' magnitudes
            assertEquals(exact[k].doubleValue(), got[k], magnitude[k].doubleValue() * 1e-13, "sum " + k);
        }
    }

    /** Two BF16 arrays with bit patterns in [low, low + span) and both signs, every fourth q zero: the double sums round often. */
    private static short[][] randomBf16(long seed, int n, int low, int span) {
        SplittableRandom rnd = new SplittableRandom(seed);
        short[] w = new short[n], q = new short[n];
        for (int i = 0; i < n; i++) {
            w[i] = (short) (low + rnd.nextInt(span) | (rnd.nextBoolean() ? 0x8000 : 0));
            q[i] = i % 4 == 0 ? 0 : (short) (low + rnd.nextInt(span) | (rnd.nextBoolean() ? 0x8000 : 0));
        }
        return new short[][] {w, q};
    }
}
