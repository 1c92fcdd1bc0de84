package org.ternary4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class FloatArraysTest {

    @Test
    void transposeMovesEveryElementAndTwiceIsTheIdentity() {
        float[] a = {1, 2, 3, 4, 5, 6}; // [[1, 2, 3], [4, 5, 6]]
        float[] t = FloatArrays.transpose(a, 2, 3);
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, t, 0f);
        assertArrayEquals(a, FloatArrays.transpose(t, 3, 2), 0f);
        assertThrows(IllegalArgumentException.class, () -> FloatArrays.transpose(a, 4, 2));
    }

    @Test
    void argmaxTakesTheFirstMaximumAndNeverANaN() {
        assertEquals(1, FloatArrays.argmax(new float[] {0, 3, 3, -1}));
        assertEquals(2, FloatArrays.argmax(new float[] {Float.NaN, -5, 2, Float.NaN}));
        assertEquals(-1, FloatArrays.argmax(new float[] {Float.NaN, Float.NaN}));
        assertEquals(-1, FloatArrays.argmax(new float[0]));
        assertEquals(0, FloatArrays.argmax(new float[] {Float.NEGATIVE_INFINITY}));
        // Offsets are relative to the start of the row.
        float[] rows = {9, 0, 0, /* row 1: */ 1, 7, 2};
        assertEquals(0, FloatArrays.argmax(rows, 0, 3));
        assertEquals(1, FloatArrays.argmax(rows, 3, 3));
    }
}
