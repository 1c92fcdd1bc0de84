package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

/**
 * The vectorized exact kernels of every layout against two oracles: the layout's scalar reference
 * (which reads the packed bits one code at a time) and a double-precision product with the
 * dequantized weights.
 */
class FloatKernelsTest {

    /** allFinite against a scalar Float.isFinite loop: a NaN or an infinity at every place of runs of every length up to five vectors' worth, from two offsets. */
    @org.junit.jupiter.api.Test
    void allFiniteFindsEveryNanAndInfinity() {
        Random rnd = new Random(5);
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        int checked = 0;
        for (int n = 0; n <= 5 * 16 + 3; n++) {
            for (int from : new int[] {0, 3}) {
                float[] x = RandomTensors.gaussian(rnd, from + n + 2);
                x[0] = -0f;
                assertEquals(true, FloatKernels.allFinite(x, from, n), "finite run of " + n);
                for (int at = 0; at < n; at++) {
                    float keep = x[from + at];
                    x[from + at] = bad[at % 3];
                    assertEquals(false, FloatKernels.allFinite(x, from, n), bad[at % 3] + " at " + at + " of " + n);
                    x[from + at] = keep;
                    checked++;
                }
                x[from + n] = Float.NaN; // just past the run: not looked at
                assertEquals(true, FloatKernels.allFinite(x, from, n), "a NaN past the run of " + n);
            }
        }
        assertEquals(2 * (83 * 84 / 2), checked);
    }

    @ParameterizedTest(name = "{0}x{1} {2} two={3} batch {4}")
    @CsvSource({
            "1, 1, row, false, 1", "3, 7, row, true, 1", "5, 17, tensor, false, 2", "13, 150, block:32, false, 1",
            "13, 150, block:32, true, 3", "6, 300, block:7, false, 1", "9, 1000, row, false, 2", "4, 128, block:128, false, 1",
            "7, 257, block:256, true, 1", "2, 33, row, false, 4", "5, 400, row, false, 1", "3, 120, tensor, false, 1", "6, 80, row, false, 1"})
    void matchesScalarReferenceAndDequantizedProduct(int rows, int k, String grouping, boolean two, int batch) {
        Random rnd = new Random(rows * 31L + k);
        TernaryTensor t = RandomTensors.ternary(rnd, new int[] {rows, k}, Grouping.parse(grouping), two);
        float[] x = RandomTensors.gaussian(rnd, batch * k);
        for (PackedTernaryMatrix.CodeLayout layout : PackedTernaryMatrixTest.layoutsFor(t)) check(t, PackedTernaryMatrix.of(t, 0, rows, layout), x, batch);
    }

    private static void check(TernaryTensor t, PackedTernaryMatrix m, float[] x, int batch) {
        int rows = m.rows(), k = m.cols();
        float[] y = new float[batch * rows];
        TernaryMatmul.gemmExact(m, x, batch, y, Parallel.serial());
        float[] dq = t.dequantize(), xp = new float[m.layout().paddedK()];
        for (int b = 0; b < batch; b++) {
            m.layout().scatter(x, b * k, xp, 0);
            for (int r = 0; r < rows; r++) {
                double ref = 0, abs = 0;
                for (int i = 0; i < k; i++) {
                    ref += (double) dq[r * k + i] * x[b * k + i];
                    abs += Math.abs((double) dq[r * k + i] * x[b * k + i]);
                }
                float got = y[b * rows + r];
                assertEquals(ref, got, 1e-5 * abs + 1e-7, "dequantized product, vector " + b + " row " + r);
                assertEquals(m.exactReference(r, xp, 0), got, 1e-5 * abs + 1e-7, "scalar reference, vector " + b + " row " + r);
            }
        }
        float[] y2 = new float[y.length];
        TernaryMatmul.gemmExact(m, x, batch, y2, RandomTensors.TWO);
        assertArrayEquals(y, y2, "same bits on two threads");
    }
}
