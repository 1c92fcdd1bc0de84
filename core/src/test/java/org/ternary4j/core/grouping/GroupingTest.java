package org.ternary4j.core.grouping;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GroupingTest {
    private static final String[] ALL = {"tensor", "row", "kernel", "fiber", "block:4", "block:5", "syq-pixel", "syq-row"};

    /** Every element belongs to exactly one group. */
    private static void assertPartition(GroupLayout layout, int n) {
        int[] seen = new int[n];
        for (int g = 0; g < layout.groupCount(); g++) {
            for (int j = 0; j < layout.size(g); j++) seen[layout.position(g, j)]++;
        }
        for (int i = 0; i < n; i++) assertEquals(1, seen[i], "element " + i);
    }

    @Test
    void everyGroupingPartitionsAConvKernel() {
        int[] shape = {3, 2, 3, 5};
        for (String spec : ALL) assertPartition(Grouping.parse(spec).layout(shape), Shapes.size(shape));
    }

    @Test
    void convOnlyGroupingsBecomeRowsOnRankTwoWeightsAndOthersStay() {
        for (String spec : ALL) {
            Grouping g = Grouping.parse(spec);
            boolean convOnly = spec.equals("kernel") || spec.equals("fiber");
            assertEquals(convOnly ? new Grouping.Row() : g, g.forRank(2), spec);
            assertEquals(g, g.forRank(4), spec);
            assertEquals(g, g.forRank(3), spec);
            // Whatever it becomes must be able to group a rank-2 weight.
            assertPartition(g.forRank(2).layout(new int[] {3, 7}), 21);
        }
    }

    @Test
    void groupCountsFollowTheDefinitions() {
        int[] conv = {4, 3, 5, 2};
        assertEquals(1, Grouping.parse("tensor").layout(conv).groupCount());
        assertEquals(4, Grouping.parse("row").layout(conv).groupCount());
        assertEquals(12, Grouping.parse("kernel").layout(conv).groupCount());
        assertEquals(4 * 5 * 2, Grouping.parse("fiber").layout(conv).groupCount());
        assertEquals(4 * 4, Grouping.parse("block:8").layout(conv).groupCount()); // rows of 30 → 8+8+8+6
        assertEquals(10, Grouping.parse("syq-pixel").layout(conv).groupCount());
        assertEquals(5, Grouping.parse("syq-row").layout(conv).groupCount());
        assertEquals(1, Grouping.parse("syq-pixel").layout(new int[] {7, 9}).groupCount());
    }

    @Test
    void elementsAreWhereTheDefinitionsPutThem() {
        int[] shape = {2, 3, 2, 2}; // (o, c, h, w) at ((o·3 + c)·2 + h)·2 + w
        GroupLayout fiber = Grouping.parse("fiber").layout(shape);
        // group for (o=1, h=1, w=0) holds c = 0, 1, 2
        int g = 1 * 4 + 1 * 2;
        assertArrayEquals(new int[] {(3 * 2 + 1) * 2, (4 * 2 + 1) * 2, (5 * 2 + 1) * 2}, positions(fiber, g));
        GroupLayout pixel = Grouping.parse("syq-pixel").layout(shape);
        assertEquals(6, pixel.size(3));
        assertTrue(positions(pixel, 3)[0] == 3 && positions(pixel, 3)[1] == 7);
        GroupLayout row = Grouping.parse("syq-row").layout(shape);
        assertArrayEquals(new int[] {2, 3, 6, 7}, java.util.Arrays.copyOf(positions(row, 1), 4));
        GroupLayout block = Grouping.parse("block:5").layout(new int[] {2, 7});
        assertEquals(4, block.groupCount());
        assertArrayEquals(new int[] {5, 6}, positions(block, 1));
        assertArrayEquals(new int[] {7, 8, 9, 10, 11}, positions(block, 2));
    }

    private static int[] positions(GroupLayout layout, int g) {
        List<Integer> out = new ArrayList<>();
        for (int j = 0; j < layout.size(g); j++) out.add(layout.position(g, j));
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void oddShapesStillPartition() {
        int[][] shapes = {{1, 1}, {5, 1}, {1, 13}, {3, 0}, {0, 4}, {2, 3, 1, 1}, {1, 1, 7}, {3, 2, 3, 3, 2}};
        for (int[] shape : shapes) {
            for (String spec : ALL) {
                Grouping grouping = Grouping.parse(spec);
                try {
                    assertPartition(grouping.layout(shape), Shapes.size(shape));
                } catch (IllegalArgumentException rankMismatch) {
                    assertTrue(rankMismatch.getMessage().contains(spec), rankMismatch.getMessage());
                }
            }
        }
    }

    @Test
    void rankMismatchIsAClearError() {
        var e = assertThrows(IllegalArgumentException.class, () -> Grouping.parse("kernel").layout(new int[] {10, 20}));
        assertTrue(e.getMessage().contains("kernel") && e.getMessage().contains("[10, 20]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Grouping.parse("row").layout(new int[] {10}));
        assertThrows(IllegalArgumentException.class, () -> Grouping.parse("syq-row").layout(new int[] {2, 2, 3}));
        assertThrows(IllegalArgumentException.class, () -> Grouping.parse("block:0"));
        assertThrows(IllegalArgumentException.class, () -> Grouping.parse("columns"));
        assertThrows(IllegalArgumentException.class, () -> Shapes.size(new int[] {65536, 65536}));
    }

    @Test
    void specsRoundTrip() {
        for (String spec : ALL) assertEquals(spec, Grouping.parse(spec).spec());
    }
}
