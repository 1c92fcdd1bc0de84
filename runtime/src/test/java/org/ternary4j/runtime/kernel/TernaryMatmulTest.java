package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

/**
 * Every kernel path of every layout against a double-precision product with the dequantized
 * weights, and the int8 path bit for bit against the layout's scalar reference.
 */
class TernaryMatmulTest {

    private static final Parallel TWO = RandomTensors.TWO;
    private static final Parallel THREE = RandomTensors.THREE;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        int[][] matrices = {{1, 1}, {3, 17}, {5, 31}, {7, 4097}, {17, 130}, {4, 256}, {9, 129}, {2, 3}};
        String[] fc = {"tensor", "row", "block:1", "block:16", "block:17", "block:32", "block:128", "block:5000", "syq-pixel"};
        for (int[] m : matrices) for (String g : fc) for (boolean two : new boolean[] {false, true}) out.add(Arguments.of(m, g, two));
        // 400 and 120 inputs are LeNet's FC rows (base-3 there: whole units of 80, and a partial one)
        for (int[] m : new int[][] {{13, 400}, {6, 120}, {4, 80}}) for (String g : new String[] {"row", "block:40"}) for (boolean two : new boolean[] {false, true}) out.add(Arguments.of(m, g, two));
        // enough rows for several row panels, so 2 and 3 threads really share the work
        for (String g : new String[] {"row", "block:128", "block:100"}) for (boolean two : new boolean[] {false, true}) out.add(Arguments.of(new int[] {203, 4097}, g, two));
        // TRIPLES: two row blocks (TripleKernels.BLOCK_TILES tiles: 2048 rows, so threads share them), a last partial tile, several step blocks
        out.add(Arguments.of(new int[] {2100, 300}, "row", false));
        out.add(Arguments.of(new int[] {2100, 300}, "tensor", false));
        // whole-chunk blocks take the block kernel (scaled float accumulation per block)
        for (String g : new String[] {"block:256", "block:2048", "block:4096"}) for (boolean two : new boolean[] {false, true}) out.add(Arguments.of(new int[] {203, 4096}, g, two));
        out.add(Arguments.of(new int[] {9, 512}, "block:128", false));
        int[][] convs = {{4, 3, 3, 3}, {5, 2, 1, 1}, {3, 7, 5, 1}, {6, 17, 3, 3}};
        String[] conv = {"row", "kernel", "fiber", "syq-pixel", "syq-row", "block:8", "tensor"};
        for (int[] c : convs) for (String g : conv) for (boolean two : new boolean[] {false, true}) {
            if (g.equals("syq-row") && c.length != 4) continue;
            out.add(Arguments.of(c, g, two));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} twoScale={2}")
    @MethodSource("cases")
    void matchesScalarReferenceForEveryBatchAndThreadCount(int[] shape, String grouping, boolean twoScale) {
        Random rnd = new Random(shape.length * 31L + shape[0] * 7L + grouping.hashCode() + (twoScale ? 1 : 0));
        TernaryTensor t = RandomTensors.ternary(rnd, shape, Grouping.parse(grouping), twoScale);
        PackedTernaryMatrix twoBit = PackedTernaryMatrix.of(t, 0, shape[0], PackedTernaryMatrix.CodeLayout.TWO_BIT);
        float[] x = RandomTensors.gaussian(rnd, 5 * twoBit.cols());
        for (PackedTernaryMatrix.CodeLayout layout : PackedTernaryMatrixTest.layoutsFor(t)) {
            PackedTernaryMatrix m = PackedTernaryMatrix.of(t, 0, shape[0], layout);
            checkAgainstReference(t, m, new Random(rnd.nextLong()));
            // integer sums are exact and pads add zero: every layout gives the same bits
            assertArrayEquals(run(twoBit, x, 5, Parallel.serial(), false), run(m, x, 5, Parallel.serial(), false), "2-bit vs " + layout + ", int8");
        }
        // and the float path decodes both through stepCodes, in the same order
        PackedTernaryMatrix base3 = PackedTernaryMatrix.of(t, 0, shape[0], PackedTernaryMatrix.CodeLayout.BASE3);
        assertArrayEquals(run(twoBit, x, 5, Parallel.serial(), true), run(base3, x, 5, Parallel.serial(), true), "2-bit vs base-3, exact");
    }

    private static void checkAgainstReference(TernaryTensor t, PackedTernaryMatrix m, Random rnd) {
        int[] shape = t.shape();
        assertEquals(shape[0], m.rows());
        int rows = shape[0], k = m.cols();
        for (int r = 0; r < rows; r++) for (int i = 0; i < k; i++) assertEquals(t.codes()[r * k + i], m.code(r, i));
        float[] w = t.dequantize();
        // TRIPLES' 512-bit kernels run emulated by the JDK on a 256-bit machine (which never loads
        // that layout): there one batch on each side of DecodedGemm.MIN_BATCH, to keep the suite's time
        int[] batches = m instanceof TriplesMatrix && !VectorWidth.WIDE ? new int[] {1, 9} : new int[] {1, 3, 4, 9, 33};
        for (int batch : batches) {
            float[] x = RandomTensors.gaussian(rnd, batch * k);
            float[] xq = QuantizedActivations.roundTrip(x, k, batch);

            float[] fast = run(m, x, batch, Parallel.serial(), false);
            assertClose(reference(w, rows, k, xq, batch), fast, w, xq, rows, k, "int8 path");
            QuantizedActivations a = QuantizedActivations.of(m.layout(), x, batch, VectorWidth.WIDE, Parallel.serial());
            // integer sums give the reference's bits; the float panel product of the levels (many
            // vectors, layouts but TRIPLES) rounds its own way, held to the float bound above
            if (batch < DecodedGemm.MIN_BATCH || m instanceof TriplesMatrix) {
                // the first and last vector: the scalar reference is slow
                for (int b : new int[] {0, batch - 1}) for (int r = 0; r < rows; r++) {
                    assertEquals(m.int8Reference(r, a, b), fast[b * rows + r], "int8 path = scalar reference, vector " + b + " row " + r);
                }
            }
            assertArrayEquals(fast, run(m, x, batch, TWO, false), "int8 path, 2 threads");
            assertArrayEquals(fast, run(m, x, batch, THREE, false), "int8 path, 3 threads");
            float[] otherWidth = new float[batch * rows];
            TernaryMatmul.gemm(m, x, batch, otherWidth, Parallel.serial(), !VectorWidth.WIDE);
            assertArrayEquals(fast, otherWidth, "int8 path, 256- vs 512-bit chunk kernel");

            float[] exact = run(m, x, batch, Parallel.serial(), true);
            assertClose(reference(w, rows, k, x, batch), exact, w, x, rows, k, "float path");
            assertArrayEquals(exact, run(m, x, batch, TWO, true), "float path, 2 threads");
        }
    }

    @Test
    void int8PathErrorIsBoundedByActivationRounding() {
        Random rnd = new Random(5);
        TernaryTensor t = RandomTensors.ternary(rnd, new int[] {33, 1000}, new Grouping.Row(), false);
        PackedTernaryMatrix m = PackedTernaryMatrix.of(t);
        float[] x = RandomTensors.gaussian(rnd, 1000);
        float[] y = run(m, x, 1, Parallel.serial(), false);
        float[] w = t.dequantize();
        double[] ref = reference(w, 33, 1000, x, 1);
        float max = 0;
        for (float v : x) max = Math.max(max, Math.abs(v));
        for (int r = 0; r < 33; r++) {
            double bound = 0;
            for (int i = 0; i < 1000; i++) bound += Math.abs(w[r * 1000 + i]) * max / 127 / 2;
            assertTrue(Math.abs(y[r] - ref[r]) <= bound + 1e-4, "row " + r);
        }
    }

    static Stream<Arguments> groupingsAndLayouts() {
        return Stream.of("row", "block:8").flatMap(g -> Stream.of(PackedTernaryMatrix.CodeLayout.values())
                .filter(l -> g.equals("row") || l != PackedTernaryMatrix.CodeLayout.TRIPLES).map(l -> Arguments.of(g, l)));
    }

    static Stream<Arguments> layoutsAndPaths() {
        return Stream.of(PackedTernaryMatrix.CodeLayout.values()).flatMap(l -> Stream.of(Arguments.of(l, false), Arguments.of(l, true)));
    }

    @ParameterizedTest(name = "{0} exact={1}")
    @MethodSource("layoutsAndPaths")
    void nonFiniteActivationsPropagateThroughNonZeroWeightsOnly(PackedTernaryMatrix.CodeLayout layout, boolean exact) {
        byte[] codes = {1, 0, -1, 0, 0, 1, 1, 1};
        TernaryTensor t = new TernaryTensor(new int[] {2, 4}, new Grouping.Row(), "test", codes, new float[] {1f, 2f}, null);
        PackedTernaryMatrix m = PackedTernaryMatrix.of(t, 0, 2, layout);
        float[] x = {Float.NaN, 1f, 2f, 3f, 1f, 1f, 1f, Float.POSITIVE_INFINITY};
        float[] y = run(m, x, 2, Parallel.serial(), exact);
        assertTrue(Float.isNaN(y[0]), "row 0 uses the NaN input");
        assertEquals(2f * (1f + 2f + 3f), y[1], 1e-6f, "row 1 skips input 0, whose weight is zero");
        assertEquals(0f, y[2], "the infinite input has a zero weight in row 0");
        assertEquals(Float.POSITIVE_INFINITY, y[3]);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("groupingsAndLayouts")
    void aNonFiniteVectorAmongManyIsComputedExactlyAndLeavesTheOthersAlone(String grouping, PackedTernaryMatrix.CodeLayout layout) {
        Random rnd = new Random(17);
        int rows = 40, k = 70, batch = 12;
        TernaryTensor t = RandomTensors.ternary(rnd, new int[] {rows, k}, Grouping.parse(grouping), !grouping.equals("row"));
        PackedTernaryMatrix m = PackedTernaryMatrix.of(t, 0, rows, layout);
        float[] x = RandomTensors.gaussian(rnd, batch * k);
        float[] clean = run(m, x, batch, Parallel.serial(), false);
        x[3 * k + 5] = Float.NaN;
        x[7 * k + 69] = Float.NEGATIVE_INFINITY;
        float[] y = run(m, x, batch, Parallel.serial(), false);
        for (int b = 0; b < batch; b++) {
            float[] one = run(m, java.util.Arrays.copyOfRange(x, b * k, (b + 1) * k), 1, Parallel.serial(), b == 3 || b == 7);
            for (int r = 0; r < rows; r++) {
                float expected = b == 3 || b == 7 ? one[r] : clean[b * rows + r];
                assertEquals(expected, y[b * rows + r], "vector " + b + " row " + r);
            }
        }
        assertTrue(Float.isNaN(y[3 * rows]) || Float.isNaN(y[3 * rows + 1]) || Float.isNaN(y[3 * rows + 2]), "the NaN reaches rows that use input 5");
    }

    @Test
    void zeroActivationsAndAllZeroCodesGiveZero() {
        TernaryTensor t = new TernaryTensor(new int[] {3, 5}, new Grouping.Row(), "test", new byte[15], new float[3], null);
        float[] y = run(PackedTernaryMatrix.of(t), new float[] {1, 2, 3, 4, 5}, 1, Parallel.serial(), false);
        assertArrayEquals(new float[3], y);
        TernaryTensor ones = new TernaryTensor(new int[] {1, 5}, new Grouping.Row(), "test", new byte[] {1, 1, 1, 1, 1}, new float[] {1}, null);
        assertArrayEquals(new float[1], run(PackedTernaryMatrix.of(ones), new float[5], 1, Parallel.serial(), false));
    }

    static float[] run(PackedTernaryMatrix m, float[] x, int batch, Parallel par, boolean exact) {
        float[] y = new float[batch * m.rows()];
        if (exact) TernaryMatmul.gemmExact(m, x, batch, y, par);
        else if (batch == 1) TernaryMatmul.gemv(m, x, y, par);
        else TernaryMatmul.gemm(m, x, batch, y, par);
        return y;
    }

    static double[] reference(float[] w, int rows, int k, float[] x, int batch) {
        double[] y = new double[batch * rows];
        for (int b = 0; b < batch; b++) for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int i = 0; i < k; i++) s += (double) w[r * k + i] * x[b * k + i];
            y[b * rows + r] = s;
        }
        return y;
    }

    static void assertClose(double[] ref, float[] got, float[] w, float[] x, int rows, int k, String what) {
        int batch = ref.length / Math.max(1, rows);
        for (int b = 0; b < batch; b++) for (int r = 0; r < rows; r++) {
            double mag = 0;
            for (int i = 0; i < k; i++) mag += Math.abs((double) w[r * k + i] * x[b * k + i]);
            double err = Math.abs(ref[b * rows + r] - got[b * rows + r]);
            // float accumulation over k terms: error grows like k·ulp
            assertTrue(err <= 1.2e-7 * (k + 8) * mag + 1e-30, what + ": batch " + b + " row " + r + " expected " + ref[b * rows + r] + " got " + got[b * rows + r]);
        }
    }
}
