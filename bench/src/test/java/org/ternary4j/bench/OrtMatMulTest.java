package org.ternary4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.formats.onnx.NBitsBlocks;

class OrtMatMulTest {

    /** The MatMulNBits baseline (table-lookup kernel) computes the dequantized product, so its timings are of the same work. */
    @Test
    void nBitsBaselineComputesTheTernaryProduct() throws Exception {
        int rows = 48, k = 512, batch = 3;
        Random rnd = new Random(9);
        byte[] codes = new byte[rows * k];
        for (int i = 0; i < codes.length; i++) codes[i] = (byte) (rnd.nextInt(3) - 1);
        float[] scales = new float[rows];
        for (int r = 0; r < rows; r++) scales[r] = 0.01f + rnd.nextFloat() * 0.02f;
        TernaryTensor t = new TernaryTensor(new int[] {rows, k}, new Grouping.Row(), "random", codes, scales, null);
        float[] x = new float[batch * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] w = t.dequantize();
        try (OrtMatMul m = OrtMatMul.nBits(NBitsBlocks.of(t, 4), x, batch, 1)) {
            float[] y = m.output();
            for (int b = 0; b < batch; b++) {
                for (int r = 0; r < rows; r++) {
                    double expected = 0;
                    for (int i = 0; i < k; i++) expected += (double) x[b * k + i] * w[r * k + i];
                    // the table-lookup kernel quantizes activations to 8 bits: compare to the row's scale of error
                    assertEquals(expected, y[b * rows + r], 0.02 * Math.sqrt(k) * scales[r] * 3, "batch " + b + " row " + r);
                }
            }
        }
    }
}
