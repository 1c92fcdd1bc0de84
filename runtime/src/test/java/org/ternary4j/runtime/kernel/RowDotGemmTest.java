package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

/**
 * The exact product of a few activation rows with long rows of weights, through
 * {@link TernaryMatmul#gemmExact}: against a double-precision product of the codes and scales,
 * the same bits on one, two and three threads, and a fused bias the product's bits plus the bias.
 */
class RowDotGemmTest {

    @ParameterizedTest(name = "{0}×{1}, {2} vectors, {3}")
    @CsvSource({
            // VGG's fully connected layer at batch 16; a row count that is no multiple of four
            "128, 1568, 16, row",
            "70, 1568, 8, row",
            // inputs past the last whole vector (1030 = 64·16 + 6), a last block of three vectors
            "37, 1030, 31, row",
            "37, 1030, 13, row",
            // two scales per row
            "20, 1100, 9, row"})
    void matchesADoubleProductOnAnyThreadCount(int rows, int k, int batch, String grouping) {
        assertTrue(RowDotGemm.applies(batch, k));
        Random rnd = new Random(rows * 31L + k + batch);
        for (boolean twoScales : new boolean[] {false, rows == 20}) {
            TernaryTensor t = RandomTensors.ternary(rnd, new int[] {rows, k}, Grouping.parse(grouping), twoScales);
            float[] x = RandomTensors.gaussian(rnd, batch * k), bias = RandomTensors.gaussian(rnd, rows);
            for (PackedTernaryMatrix.CodeLayout layout : PackedTernaryMatrixTest.layoutsFor(t)) {
                PackedTernaryMatrix m = PackedTernaryMatrix.of(t, 0, rows, layout);
                float[] one = new float[batch * rows];
                TernaryMatmul.gemmExact(m, x, batch, one, Parallel.serial());
                for (Parallel par : new Parallel[] {RandomTensors.TWO, RandomTensors.THREE}) {
                    float[] other = new float[batch * rows];
                    TernaryMatmul.gemmExact(m, x, batch, other, par);
                    assertArrayEquals(one, other, layout + " on " + par.threads() + " threads");
                }
                float[] fused = new float[batch * rows];
                TernaryMatmul.gemmExact(m, x, batch, fused, bias, RandomTensors.TWO);
                for (int i = 0; i < one.length; i++) assertEquals(one[i] + bias[i % rows], fused[i], 0f, layout + " fused bias at " + i);
                for (int b = 0; b < batch; b++) {
                    for (int r = 0; r < rows; r++) {
                        double s = 0;
                        for (int i = 0; i < k; i++) {
                            int c = m.code(r, i);
                            s += (c > 0 ? t.scalePos()[r] : c < 0 ? (twoScales ? t.scaleNeg()[r] : t.scalePos()[r]) : 0) * c * (double) x[b * k + i];
                        }
                        assertEquals(s, one[b * rows + r], 2e-5 * Math.sqrt(k) * (1 + Math.abs(s)), layout + " vector " + b + " row " + r);
                    }
                }
            }
        }
    }
}
