package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.runtime.kernel.PackedTernaryMatrix.CodeLayout;

/** The layouts' packing and decoding, their resident sizes, and the automatic choice among them. */
class PackedTernaryMatrixTest {

    /** Every layout that can hold t (TRIPLES only one scale per row). */
    static List<CodeLayout> layoutsFor(TernaryTensor t) {
        return Arrays.stream(CodeLayout.values()).filter(l -> PackedTernaryMatrix.holds(l, t)).toList();
    }

    @Test
    void stepCodesAreTheCodesOfEachPaddedInputWithPadsAsZero() {
        Random rnd = new Random(5);
        for (int[] shape : new int[][] {{5, 37}, {6, 4, 3, 3}, {3, 300}}) {
            for (String g : new String[] {shape.length == 4 ? "kernel" : "block:20", "row"}) {
                TernaryTensor t = RandomTensors.ternary(rnd, shape, Grouping.parse(g), false);
                for (CodeLayout layout : layoutsFor(t)) checkStepCodes(t, PackedTernaryMatrix.of(t, 0, shape[0], layout));
            }
        }
    }

    private static void checkStepCodes(TernaryTensor t, PackedTernaryMatrix m) {
        ReductionLayout l = m.layout();
        int[] logicalAt = new int[l.paddedK()];
        Arrays.fill(logicalAt, -1);
        for (int i = 0; i < l.k(); i++) logicalAt[l.padded(i)] = i;
        short[] u = new short[16];
        for (int r = 0; r < m.rows(); r++) {
            for (int step = 0; step < l.paddedK() / 16; step++) {
                m.stepCodes(r, step).intoArray(u, 0);
                for (int j = 0; j < 16; j++) {
                    int i = logicalAt[step * 16 + j];
                    int expected = i < 0 ? 0 : t.codes()[r * l.k() + i];
                    assertEquals(expected, u[j] - 1, m.codeLayout() + " row " + r + " padded input " + (step * 16 + j));
                    assertEquals(u[j], m.paddedCode(r, step * 16 + j), m.codeLayout() + " scalar decoding");
                }
            }
        }
    }

    @Test
    void aCopyOwnsItsCodesAndComputesTheSame() {
        TernaryTensor t = RandomTensors.ternary(new Random(8), new int[] {9, 100}, new Grouping.Row(), false);
        float[] x = RandomTensors.gaussian(new Random(9), 100);
        for (CodeLayout layout : layoutsFor(t)) {
            PackedTernaryMatrix m = PackedTernaryMatrix.of(t, 0, 9, layout), copy = m.copy();
            assertNotEquals(m, copy);
            assertEquals(layout, copy.codeLayout());
            assertEquals(m.residentBytes(), copy.residentBytes());
            assertArrayEquals(TernaryMatmulTest.run(m, x, 1, Parallel.serial(), false), TernaryMatmulTest.run(copy, x, 1, Parallel.serial(), false), layout.name());
        }
    }

    @Test
    void rowGroupedLargeMatrixStaysUnderTwoPointOneBitsPerWeight() {
        int rows = 1024, k = 4096;
        TernaryTensor t = RandomTensors.ternary(new Random(1), new int[] {rows, k}, new Grouping.Row(), false);
        double bits = PackedTernaryMatrix.of(t).residentBytes() * 8.0 / ((long) rows * k);
        assertTrue(bits <= 2.1, "bits per weight " + bits);
        TernaryTensor blocks = RandomTensors.ternary(new Random(2), new int[] {rows, k}, new Grouping.Block(256), true);
        double blockBits = PackedTernaryMatrix.of(blocks).residentBytes() * 8.0 / ((long) rows * k);
        assertTrue(blockBits <= 2.3, "block:256 two-scale bits per weight " + blockBits);
    }

    @Test
    void automaticLayoutTakesTriplesWhereItIsSmallerElseBase3OnlyWhereTwoBitExceedsTheBudget() {
        TernaryTensor large = RandomTensors.ternary(new Random(3), new int[] {256, 4096}, new Grouping.Row(), false);
        CodeLayout fast = VectorWidth.WIDE ? CodeLayout.TRIPLES : CodeLayout.TWO_BIT;
        assertEquals(fast, PackedTernaryMatrix.of(large).codeLayout());
        assertTrue(PackedTernaryMatrix.of(large).residentBytes() * 8.0 / (256 * 4096) <= 2.1);
        // two scales, or several groups per row: TRIPLES cannot hold them
        TernaryTensor twoScale = RandomTensors.ternary(new Random(5), new int[] {256, 4096}, new Grouping.Row(), true);
        assertEquals(CodeLayout.TWO_BIT, PackedTernaryMatrix.of(twoScale).codeLayout());
        TernaryTensor blocks = RandomTensors.ternary(new Random(6), new int[] {256, 4096}, new Grouping.Block(256), false);
        assertNotEquals(CodeLayout.TRIPLES, PackedTernaryMatrix.of(blocks).codeLayout());
        var e = assertThrows(IllegalArgumentException.class, () -> PackedTernaryMatrix.of(blocks, 0, 256, CodeLayout.TRIPLES));
        assertEquals("the TRIPLES layout needs one scale per row (one group per row, one scale per group)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PackedTernaryMatrix.of(twoScale, 0, 256, CodeLayout.TRIPLES));
        // LeNet's fc1: 400 inputs pad to 512 in 2-bit chunks (2.6 bits) but fit 5 base-3 units exactly
        // (1.7 bits); TRIPLES, ⌈400 / 9⌉ = 45 shorts per row of 128 padded rows (2.0 bits), would be larger
        TernaryTensor fc1 = RandomTensors.ternary(new Random(4), new int[] {120, 400}, new Grouping.Row(), false);
        PackedTernaryMatrix m = PackedTernaryMatrix.of(fc1);
        assertEquals(CodeLayout.BASE3, m.codeLayout());
        assertEquals(120 * 80 + 120 * 4 + 8, m.residentBytes(), "80 bytes a row (five units of 16), a scale a row, two segment bounds");
        assertEquals(128 * 45 * 2 + 120 * 4 + 8, PackedTernaryMatrix.of(fc1, 0, 120, CodeLayout.TRIPLES).residentBytes());
        assertEquals(120 * 128 + 120 * 4 + 8, PackedTernaryMatrix.of(fc1, 0, 120, CodeLayout.TWO_BIT).residentBytes(), "512 padded inputs in 128 bytes");
        // LeNet's fc2 (84 × 120): TRIPLES (96 padded rows of 14 shorts) ties the size rule's pick at 3032 bytes; a tie keeps that pick
        TernaryTensor fc2 = RandomTensors.ternary(new Random(7), new int[] {84, 120}, new Grouping.Row(), false);
        assertEquals(3032, PackedTernaryMatrix.of(fc2, 0, 84, CodeLayout.TRIPLES).residentBytes());
        assertEquals(3032, PackedTernaryMatrix.of(fc2, 0, 84).residentBytes());
        assertEquals(PackedTernaryMatrix.of(fc2, 0, 84).codeLayout(), PackedTernaryMatrix.of(fc2).codeLayout());
        // convolutions never take TRIPLES (their pixel kernels read 16 codes of a row at a time)
        assertNotEquals(CodeLayout.TRIPLES, PackedTernaryMatrix.of(large, 0, 256).codeLayout());
    }

    /**
     * FP16-kept scales give the bits the FP32 path gives on the same values: the oracle is the same
     * rows packed together with one more row whose scale is no FP16 value (so they stay FP32).
     */
    @Test
    void halfScalesComputeTheBitsOfFloatScalesWithTheSameValues() {
        for (String g : new String[] {"row", "block:64"}) {
            for (boolean two : new boolean[] {false, true}) {
                int rows = 37, k = 300;
                Random rnd = new Random(31);
                TernaryTensor t = RandomTensors.ternary(rnd, new int[] {rows, k}, Grouping.parse(g), two).withHalfScales();
                int per = t.groupCount() / rows;
                byte[] codes = Arrays.copyOf(t.codes(), (rows + 1) * k);
                for (int i = rows * k; i < codes.length; i++) codes[i] = (byte) (rnd.nextInt(3) - 1);
                float[] pos = Arrays.copyOf(t.scalePos(), t.groupCount() + per), neg = two ? Arrays.copyOf(t.scaleNeg(), pos.length) : null;
                Arrays.fill(pos, t.groupCount(), pos.length, 0.1f);
                if (two) Arrays.fill(neg, t.groupCount(), neg.length, 0.3f);
                TernaryTensor f = new TernaryTensor(new int[] {rows + 1, k}, t.grouping(), "test", codes, pos, neg);
                for (CodeLayout layout : layoutsFor(t)) {
                    PackedTernaryMatrix mh = PackedTernaryMatrix.of(t, 0, rows, layout), mf = PackedTernaryMatrix.of(f, 0, rows + 1, layout);
                    String where = g + (two ? " two-scale " : " ") + layout;
                    assertTrue(mh.halfScales(), where);
                    assertTrue(!mf.halfScales(), where);
                    assertEquals((long) rows * mh.layout().segments() * (two ? 2 : 1) * 2, mh.weightBytes().scales(), where);
                    for (int batch : new int[] {1, 5}) {
                        float[] x = RandomTensors.gaussian(new Random(batch), batch * k);
                        float[] yh = new float[batch * rows], yf = new float[batch * (rows + 1)];
                        float[] qh = new float[batch * rows], qf = new float[batch * (rows + 1)];
                        TernaryMatmul.gemmExact(mh, x, batch, yh, RandomTensors.TWO);
                        TernaryMatmul.gemmExact(mf, x, batch, yf, RandomTensors.TWO);
                        TernaryMatmul.gemm(mh, x, batch, qh, RandomTensors.TWO);
                        TernaryMatmul.gemm(mf, x, batch, qf, RandomTensors.TWO);
                        for (int b = 0; b < batch; b++) {
                            for (int r = 0; r < rows; r++) {
                                assertEquals(yf[b * (rows + 1) + r], yh[b * rows + r], 0f, where + " exact, batch " + batch + " row " + r);
                                assertEquals(qf[b * (rows + 1) + r], qh[b * rows + r], 0f, where + " int8, batch " + batch + " row " + r);
                            }
                        }
                    }
                }
            }
        }
    }
}
