package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.grouping.Grouping;

/** Coordinate descent, rows in parallel and the gradient kept with vector lanes, against the row-after-row loop. */
class CodeDescentTest {
    @Test
    void improveEqualsTheRowAfterRowLoopBitForBit() {
        Random rnd = new Random(43);
        for (int k : new int[] {6, 40, 77}) {
            for (boolean two : new boolean[] {false, true}) {
                LayerProblem p = Textbook.layer(rnd, 7, k, Grouping.parse("block:4"), two);
                int groups = p.layout().groupCount();
                float[] pos = new float[groups], neg = two ? new float[groups] : null;
                for (int g = 0; g < groups; g++) {
                    pos[g] = 0.3f + rnd.nextFloat();
                    if (two) neg[g] = 0.3f + rnd.nextFloat();
                }
                byte[] codes = Textbook.codes(p, rnd), expected = codes.clone();
                int expectedMoves = Textbook.descent(p, expected, pos, neg, 20);
                assertEquals(expectedMoves, CodeDescent.improve(p, codes, pos, neg, 20), "k=" + k);
                assertArrayEquals(expected, codes, "k=" + k);
                assertTrue(expectedMoves > 0, "k=" + k + " moves codes");
            }
        }
    }
}
