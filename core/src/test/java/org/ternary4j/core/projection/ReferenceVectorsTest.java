package org.ternary4j.core.projection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Spec §1.4, row by row. */
class ReferenceVectorsTest {

    static Stream<Arguments> rows() {
        float[] tenAndOnes = new float[9];
        java.util.Arrays.fill(tenAndOnes, 1f);
        tenAndOnes[0] = 10;
        byte[] tenCodes = new byte[9];
        tenCodes[0] = 1;
        return Stream.of(
                Arguments.of(new float[] {0.9f, -0.5f, 0.1f, -0.05f, 0.4f}, new byte[] {1, -1, 0, 0, 1}, 0.6, 0.640963, 0.65, 0.5, 0.65, 0.5, 3),
                Arguments.of(new float[] {1, 1, 1, -0.1f}, new byte[] {1, 1, 1, 0}, 1.0, 1.001665, 1.0, 0.0, 1.0, 0.1, 4),
                Arguments.of(new float[] {0.3f, -1.2f, 0.25f, 0.2f, -0.15f, 0.05f}, new byte[] {0, -1, 0, 0, 0, 0}, 1.2, 1.287439, 0.0, 1.2, 0.25, 1.2, 4),
                Arguments.of(tenAndOnes, tenCodes, 10.0, 10.392305, 10.0, 0.0, 10.0, 0.0, 1),
                Arguments.of(new float[] {0, 0, 0}, new byte[] {0, 0, 0}, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0),
                Arguments.of(new float[] {2.0f}, new byte[] {1}, 2.0, 2.0, 2.0, 0.0, 2.0, 0.0, 1),
                Arguments.of(new float[] {0.5f, -0.5f, 0.5f, -0.5f}, new byte[] {1, -1, 1, -1}, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 4));
    }

    @ParameterizedTest
    @MethodSource("rows")
    void matchesTheSpecTable(float[] w, byte[] t, double ls, double norm, double tunedPos, double tunedNeg,
                             double jointPos, double jointNeg, int jointKept) {
        byte[] codes = new byte[w.length];
        Scales s = new Tnt(false).project(w, w.length, codes);
        assertArrayEquals(t, codes);
        assertEquals(ls, s.pos(), 1e-6);
        assertEquals(norm, new Tnt(true).project(w, w.length, codes).pos(), 1e-6);
        Scales tuned = new TntTuned().project(w, w.length, codes);
        assertArrayEquals(t, codes);
        assertEquals(tunedPos, tuned.pos(), 1e-6);
        assertEquals(tunedNeg, tuned.neg(), 1e-6);
        Scales joint = new TwoScale().project(w, w.length, codes);
        assertEquals(jointPos, joint.pos(), 1e-6);
        assertEquals(jointNeg, joint.neg(), 1e-6);
        int kept = 0;
        for (byte c : codes) kept += Math.abs(c);
        assertEquals(jointKept, kept);
    }

    @ParameterizedTest
    @MethodSource("rows")
    void fixedPointHolds(float[] w) {
        byte[] codes = new byte[w.length];
        Scales s = new Tnt(false).project(w, w.length, codes);
        for (int i = 0; i < w.length; i++) {
            if (codes[i] != 0) assertEquals(true, Math.abs(w[i]) >= s.pos() / 2 - 1e-7);
            else assertEquals(true, Math.abs(w[i]) <= s.pos() / 2 + 1e-7);
        }
    }

    @org.junit.jupiter.api.Test
    void objectiveCurveOfTheFirstRow() {
        double[] sorted = {0.9, 0.5, 0.4, 0.1, 0.05};
        double[] expected = {0.9, 0.98995, 1.03923, 0.95, 0.87207};
        double s = 0;
        for (int m = 1; m <= 5; m++) {
            s += sorted[m - 1];
            assertEquals(expected[m - 1], s / Math.sqrt(m), 1e-5);
        }
    }
}
