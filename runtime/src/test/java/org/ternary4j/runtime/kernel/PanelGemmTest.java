package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The panel product against a scalar oracle: each output is Math.fma over the inputs in order
 * from zero, the chain the kernel promises, so the bits must match for every row count (every mix
 * of its 12-, 6-, 4-, 2- and 1-row blocks), partial panels, panels read in place (ldp > NR) and
 * offset rows; outputs outside the product stay untouched.
 */
class PanelGemmTest {

    @Test
    void everyOutputIsTheFmaChainInInputOrder() {
        Random rnd = new Random(5);
        int nr = PanelGemm.NR;
        for (int count = 0; count <= 31; count++) {
            for (int trial = 0; trial < 3; trial++) {
                int k = 1 + rnd.nextInt(70), cols = 1 + rnd.nextInt(nr), ldp = trial == 2 ? nr + rnd.nextInt(9) : nr, p0 = rnd.nextInt(4);
                int lda = k + rnd.nextInt(3), aOff = rnd.nextInt(5), ldy = cols + 3 + rnd.nextInt(40), yOff = rnd.nextInt(5), y0 = rnd.nextInt(3);
                float[] a = new float[aOff + count * lda + 1], panel = new float[p0 + (k - 1) * ldp + nr], y = new float[yOff + count * ldy + nr + y0];
                for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
                for (int i = 0; i < panel.length; i++) panel[i] = rnd.nextInt(3) - 1 + (float) rnd.nextGaussian() * 0.01f;
                java.util.Arrays.fill(y, Float.NaN);
                PanelGemm.multiply(new PanelGemm.Rows(a, aOff, lda, y, yOff, ldy), count, k, new PanelGemm.Panel(panel, p0, ldp), y0, cols);
                for (int b = 0; b < count; b++) {
                    for (int j = 0; j < ldy && yOff + b * ldy + j < y.length; j++) {
                        float got = y[yOff + b * ldy + j];
                        if (j < y0 || j >= y0 + cols) {
                            assertEquals(Float.NaN, got, "untouched: row " + b + " column " + j);
                            continue;
                        }
                        float s = 0f;
                        for (int q = 0; q < k; q++) s = Math.fma(a[aOff + b * lda + q], panel[p0 + q * ldp + j - y0], s);
                        assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(got), "count " + count + " row " + b + " column " + j);
                    }
                }
            }
        }
    }

    @Test
    void biasIsAddedToEveryRowOnceAndNothingElseChanges() {
        Random rnd = new Random(5);
        for (int cols : new int[] {1, 15, 16, 37, 64}) {
            int rows = 5;
            float[] y = new float[rows * cols + 3], bias = new float[cols];
            for (int i = 0; i < y.length; i++) y[i] = (float) rnd.nextGaussian();
            for (int j = 0; j < cols; j++) bias[j] = (float) rnd.nextGaussian();
            float[] expected = y.clone();
            for (int b = 0; b < rows; b++) for (int j = 0; j < cols; j++) expected[b * cols + j] = y[b * cols + j] + bias[j];
            PanelGemm.addBias(y, rows, bias);
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, y, cols + " columns (values past the rows untouched)");
        }
        float[] y = {1f, 2f};
        PanelGemm.addBias(y, 1, null);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {1f, 2f}, y, "no bias: nothing");
    }
}
