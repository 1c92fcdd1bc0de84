package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;

class GroupingBudgetTest {
    private static GroupingBudget.Candidate c(int layer, String g, long params, double bits, double err) {
        return new GroupingBudget.Candidate(layer, "w" + layer, g, params, bits, err);
    }

    private static final List<List<GroupingBudget.Candidate>> LAYERS = List.of(
            List.of(c(0, "row", 100, 1.7, 0.10), c(0, "kernel", 100, 2.9, 0.02), c(0, "block:64", 100, 2.2, 0.08)),
            List.of(c(1, "row", 300, 1.7, 0.05), c(1, "block:32", 300, 2.6, 0.03)));

    @Test
    void tightBudgetKeepsTheCheapestChoices() {
        GroupingBudget.Choice ch = GroupingBudget.choose(LAYERS, 1.0);
        assertEquals("row", ch.groupings().get("w0"));
        assertEquals("row", ch.groupings().get("w1"));
        assertEquals(1.7, ch.bitsPerWeight(), 1e-12);
    }

    @Test
    void unlimitedBudgetReachesTheLeastErrorPerLayer() {
        GroupingBudget.Choice ch = GroupingBudget.choose(LAYERS, 100);
        assertEquals("kernel", ch.groupings().get("w0"));
        assertEquals("block:32", ch.groupings().get("w1"));
    }

    @Test
    void staysWithinTheBudgetAndSpendsWhereErrorFallsFastest() {
        // Brute force over all 6 combinations: the choice is within budget, and no affordable
        // single-layer change lowers the error without exceeding it.
        double budget = 2.05;
        GroupingBudget.Choice ch = GroupingBudget.choose(LAYERS, budget);
        assertTrue(ch.bitsPerWeight() <= budget + 1e-12);
        // w0 → kernel costs 120 bits for 0.08 error; w1 → block:32 costs 270 bits for 0.02: kernel first.
        assertEquals("kernel", ch.groupings().get("w0"));
        assertEquals("row", ch.groupings().get("w1"));
        assertEquals((100 * 2.9 + 300 * 1.7) / 400, ch.bitsPerWeight(), 1e-12);
    }

    @Test
    void bitsCountCodesAndFp32Scales() {
        // 16×150 conv, kernel grouping: 96 groups × 2 scales × 32 bits over 2400 weights, plus base-3 codes.
        int[] shape = {16, 6, 5, 5};
        double expected = (Packing.BASE3.packedBytes(2400) * 8.0 + 96 * 2 * 32.0) / 2400;
        assertEquals(expected, GroupingBudget.bits(shape, new Grouping.Kernel(), true, Packing.BASE3), 1e-12);
        assertEquals(List.of(new Grouping.Row(), new Grouping.Kernel(), new Grouping.Block(64), new Grouping.Block(32), new Grouping.Block(16)),
                GroupingBudget.candidates(shape, new Grouping.Row()));
    }
}
