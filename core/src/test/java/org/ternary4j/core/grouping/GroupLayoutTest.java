package org.ternary4j.core.grouping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class GroupLayoutTest {

    /** By the groupings' definitions: those that never mix output channels are row-local for a conv kernel [4, 3, 5, 2]. */
    @Test
    void rowLocalFollowsTheGroupingDefinitions() {
        int[] conv = {4, 3, 5, 2};
        int perRow = 3 * 5 * 2;
        Map<String, Boolean> expected = Map.of("tensor", false, "row", true, "kernel", true, "fiber", true, "block:8", true,
                "syq-pixel", false, "syq-row", false);
        expected.forEach((spec, local) -> assertEquals(local, Grouping.parse(spec).layout(conv).rowLocal(perRow), spec));
    }

    /** Contiguous groups of 3: inside rows of 6 or 3, across rows of 4 (group 1 is positions 3..5). */
    @Test
    void contiguousGroupsAgainstRowLengths() {
        GroupLayout l = GroupLayout.contiguous(4, 3);
        assertTrue(l.rowLocal(6));
        assertTrue(l.rowLocal(3));
        assertFalse(l.rowLocal(4));
    }
}
