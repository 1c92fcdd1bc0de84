package org.ternary4j.core;

/** Plain loops over row-major float arrays that several modules need. */
public final class FloatArrays {
    private FloatArrays() {}

    /** The transpose of a row-major [rows, cols] matrix, as a row-major [cols, rows] one. */
    public static float[] transpose(float[] a, int rows, int cols) {
        if (a.length != (long) rows * cols) throw new IllegalArgumentException("transpose: " + a.length + " values for " + rows + "×" + cols);
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        }
        return t;
    }

    /**
     * Offset of the largest of v[from, from + len) relative to from: the first one on ties, NaN
     * never wins, −1 when every value is NaN (or len is 0), so a NaN output never counts as a
     * correct class.
     */
    public static int argmax(float[] v, int from, int len) {
        int best = -1;
        for (int i = 0; i < len; i++) {
            float x = v[from + i];
            if (!Float.isNaN(x) && (best < 0 || x > v[from + best])) best = i;
        }
        return best;
    }

    /** {@link #argmax(float[], int, int)} over the whole array. */
    public static int argmax(float[] v) {
        return argmax(v, 0, v.length);
    }
}
