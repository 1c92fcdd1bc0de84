package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.grouping.Grouping;

/** GPTQ's codes, rows in parallel and the factor shared between rounds, against the row-after-row loop. */
class TernaryGptqTest {
    @Test
    void codesEqualTheRowAfterRowLoopBitForBit() {
        Random rnd = new Random(41);
        for (int k : new int[] {7, 40, 77}) {
            LayerProblem p = Textbook.layer(rnd, 9, k, Grouping.parse("block:4"), true);
            int groups = p.layout().groupCount();
            float[] pos = new float[groups], neg = new float[groups];
            for (int g = 0; g < groups; g++) {
                pos[g] = 0.2f + rnd.nextFloat();
                neg[g] = g % 7 == 0 ? 0 : 0.2f + rnd.nextFloat();
            }
            byte[] expected = Textbook.gptq(p, pos, neg);
            assertArrayEquals(expected, TernaryGptq.codes(p, pos, neg), "k=" + k);
            TernaryGptq.Factor f = TernaryGptq.factor(p, false);
            assertArrayEquals(expected, TernaryGptq.codes(p, f, pos, neg), "k=" + k + ", shared factor");
            assertArrayEquals(expected, TernaryGptq.codes(p, f, pos, neg), "k=" + k + ", shared factor used again");
        }
    }
}
