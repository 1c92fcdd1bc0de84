package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

/**
 * The panel products for many activation vectors: the int8 path of TRIPLES matrices bit for bit
 * against the layout's scalar int8 reference (and the exact reference for a vector with NaN),
 * the exact path against a double-precision product, both for one and three threads.
 */
class DecodedGemmTest {

    @ParameterizedTest(name = "{0} vectors")
    @ValueSource(ints = {8, 13, 40})
    void triplesInt8MatchesTheScalarReference(int batch) {
        Assumptions.assumeTrue(DecodedGemm.TRIPLES_PANELS, "TRIPLES panels need 512-bit vectors");
        Random rnd = new Random(batch);
        // 70 rows: two whole tiles and a partial one; 300 inputs: a partial last nine
        TernaryTensor t = RandomTensors.ternary(rnd, new int[] {70, 300}, Grouping.parse("row"), false);
        PackedTernaryMatrix m = PackedTernaryMatrix.of(t, 0, 70, PackedTernaryMatrix.CodeLayout.TRIPLES);
        float[] x = RandomTensors.gaussian(rnd, batch * 300);
        java.util.Arrays.fill(x, 300, 600, 0f); // an all-zero vector
        x[2 * 300 + 17] = Float.NaN;
        float[] one = new float[batch * 70], three = new float[batch * 70];
        TernaryMatmul.gemm(m, x, batch, one, Parallel.serial());
        TernaryMatmul.gemm(m, x, batch, three, RandomTensors.THREE);
        assertArrayEquals(one, three);
        QuantizedActivations a = QuantizedActivations.of(m.layout(), x, batch, true, Parallel.serial());
        for (int b = 0; b < batch; b++) {
            float[] xp = new float[m.layout().paddedK()];
            m.layout().scatter(x, b * 300, xp, 0);
            for (int r = 0; r < 70; r++) {
                float expected = a.finite[b] ? m.int8Reference(r, a, b) : m.exactReference(r, xp, 0);
                assertEquals(expected, one[b * 70 + r], "vector " + b + " row " + r);
            }
        }
    }

    @ParameterizedTest(name = "{0} vectors")
    @ValueSource(ints = {8, 13, 40, 100}) // 100: three threads take their own rows (PanelGemm.ROWS_PER_THREAD)
    void exactPathMatchesADoubleProduct(int batch) {
        Random rnd = new Random(100 + batch);
        TernaryTensor t = RandomTensors.ternary(rnd, new int[] {70, 300}, Grouping.parse("row"), false);
        for (PackedTernaryMatrix.CodeLayout layout : PackedTernaryMatrixTest.layoutsFor(t)) {
            PackedTernaryMatrix m = PackedTernaryMatrix.of(t, 0, 70, layout);
            float[] x = RandomTensors.gaussian(rnd, batch * 300);
            float[] one = new float[batch * 70], three = new float[batch * 70];
            TernaryMatmul.gemmExact(m, x, batch, one, Parallel.serial());
            TernaryMatmul.gemmExact(m, x, batch, three, RandomTensors.THREE);
            assertArrayEquals(one, three, layout.toString());
            for (int b = 0; b < batch; b++) {
                for (int r = 0; r < 70; r++) {
                    double s = 0;
                    for (int i = 0; i < 300; i++) s += (double) m.code(r, i) * t.scalePos()[r] * x[b * 300 + i];
                    assertEquals(s, one[b * 70 + r], 1e-4 * (1 + Math.abs(s)), layout + " vector " + b + " row " + r);
                }
            }
        }
    }

    /**
     * A few activation vectors with long rows of weights: against a double-precision product of
     * the codes and scales, the same bits on one, two and three threads, and a fused bias the
     * product's bits plus the bias.
     */
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
    void fewVectorsOfLongRowsMatchADoubleProductOnAnyThreadCount(int rows, int k, int batch, String grouping) {
        assertTrue(batch <= DecodedGemm.FEW);
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

    /**
     * From {@link DecodedGemm#MIN_FEW} to {@link DecodedGemm#FEW} vectors the weight rows are the product's rows and the vectors
     * its panels (no gathered weight panels): each output is still the FMA chain in input order,
     * so a few vectors give the bits that the same vectors get among more than FEW, with and
     * without a bias, on one and three threads.
     */
    @ParameterizedTest(name = "{0} vectors")
    @ValueSource(ints = {6, 7, 8, 16, 24, 40, 64, 128})
    void fewVectorsGiveTheBitsTheyGetAmongMany(int few) {
        Random rnd = new Random(400 + few);
        int many = DecodedGemm.FEW + 6;
        TernaryTensor t = RandomTensors.ternary(rnd, new int[] {70, 300}, Grouping.parse("row"), false);
        float[] bias = RandomTensors.gaussian(rnd, 70), x = RandomTensors.gaussian(rnd, many * 300);
        for (PackedTernaryMatrix.CodeLayout layout : PackedTernaryMatrixTest.layoutsFor(t)) {
            PackedTernaryMatrix m = PackedTernaryMatrix.of(t, 0, 70, layout);
            for (float[] b : new float[][] {null, bias}) {
                float[] all = new float[many * 70];
                TernaryMatmul.gemmExact(m, x, many, all, b, Parallel.serial());
                for (Parallel par : new Parallel[] {Parallel.serial(), RandomTensors.THREE}) {
                    float[] some = new float[few * 70];
                    TernaryMatmul.gemmExact(m, java.util.Arrays.copyOf(x, few * 300), few, some, b, par);
                    assertArrayEquals(java.util.Arrays.copyOf(all, few * 70), some, layout + (b == null ? "" : " with a bias") + ", " + par.threads() + " thread(s)");
                }
            }
        }
    }

    /**
     * A fused bias gives the bits of the product followed by the Add's float sums, on the panel
     * path (8 or more vectors, bias added per panel by whichever thread made it) and on the
     * per-vector kernels (fewer vectors, and a vector with an infinity), for one and three threads.
     */
    @ParameterizedTest(name = "{0} vectors")
    @ValueSource(ints = {3, 8, 40, 100})
    void fusedBiasIsTheProductThenTheAdd(int batch) {
        Random rnd = new Random(300 + batch);
        TernaryTensor t = RandomTensors.ternary(rnd, new int[] {70, 300}, Grouping.parse("row"), false);
        float[] bias = RandomTensors.gaussian(rnd, 70);
        for (PackedTernaryMatrix.CodeLayout layout : PackedTernaryMatrixTest.layoutsFor(t)) {
            PackedTernaryMatrix m = PackedTernaryMatrix.of(t, 0, 70, layout);
            for (boolean infinite : new boolean[] {false, true}) {
                float[] x = RandomTensors.gaussian(rnd, batch * 300);
                if (infinite) x[300 * (batch - 1) + 5] = Float.POSITIVE_INFINITY;
                float[] plain = new float[batch * 70];
                TernaryMatmul.gemmExact(m, x, batch, plain, Parallel.serial());
                for (int i = 0; i < plain.length; i++) plain[i] = plain[i] + bias[i % 70];
                for (Parallel par : new Parallel[] {Parallel.serial(), RandomTensors.THREE}) {
                    float[] fused = new float[batch * 70];
                    TernaryMatmul.gemmExact(m, x, batch, fused, bias, par);
                    assertArrayEquals(plain, fused, layout + (infinite ? " with an infinity" : "") + ", " + par.threads() + " thread(s)");
                }
            }
        }
    }

    /**
     * Small scale blocks pad every segment to a whole step; their panels hold the logical inputs only, and each output is
     * still the float FMA chain over the padded inputs in order (whose pad terms 0·0 change nothing), bit for bit.
     */
    @ParameterizedTest(name = "{0} vectors")
    @ValueSource(ints = {8, 13, 40, 100})
    void smallBlocksMatchTheFmaChainOverThePaddedInputs(int batch) {
        Random rnd = new Random(200 + batch);
        int compacted = 0;
        for (String g : new String[] {"block:4", "block:20", "row"}) {
            TernaryTensor t = RandomTensors.ternary(rnd, new int[] {70, 300}, Grouping.parse(g), false);
            for (PackedTernaryMatrix.CodeLayout layout : PackedTernaryMatrixTest.layoutsFor(t)) {
                PackedTernaryMatrix m = PackedTernaryMatrix.of(t, 0, 70, layout);
                ReductionLayout l = m.layout();
                if (l.toPadded() != null && l.keepsOrder()) compacted++;
                float[] x = RandomTensors.gaussian(rnd, batch * 300);
                float[] one = new float[batch * 70], three = new float[batch * 70];
                TernaryMatmul.gemmExact(m, x, batch, one, Parallel.serial());
                TernaryMatmul.gemmExact(m, x, batch, three, RandomTensors.THREE);
                assertArrayEquals(one, three, g + " " + layout);
                int kp = l.paddedK();
                float[] w = DecodedGemm.decoded(m), xp = new float[kp];
                for (int b = 0; b < batch; b++) {
                    java.util.Arrays.fill(xp, 0f);
                    l.scatter(x, b * 300, xp, 0);
                    for (int r = 0; r < 70; r++) {
                        float s = 0f;
                        for (int p = 0; p < kp; p++) s = Math.fma(w[r * kp + p], xp[p], s);
                        assertEquals(s, one[b * 70 + r], g + " " + layout + " vector " + b + " row " + r);
                    }
                }
            }
        }
        assertTrue(compacted > 0, "no layout with padded segments in logical order was exercised");
    }

    @org.junit.jupiter.api.Test
    void usedStepsDecodeToTheCodeTimesItsScale() {
        Random rnd = new Random(7);
        int checked = 0;
        for (String g : new String[] {"row", "block:20"}) {
            TernaryTensor t = RandomTensors.ternary(rnd, new int[] {9, 40}, Grouping.parse(g), false);
            for (PackedTernaryMatrix.CodeLayout layout : PackedTernaryMatrixTest.layoutsFor(t)) {
                PackedTernaryMatrix m = PackedTernaryMatrix.of(t, 0, 9, layout);
                if (m.layout().toPadded() != null) continue;
                checked++;
                int steps = FloatKernels.usedSteps(m.layout()), ld = steps * ReductionLayout.STEP + 3;
                float[] w = DecodedGemm.decodedSteps(m, steps, ld), padded = DecodedGemm.decoded(m);
                for (int r = 0; r < 9; r++) {
                    for (int i = 0; i < 40; i++) {
                        float expected = m.code(r, i) == 0 ? 0f : padded[r * m.layout().paddedK() + i];
                        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(w[r * ld + i]), g + " " + layout + " row " + r + " input " + i);
                        assertEquals(m.code(r, i) != 0, w[r * ld + i] != 0f, g + " " + layout + " row " + r + " input " + i);
                    }
                }
            }
        }
        assertEquals(true, checked > 0, "no layout without a permutation was decoded");
    }

    /** A base-3 row decoded (the unit-at-a-time decoder on 512-bit machines): code·scale at each input's padded place, +0 at the pads. */
    @org.junit.jupiter.api.Test
    void base3RowsDecodeToTheirCodesTimesTheirScale() {
        Random rnd = new Random(7);
        TernaryTensor t = RandomTensors.ternary(rnd, new int[] {9, 1568}, Grouping.parse("row"), false);
        PackedTernaryMatrix m = PackedTernaryMatrix.of(t, 0, 9, PackedTernaryMatrix.CodeLayout.BASE3);
        int kp = m.layout().paddedK();
        for (int r = 0; r < 9; r++) {
            float[] w = new float[kp + 3];
            java.util.Arrays.fill(w, Float.NaN);
            DecodedGemm.decode(m, r, w, 3);
            float[] expected = new float[kp];
            for (int i = 0; i < 1568; i++) expected[m.layout().padded(i)] = m.code(r, i) == 0 ? 0f : m.code(r, i) * t.scalePos()[r];
            assertArrayEquals(expected, java.util.Arrays.copyOfRange(w, 3, kp + 3), "row " + r);
        }
    }

    /**
     * Once compiled, the exact product of many vectors allocates nothing per call in any layout, by
     * gathered panels or with few vectors, on this machine's vectors: a kernel written for 512-bit species runs
     * on a 256-bit machine through the JDK's Java fallback, which boxes every vector (VGG's fully
     * connected layer at a batch of 16 took 6.5 ms that way on a Zen 3, against 0.24 ms).
     */
    @ParameterizedTest(name = "{0} vectors")
    @ValueSource(ints = {8, 200})
    void theExactPathAllocatesNothingOnceCompiled(int batch) {
        Random rnd = new Random(7);
        int k = 1100; // eight vectors take the few-vector path, two hundred the gathered panels
        TernaryTensor t = RandomTensors.ternary(rnd, new int[] {48, k}, Grouping.parse("row"), false);
        float[] x = RandomTensors.gaussian(rnd, batch * k), y = new float[batch * 48];
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (PackedTernaryMatrix.CodeLayout layout : PackedTernaryMatrixTest.layoutsFor(t)) {
            if (layout == PackedTernaryMatrix.CodeLayout.TRIPLES && !VectorWidth.WIDE) continue; // a layout only 512-bit machines load
            PackedTernaryMatrix m = PackedTernaryMatrix.of(t, 0, 48, layout);
            long least = Long.MAX_VALUE;
            // the least over blocks of calls: a block that still runs uncompiled Vector API code allocates boxes
            for (int block = 0; block < 400 && least > 0; block++) {
                long a0 = mx.getCurrentThreadAllocatedBytes();
                for (int r = 0; r < 20; r++) TernaryMatmul.gemmExact(m, x, batch, y, Parallel.serial());
                least = Math.min(least, (mx.getCurrentThreadAllocatedBytes() - a0) / 20);
            }
            // a call's small objects are fine (panel records, and the masks handed to the panel blocks,
            // boxed where C2 does not inline a block: 1.9 KB a call after the rest of the suite had run);
            // vectors boxed inside the loops came to megabytes
            assertTrue(least < 16 << 10, layout + ": a call allocated " + least + " bytes");
        }
    }
}
