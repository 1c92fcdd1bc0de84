package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

/**
 * The quad-table int8 product against Σ code·q summed in long for each row and vector, combined
 * as the per-vector integer kernels combine it: rows that do not fill a tile of four (70), inputs
 * padded to whole chunks (300 → 384), partial tiles of vectors (13, 40, 77), many chunks (2000
 * inputs: int16 sums widened in time, checked with every code +1 and every level 127, where an
 * unwidened sum would overflow), several matrices sharing the tables with biases, an output
 * offset and a vector that is not finite, and every thread count.
 */
class QuadLutGemmTest {

    @ParameterizedTest(name = "{0}x{1}, {2} vectors, all ones {3}")
    @CsvSource({"70, 300, 13, false", "70, 300, 77, false", "130, 1000, 40, false", "64, 128, 32, false", "33, 2000, 9, true", "1, 9, 1, false"})
    void outputsCombineTheExactIntegerSums(int rows, int k, int batch, boolean ones) {
        Random rnd = new Random(rows * 31 + k);
        TernaryTensor t = RandomTensors.ternary(rnd, new int[] {rows, k}, Grouping.parse("row"), false);
        if (ones) t = new TernaryTensor(t.shape(), t.grouping(), t.method(), filled(rows * k), t.scalePos(), null);
        PackedTernaryMatrix m = PackedTernaryMatrix.of(t, 0, rows, PackedTernaryMatrix.CodeLayout.TWO_BIT);
        float[] x = ones ? filledFloats(batch * k) : RandomTensors.gaussian(rnd, batch * k);
        float[] y = new float[batch * rows];
        QuadLutGemm.products(new PackedTernaryMatrix[] {m}, x, batch, new float[][] {y}, new float[][] {null}, 0, RandomTensors.THREE);
        QuantizedActivations a = QuantizedActivations.of(m.layout(), x, batch, false, Parallel.serial());
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < rows; r++) {
                long s = 0;
                for (int i = 0; i < k; i++) s += (long) m.code(r, i) * a.q[b * a.paddedK + m.layout().padded(i)];
                if (ones) assertEquals(127L * k, s);
                assertEquals((0f + m.scalePos().get(r) * (float) s) * a.scale[b], y[b * rows + r], "vector " + b + " row " + r);
            }
        }
    }

    /** The per-vector integer kernels (what the int8 path runs below {@link QuadLutGemm#MIN_BATCH}) give every output the same bits. */
    @Test
    void matchesThePerVectorIntegerKernelsBitForBit() {
        Random rnd = new Random(5);
        int rows = 150, k = 700, batch = 45;
        PackedTernaryMatrix m = PackedTernaryMatrix.of(RandomTensors.ternary(rnd, new int[] {rows, k}, Grouping.parse("row"), false), 0, rows, PackedTernaryMatrix.CodeLayout.TWO_BIT);
        float[] x = RandomTensors.gaussian(rnd, batch * k);
        float[] quads = new float[batch * rows], perVector = new float[batch * rows];
        QuadLutGemm.products(new PackedTernaryMatrix[] {m}, x, batch, new float[][] {quads}, new float[][] {null}, 0, Parallel.serial());
        QuantizedActivations a = QuantizedActivations.of(m.layout(), x, batch, VectorWidth.WIDE, Parallel.serial());
        m.int8Rows(a, perVector).run(0, rows);
        assertArrayEquals(perVector, quads);
    }

    /**
     * Few vectors: tiles of 16 up to 16 vectors, one of 32 above, and with fewer tiles than threads
     * the weight rows split among the threads (here across the end of one matrix into the next):
     * the per-vector integer kernels' bits for every thread count.
     */
    @ParameterizedTest(name = "{0} vectors")
    @ValueSource(ints = {8, 11, 16, 17, 23})
    void fewVectorsGiveThePerVectorKernelsBitsOnEveryThreadCount(int batch) {
        Random rnd = new Random(batch);
        int k = 520;
        int[] heights = {38, 90};
        PackedTernaryMatrix[] ms = twoBit(rnd, heights, k);
        float[] x = RandomTensors.gaussian(rnd, batch * k);
        QuantizedActivations a = QuantizedActivations.of(ms[0].layout(), x, batch, VectorWidth.WIDE, Parallel.serial());
        for (int threads = 1; threads <= 4; threads++) {
            float[][] ys = {new float[batch * heights[0]], new float[batch * heights[1]]};
            try (Parallel par = Parallel.of(threads)) {
                QuadLutGemm.products(ms, x, batch, ys, new float[][] {null, null}, 0, par);
            }
            for (int i = 0; i < ms.length; i++) {
                float[] perVector = new float[batch * heights[i]];
                ms[i].int8Rows(a, perVector).run(0, heights[i]);
                assertArrayEquals(perVector, ys[i], threads + " threads, matrix " + i);
            }
        }
    }

    /** A tall product with a wide and a narrow tile on two threads shares its rows, not its tiles: the per-vector kernels' bits still. */
    @Test
    void aTallProductOfUnevenTilesSplitsItsRowsWithTheSameBits() {
        Random rnd = new Random(40);
        int batch = 40, k = 130;
        PackedTernaryMatrix[] ms = twoBit(rnd, new int[] {700, 430}, k);
        float[] x = RandomTensors.gaussian(rnd, batch * k);
        float[][] ys = {new float[batch * 700], new float[batch * 430]};
        QuadLutGemm.products(ms, x, batch, ys, new float[][] {null, null}, 0, RandomTensors.TWO);
        QuantizedActivations a = QuantizedActivations.of(ms[0].layout(), x, batch, VectorWidth.WIDE, Parallel.serial());
        for (int i = 0; i < ms.length; i++) {
            float[] perVector = new float[ys[i].length];
            ms[i].int8Rows(a, perVector).run(0, ms[i].rows());
            assertArrayEquals(perVector, ys[i], "matrix " + i);
        }
    }

    @ParameterizedTest(name = "{0} vectors from row {1}")
    @CsvSource({"13, 0", "70, 3"})
    void sharedTablesGiveEachMatrixItsOwnProductPlusItsBias(int batch, int first) {
        Random rnd = new Random(batch);
        int k = 300;
        int[] heights = {70, 33};
        PackedTernaryMatrix[] ms = twoBit(rnd, heights, k);
        float[] x = RandomTensors.gaussian(rnd, batch * k);
        x[2 * k + 7] = Float.NaN; // vector 2 takes the exact reference
        float[][] biases = {RandomTensors.gaussian(rnd, heights[0]), null};
        float[][] shared = {new float[(first + batch) * heights[0]], new float[(first + batch) * heights[1]]};
        QuadLutGemm.products(ms, x, batch, shared, biases, first, RandomTensors.TWO);
        for (int i = 0; i < ms.length; i++) {
            float[] alone = new float[(first + batch) * heights[i]];
            QuadLutGemm.products(new PackedTernaryMatrix[] {ms[i]}, x, batch, new float[][] {alone}, new float[][] {null}, first, Parallel.serial());
            float[] expected = alone.clone();
            if (biases[i] != null) PanelGemm.addBias(expected, first * heights[i], batch, biases[i]);
            assertArrayEquals(expected, shared[i], "matrix " + i);
            float[] exact = new float[heights[i]];
            TernaryMatmul.exactVector(ms[i], x, 2, exact, 0);
            for (int r = 0; r < heights[i]; r++) assertEquals(exact[r] + (biases[i] == null ? 0f : biases[i][r]), shared[i][(first + 2) * heights[i] + r], 0f);
        }
    }

    /** The automatic layout marks the matrices that TRIPLES takes on 512-bit machines, and only those, for the table product. */
    @Test
    void theAutomaticChoiceTabulatesWhereTriplesWouldTakeTheLayer() {
        Random rnd = new Random(9);
        PackedTernaryMatrix large = PackedTernaryMatrix.of(RandomTensors.ternary(rnd, new int[] {384, 384}, Grouping.parse("row"), false));
        PackedTernaryMatrix twoScales = PackedTernaryMatrix.of(RandomTensors.ternary(rnd, new int[] {384, 384}, Grouping.parse("row"), true));
        assertTrue(large.tableLookup());
        assertTrue(VectorWidth.WIDE ? large instanceof TriplesMatrix : large instanceof TwoBitMatrix);
        assertFalse(twoScales.tableLookup());
        assertTrue(PackedTernaryMatrix.of(RandomTensors.ternary(rnd, new int[] {384, 384}, Grouping.parse("row"), false)).copy().tableLookup(), "copies keep the product");
    }

    @Test
    void theMatmulEntryPointTakesTheTablesFromTheirMinimumBatch() {
        Random rnd = new Random(11);
        int rows = 40, k = 256;
        TernaryTensor t = RandomTensors.ternary(rnd, new int[] {rows, k}, Grouping.parse("row"), false);
        TwoBitMatrix m = ((TwoBitMatrix) PackedTernaryMatrix.of(t, 0, rows, PackedTernaryMatrix.CodeLayout.TWO_BIT)).withQuadTables();
        int batch = QuadLutGemm.MIN_BATCH;
        float[] x = RandomTensors.gaussian(rnd, batch * k);
        float[] viaGemm = new float[batch * rows], direct = new float[batch * rows];
        TernaryMatmul.gemm(m, x, batch, viaGemm, RandomTensors.TWO);
        QuadLutGemm.products(new PackedTernaryMatrix[] {m}, x, batch, new float[][] {direct}, new float[][] {null}, 0, Parallel.serial());
        assertArrayEquals(direct, viaGemm);
        assertTrue(TernaryMatmul.sharesTables(new PackedTernaryMatrix[] {m, m}, batch));
        assertFalse(TernaryMatmul.sharesTables(new PackedTernaryMatrix[] {m}, batch - 1));
    }

    /** Random row-scaled matrices of these heights and k inputs in the TWO_BIT layout. */
    private static PackedTernaryMatrix[] twoBit(Random rnd, int[] heights, int k) {
        PackedTernaryMatrix[] ms = new PackedTernaryMatrix[heights.length];
        for (int i = 0; i < ms.length; i++) {
            ms[i] = PackedTernaryMatrix.of(RandomTensors.ternary(rnd, new int[] {heights[i], k}, Grouping.parse("row"), false), 0, heights[i], PackedTernaryMatrix.CodeLayout.TWO_BIT);
        }
        return ms;
    }

    private static byte[] filled(int n) {
        byte[] c = new byte[n];
        Arrays.fill(c, (byte) 1);
        return c;
    }

    private static float[] filledFloats(int n) {
        float[] x = new float[n];
        Arrays.fill(x, 1f);
        return x;
    }
}
