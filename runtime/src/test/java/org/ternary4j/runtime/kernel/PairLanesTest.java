package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** The lane selections against their definitions, one value at a time, at this machine's vector width. */
class PairLanesTest {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    /** The lanes of f(a, b) for a, b the two vectors of x. */
    private static float[] lanes(java.util.function.BinaryOperator<FloatVector> f, float[] x) {
        float[] y = new float[L];
        f.apply(FloatVector.fromArray(F, x, 0), FloatVector.fromArray(F, x, L)).intoArray(y, 0);
        return y;
    }

    @Test
    void evenAndOddSplitTwoVectorsOfConsecutiveValues() {
        float[] x = RandomTensors.gaussian(new Random(1), 2 * L), even = lanes(PairLanes::even, x), odd = lanes(PairLanes::odd, x);
        for (int i = 0; i < L; i++) {
            assertEquals(x[2 * i], even[i], "even lane " + i);
            assertEquals(x[2 * i + 1], odd[i], "odd lane " + i);
        }
    }

    @Test
    void zipsInterleaveTheHalvesAndUndoTheSplit() {
        float[] x = RandomTensors.gaussian(new Random(2), 2 * L), lo = lanes(PairLanes::zipLow, x), hi = lanes(PairLanes::zipHigh, x);
        for (int i = 0; i < L / 2; i++) {
            assertEquals(x[i], lo[2 * i]);
            assertEquals(x[L + i], lo[2 * i + 1]);
            assertEquals(x[L / 2 + i], hi[2 * i]);
            assertEquals(x[L + L / 2 + i], hi[2 * i + 1]);
        }
        float[] back = new float[2 * L];
        FloatVector a = FloatVector.fromArray(F, x, 0), b = FloatVector.fromArray(F, x, L), e = PairLanes.even(a, b), o = PairLanes.odd(a, b);
        PairLanes.zipLow(e, o).intoArray(back, 0);
        PairLanes.zipHigh(e, o).intoArray(back, L);
        assertArrayEquals(x, back, "zipping the even and odd lanes gives the values back");
    }

    @Test
    void maxPoolTakesTheMaximumOfEachTwoByTwoWindow() {
        Random rnd = new Random(3);
        for (int cols : new int[] {2, 7, 2 * L, 2 * L + 6, 5 * L + 1}) {
            float[] a = RandomTensors.gaussian(rnd, 3 + 2 * cols), y = new float[cols / 2 + 1];
            int r0 = 3, r1 = 3 + cols;
            PairLanes.maxPool(a, r0, r1, cols, y, 1);
            for (int k = 0; k < cols / 2; k++) {
                float m = Math.max(Math.max(a[r0 + 2 * k], a[r0 + 2 * k + 1]), Math.max(a[r1 + 2 * k], a[r1 + 2 * k + 1]));
                assertEquals(m, y[1 + k], cols + " columns, output " + k);
            }
            assertEquals(0f, y[0], "nothing written before dst");
        }
    }
}
