package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;

class GroupingBudgetTest {
    private static GroupingBudget.Candidate c(int layer, String choice, long params, long bits, double err) {
        return new GroupingBudget.Candidate(layer, "w" + layer, choice, params, bits, err, err);
    }

    private static final List<List<GroupingBudget.Candidate>> LAYERS = List.of(
            List.of(c(0, "row", 100, 170, 0.10), c(0, "kernel", 100, 290, 0.02), c(0, "block:64", 100, 220, 0.08), c(0, "int8", 100, 832, 0.001)),
            List.of(c(1, "row", 300, 510, 0.05), c(1, "block:32", 300, 780, 0.03), c(1, "fp16", 300, 4800, 0.0)));
    private static final List<Double> SENSITIVITY = List.of(0.1, 0.05);

    @Test
    void tightBudgetKeepsTheCheapestChoices() {
        GroupingBudget.Choice ch = GroupingBudget.choose(LAYERS, SENSITIVITY, List.of(), 1.0);
        assertEquals(Map.of("w0", "row", "w1", "row"), ch.groupings());
        assertEquals(680 / 400.0, ch.bitsPerWeight(), 1e-12);
        assertTrue(ch.decisions().get("w0").why().contains("below the least storage"), ch.decisions().get("w0").why());
    }

    @Test
    void unlimitedBudgetReachesTheLeastErrorPerLayer() {
        GroupingBudget.Choice ch = GroupingBudget.choose(LAYERS, SENSITIVITY, List.of(), 100);
        assertEquals(Map.of("w0", KeptTensor.Precision.INT8, "w1", KeptTensor.Precision.FP16), ch.kept());
        assertTrue(ch.groupings().isEmpty());
    }

    @Test
    void budgetArithmeticCountsFixedLayersAtTheirWidth() {
        // 400 candidate weights + 100 FP32 weights (3200 bits): budget 8 bits/weight over 500 weights = 4000 bits,
        // 800 of them left for the candidates: row + block:32 (170 + 510 = 680 ≤ 800? no: 170 + 780 = 950 > 800).
        // Affordable: (row, row) 680, (block:64, row) 730, (kernel, row) 800 → kernel + row, error 0.07.
        List<GroupingBudget.Fixed> fixed = List.of(new GroupingBudget.Fixed("fc", 100, 3200, "excluded"));
        GroupingBudget.Choice ch = GroupingBudget.choose(LAYERS, SENSITIVITY, fixed, 8.0);
        assertEquals(Map.of("w0", "kernel", "w1", "row"), ch.groupings());
        assertEquals((290 + 510 + 3200) / 500.0, ch.bitsPerWeight(), 1e-12);
        assertEquals(fixed, ch.fixed());
    }

    @Test
    void choiceIsTheBruteForceOptimum() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int trial = 0; trial < 200; trial++) {
            int layers = 1 + rnd.nextInt(4);
            List<List<GroupingBudget.Candidate>> perLayer = new ArrayList<>();
            List<Double> sens = new ArrayList<>();
            long params = 0;
            for (int l = 0; l < layers; l++) {
                long n = 10 + rnd.nextInt(200);
                params += n;
                List<GroupingBudget.Candidate> cs = new ArrayList<>();
                int k = 1 + rnd.nextInt(5);
                for (int i = 0; i < k; i++) cs.add(c(l, "g" + i, n, n + rnd.nextInt((int) (16 * n)), rnd.nextDouble()));
                perLayer.add(cs);
                sens.add(1.0);
            }
            double budget = 1 + rnd.nextDouble() * 16;
            GroupingBudget.Choice ch = GroupingBudget.choose(perLayer, sens, List.of(), budget);
            double[] best = {Double.POSITIVE_INFINITY};
            long limit = (long) Math.floor(budget * params + 1e-9);
            enumerate(perLayer, 0, 0, 0, limit, best);
            if (best[0] == Double.POSITIVE_INFINITY) continue; // nothing fits: covered by tightBudgetKeepsTheCheapestChoices
            double got = 0;
            long bits = 0;
            for (GroupingBudget.Decision d : ch.decisions().values()) {
                got += d.chosen().error();
                bits += d.chosen().bits();
            }
            assertTrue(bits <= limit, "trial " + trial + ": " + bits + " bits over the limit " + limit);
            assertEquals(best[0], got, 1e-12, "trial " + trial);
        }
    }

    private static void enumerate(List<List<GroupingBudget.Candidate>> perLayer, int l, long bits, double err, long limit, double[] best) {
        if (bits > limit) return;
        if (l == perLayer.size()) {
            best[0] = Math.min(best[0], err);
            return;
        }
        for (GroupingBudget.Candidate c : perLayer.get(l)) enumerate(perLayer, l + 1, bits + c.bits(), err + c.error(), limit, best);
    }

    @Test
    void largeCapacitiesUseCoarserUnitsAndStayWithinTheBudget() {
        assertEquals(1, GroupingBudget.unit(200_000));
        assertEquals(2, GroupingBudget.unit(200_001));
        List<List<GroupingBudget.Candidate>> big = List.of(
                List.of(c(0, "row", 1_000_000, 1_700_001, 0.1), c(0, "int8", 1_000_000, 8_000_000, 0.001)),
                List.of(c(1, "row", 1_000_000, 1_700_001, 0.2), c(1, "int8", 1_000_000, 8_000_000, 0.002)));
        GroupingBudget.Choice ch = GroupingBudget.choose(big, List.of(1.0, 1.0), List.of(), 4.9);
        // 9.8 M bits in units of 49 bits: one layer fits at INT8 (9 700 001 bits, 197 960 units rounded up), the one whose error falls most.
        assertEquals(Map.of("w1", KeptTensor.Precision.INT8), ch.kept());
        assertTrue(ch.bitsPerWeight() <= 4.9);
    }

    @Test
    void storedBitsCountCodesAndScalesAtTheirStoredWidth() {
        // 16×150 conv, kernel grouping: 96 groups × 2 scales × 32 bits (16 as FP16) over 2400 weights, plus base-3 codes.
        int[] shape = {16, 6, 5, 5};
        long codes = Packing.BASE3.packedBytes(2400) * 8;
        assertEquals(codes + 96 * 2 * 32, GroupingBudget.storedBits(shape, new Grouping.Kernel(), true, Packing.BASE3, false));
        assertEquals((codes + 96 * 2 * 32) / 2400.0, GroupingBudget.bits(shape, new Grouping.Kernel(), true, Packing.BASE3, false), 1e-12);
        assertEquals(codes + 96 * 2 * 16, GroupingBudget.storedBits(shape, new Grouping.Kernel(), true, Packing.BASE3, true));
        assertEquals(8 * 2400 + 16 * 32, GroupingBudget.storedBits(shape, KeptTensor.Precision.INT8));
        assertEquals(16 * 2400, GroupingBudget.storedBits(shape, KeptTensor.Precision.FP16));
        assertEquals(List.of(new Grouping.Row(), new Grouping.Kernel(), new Grouping.Block(64), new Grouping.Block(32), new Grouping.Block(16)),
                GroupingBudget.candidates(shape, new Grouping.Row()));
    }
}
