package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

/**
 * The vectorized exact kernels against two oracles: the scalar loop they replaced (kept here,
 * reading the packed bits itself) and a double-precision product with the dequantized weights.
 */
class FloatKernelsTest {
    private static final Parallel TWO = Parallel.of(2);

    @AfterAll
    static void close() {
        TWO.close();
    }

    @ParameterizedTest(name = "{0}x{1} {2} two={3} batch {4}")
    @CsvSource({
            "1, 1, row, false, 1", "3, 7, row, true, 1", "5, 17, tensor, false, 2", "13, 150, block:32, false, 1",
            "13, 150, block:32, true, 3", "6, 300, block:7, false, 1", "9, 1000, row, false, 2", "4, 128, block:128, false, 1",
            "7, 257, block:256, true, 1", "2, 33, row, false, 4", "5, 400, row, false, 1", "3, 120, tensor, false, 1", "6, 80, row, false, 1"})
    void matchesScalarLoopAndDequantizedProduct(int rows, int k, String grouping, boolean two, int batch) {
        Random rnd = new Random(rows * 31L + k);
        TernaryTensor t = TernaryMatmulTest.randomTensor(rnd, new int[] {rows, k}, Grouping.parse(grouping), two);
        float[] x = TernaryMatmulTest.randomActivations(rnd, batch * k);
        for (PackedTernaryMatrix.CodeLayout layout : layoutsFor(t)) check(t, PackedTernaryMatrix.of(t, 0, rows, layout), x, batch);
    }

    /** Every layout that can hold t (TRIPLES only one scale per row). */
    static java.util.List<PackedTernaryMatrix.CodeLayout> layoutsFor(TernaryTensor t) {
        return java.util.Arrays.stream(PackedTernaryMatrix.CodeLayout.values())
                .filter(l -> l != PackedTernaryMatrix.CodeLayout.TRIPLES || PackedTernaryMatrix.triplesApply(t)).toList();
    }

    private static void check(TernaryTensor t, PackedTernaryMatrix m, float[] x, int batch) {
        int rows = m.rows(), k = m.cols();
        float[] y = new float[batch * rows];
        TernaryMatmul.gemmExact(m, x, batch, y, Parallel.serial());
        float[] dq = t.dequantize();
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < rows; r++) {
                double ref = 0, abs = 0;
                for (int i = 0; i < k; i++) {
                    ref += (double) dq[r * k + i] * x[b * k + i];
                    abs += Math.abs((double) dq[r * k + i] * x[b * k + i]);
                }
                float got = y[b * rows + r];
                assertEquals(ref, got, 1e-5 * abs + 1e-7, "dequantized product, vector " + b + " row " + r);
                assertEquals(scalarLoop(m, x, b, r), got, 1e-5 * abs + 1e-7, "old scalar loop, vector " + b + " row " + r);
            }
        }
        float[] y2 = new float[y.length];
        TernaryMatmul.gemmExact(m, x, batch, y2, TWO);
        assertArrayEquals(y, y2, "same bits on two threads");
    }

    /** The scalar exact loop the kernels replaced: per segment, sums of the +1 and of the −1 inputs, in padded order. */
    static float scalarLoop(PackedTernaryMatrix m, float[] x, int b, int r) {
        ReductionLayout l = m.layout();
        float[] xp = new float[l.paddedK()];
        l.scatter(x, b * l.k(), xp, 0);
        int[] steps = l.segmentSteps();
        int segs = l.segments();
        float[] sp = m.scalePos(), sn = m.scaleNeg();
        float acc = 0f;
        for (int s = 0; s < segs; s++) {
            float pos = 0f, neg = 0f;
            for (int p = steps[s] * ReductionLayout.STEP; p < steps[s + 1] * ReductionLayout.STEP; p++) {
                int u = m.paddedCode(r, p);
                if (u == 2) pos += xp[p];
                else if (u == 0) neg += xp[p];
            }
            acc += sn == null ? sp[r * segs + s] * (pos - neg) : sp[r * segs + s] * pos - sn[r * segs + s] * neg;
        }
        return acc;
    }

    @Test
    void stepCodesAreTheCodesOfEachPaddedInputWithPadsAsZero() {
        Random rnd = new Random(5);
        for (int[] shape : new int[][] {{5, 37}, {6, 4, 3, 3}, {3, 300}}) {
            for (String g : new String[] {shape.length == 4 ? "kernel" : "block:20", "row"}) {
                TernaryTensor t = TernaryMatmulTest.randomTensor(rnd, shape, Grouping.parse(g), false);
                for (PackedTernaryMatrix.CodeLayout layout : layoutsFor(t)) checkStepCodes(t, PackedTernaryMatrix.of(t, 0, shape[0], layout));
            }
        }
    }

    private static void checkStepCodes(TernaryTensor t, PackedTernaryMatrix m) {
        ReductionLayout l = m.layout();
        int[] logicalAt = new int[l.paddedK()];
        java.util.Arrays.fill(logicalAt, -1);
        for (int i = 0; i < l.k(); i++) logicalAt[l.padded(i)] = i;
        short[] u = new short[16];
        for (int r = 0; r < m.rows(); r++) {
            for (int step = 0; step < l.paddedK() / 16; step++) {
                m.stepCodes(r, step).intoArray(u, 0);
                for (int j = 0; j < 16; j++) {
                    int i = logicalAt[step * 16 + j];
                    int expected = i < 0 ? 0 : t.codes()[r * l.k() + i];
                    assertEquals(expected, u[j] - 1, "row " + r + " padded input " + (step * 16 + j));
                    if (i >= 0) assertEquals(m.code(r, i), u[j] - 1);
                }
            }
        }
    }

    @Test
    void nonFiniteActivationsSkipZeroWeightsOnTheExactPath() {
        byte[] codes = {1, 0, -1, 0, 0, 1, 1, 1};
        TernaryTensor t = new TernaryTensor(new int[] {2, 4}, new Grouping.Row(), "test", codes, new float[] {1f, 2f}, null);
        PackedTernaryMatrix m = PackedTernaryMatrix.of(t);
        float[] x = {Float.NaN, 1f, 2f, 3f, 1f, 1f, 1f, Float.POSITIVE_INFINITY};
        float[] y = new float[4];
        TernaryMatmul.gemmExact(m, x, 2, y, Parallel.serial());
        assertTrue(Float.isNaN(y[0]), "row 0 uses the NaN input");
        assertEquals(2f * (1f + 2f + 3f), y[1], 1e-6f, "row 1 skips input 0, whose weight is zero");
        assertEquals(0f, y[2], "the infinite input has a zero weight in row 0");
        assertEquals(Float.POSITIVE_INFINITY, y[3]);
    }
}
