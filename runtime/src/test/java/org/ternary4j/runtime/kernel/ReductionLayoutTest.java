package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

/** The packed layout: segments per scale group, the input order that makes groups contiguous, padding. */
class ReductionLayoutTest {

    private static ReductionLayout layout(int[] shape, String grouping) {
        TernaryTensor t = RandomTensors.ternary(new Random(1), shape, Grouping.parse(grouping), false);
        return PackedTernaryMatrix.of(t, 0, shape[0], PackedTernaryMatrix.CodeLayout.TWO_BIT).layout();
    }

    @Test
    void rowGroupingIsOneSegmentPaddedToWholeChunks() {
        ReductionLayout l = layout(new int[] {3, 300}, "row");
        assertEquals(1, l.segments());
        assertEquals(384, l.paddedK());
        assertEquals(null, l.toPadded());
    }

    @Test
    void blocksBecomeSegmentsPaddedToWholeSteps() {
        ReductionLayout l = layout(new int[] {2, 100}, "block:40");
        assertArrayEquals(new int[] {0, 3, 6, 8}, l.segmentSteps(), "40, 40, 20 inputs → 3, 3, 2 steps");
        assertEquals(128, l.paddedK());
        assertEquals(48, l.padded(40), "the second block starts on step 3");
        ReductionLayout aligned = layout(new int[] {2, 512}, "block:128");
        assertArrayEquals(new int[] {0, 8, 16, 24, 32}, aligned.segmentSteps());
        assertEquals(null, aligned.toPadded());
    }

    @Test
    void fibreGroupingOrdersConvInputsSpatialMajor() {
        // fibre groups (one Cin vector per kernel position) are contiguous only in (ky, kx, c) order
        ReductionLayout l = layout(new int[] {4, 32, 3, 3}, "fiber");
        assertEquals(9, l.segments());
        assertEquals(384, l.paddedK(), "9 × 32 inputs, no padding inside, 288 → 384 at the end");
        assertEquals(32, l.padded(1), "input (c=0, p=1) is the first of the second fibre");
        assertEquals(1, l.padded(9), "input (c=1, p=0) follows (c=0, p=0)");
        ReductionLayout kernel = layout(new int[] {4, 32, 3, 3}, "kernel");
        assertEquals(32, kernel.segments(), "kernel slices keep the canonical order, 9 inputs padded to a step each");
        assertEquals(512, kernel.paddedK());
    }
}
