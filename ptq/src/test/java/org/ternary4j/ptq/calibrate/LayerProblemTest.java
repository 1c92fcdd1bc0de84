package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.grouping.Grouping;

/** The output error, rows in blocks and in parallel, against a dense quadratic form per row added in row order. */
class LayerProblemTest {
    @Test
    void outputErrorEqualsRowByRowQuadraticFormsBitForBit() {
        Random rnd = new Random(47);
        for (int rows : new int[] {1, 3, 4, 9}) {
            for (int k : new int[] {5, 40, 71}) {
                LayerProblem p = Textbook.layer(rnd, rows, k, Grouping.parse("block:4"), true);
                int groups = p.layout().groupCount();
                float[] pos = new float[groups], neg = new float[groups];
                for (int g = 0; g < groups; g++) {
                    pos[g] = rnd.nextFloat();
                    neg[g] = rnd.nextFloat();
                }
                byte[] codes = Textbook.codes(p, rnd);
                assertEquals(Textbook.outputError(p, codes, pos, neg), p.outputError(codes, pos, neg), 0.0, rows + "×" + k);
            }
        }
    }
}
