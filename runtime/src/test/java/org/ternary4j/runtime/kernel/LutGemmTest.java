package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

/**
 * The shared-table int8 product against Σ code·q summed in long, row by row: tile quads and a
 * last quad of one to three tiles (70 rows: three, 130: five), partial tiles, vector counts past
 * the register block (13 = 3·4 + 1) and past a chunk of vectors ({@link LutGemm#chunk}: 40 at
 * 300 inputs, so 77 = 40 + 37), several step blocks
 * (int16 accumulators widened in time), and the extreme case of every code +1 and every q 127,
 * where an unwidened int16 sum would overflow.
 */
class LutGemmTest {

    @ParameterizedTest(name = "{0}x{1}, {2} vectors, all ones {3}")
    @CsvSource({"70, 300, 13, false", "70, 300, 77, false", "130, 1000, 19, false", "64, 144, 8, false", "33, 2000, 9, true", "1, 9, 1, false"})
    void sumsEqualTheIntegerProduct(int rows, int k, int batch, boolean ones) {
        Assumptions.assumeTrue(DecodedGemm.TRIPLES_PANELS, "TRIPLES tiles need 512-bit vectors");
        Random rnd = new Random(rows * 31 + k);
        TernaryTensor t = RandomTensors.ternary(rnd, new int[] {rows, k}, Grouping.parse("row"), false);
        if (ones) t = new TernaryTensor(t.shape(), t.grouping(), t.method(), filled(rows * k), t.scalePos(), null);
        TriplesMatrix m = (TriplesMatrix) PackedTernaryMatrix.of(t, 0, rows, PackedTernaryMatrix.CodeLayout.TRIPLES);
        float[] x = ones ? filled(batch * k, 1f) : RandomTensors.gaussian(rnd, batch * k);
        QuantizedActivations a = QuantizedActivations.of(m.layout(), x, batch, true, Parallel.serial());
        float[] y = new float[batch * rows];
        LutGemm.sums(m, a, y, RandomTensors.THREE);
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < rows; r++) {
                long s = 0;
                for (int i = 0; i < k; i++) s += (long) m.code(r, i) * a.q[b * a.paddedK + m.layout().padded(i)];
                assertEquals((float) s, y[b * rows + r], "vector " + b + " row " + r);
                if (ones) assertEquals(127L * k, s);
            }
        }
    }

    private static byte[] filled(int n) {
        byte[] c = new byte[n];
        java.util.Arrays.fill(c, (byte) 1);
        return c;
    }

    private static float[] filled(int n, float v) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, v);
        return x;
    }
    /**
     * The bias the shared product adds in its store: each output is the product without bias plus
     * the bias in one float add (the Add node's arithmetic), for two matrices of different heights
     * written from row {@code first} on, one without a bias, and a vector that is not finite (the
     * exact reference, then the same add).
     */
    @ParameterizedTest(name = "{0} vectors from row {1}")
    @CsvSource({"13, 0", "40, 3"})
    void biasesAreAddedToTheProductsAsTheAddNodeAddsThem(int batch, int first) {
        Assumptions.assumeTrue(DecodedGemm.TRIPLES_PANELS, "TRIPLES tiles need 512-bit vectors");
        Random rnd = new Random(batch);
        int k = 300;
        int[] heights = {70, 33};
        PackedTernaryMatrix[] ms = new PackedTernaryMatrix[heights.length];
        for (int i = 0; i < ms.length; i++) {
            TernaryTensor t = RandomTensors.ternary(rnd, new int[] {heights[i], k}, Grouping.parse("row"), false);
            ms[i] = PackedTernaryMatrix.of(t, 0, heights[i], PackedTernaryMatrix.CodeLayout.TRIPLES);
        }
        float[] x = RandomTensors.gaussian(rnd, batch * k);
        x[2 * k + 7] = Float.NaN; // vector 2 takes the exact reference
        float[][] biases = {RandomTensors.gaussian(rnd, heights[0]), null};
        float[][] plain = {new float[(first + batch) * heights[0]], new float[(first + batch) * heights[1]]};
        float[][] biased = {new float[(first + batch) * heights[0]], new float[(first + batch) * heights[1]]};
        TernaryMatmul.gemmShared(ms, x, batch, plain, new float[][] {null, null}, first, RandomTensors.TWO);
        TernaryMatmul.gemmShared(ms, x, batch, biased, biases, first, RandomTensors.TWO);
        for (int b = first; b < first + batch; b++) {
            for (int r = 0; r < heights[0]; r++) {
                int o = b * heights[0] + r;
                assertEquals(plain[0][o] + biases[0][r], biased[0][o], "vector " + b + " row " + r);
            }
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(plain[1], biased[1], "no bias: the product alone");
    }
}
