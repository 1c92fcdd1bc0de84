package org.ternary4j.runtime.kernel;

import org.ternary4j.core.TernaryTensor;

/**
 * The scales a packed layer keeps resident: FP32, or FP16 bits when every scale of its tensor is an
 * FP16 value (a packed file with F16 scales, or any tensor whose scales happen to be), which halves
 * their bytes and changes no number. Kernels read them one at a time, per row or segment, outside
 * their innermost loops; the widening is exact, so both forms give the same bits.
 */
final class ScaleArray {
    private final float[] floats;
    private final short[] halves;

    private ScaleArray(float[] floats, short[] halves) {
        this.floats = floats;
        this.halves = halves;
    }

    /** These values as FP32. */
    static ScaleArray of(float[] values) {
        return of(values, false);
    }

    /** These values, as FP16 when {@code half} (then every one must be an FP16 value: no rounding here). */
    static ScaleArray of(float[] values, boolean half) {
        if (!half) return new ScaleArray(values.clone(), null);
        if (!TernaryTensor.isHalf(values)) throw new IllegalArgumentException("scales are not all FP16 values");
        short[] h = new short[values.length];
        for (int i = 0; i < h.length; i++) h[i] = Float.floatToFloat16(values[i]);
        return new ScaleArray(null, h);
    }

    float get(int i) {
        return halves != null ? Float.float16ToFloat(halves[i]) : floats[i];
    }

    int length() {
        return halves != null ? halves.length : floats.length;
    }

    boolean half() {
        return halves != null;
    }

    /** Resident bytes: 2 or 4 a scale. */
    long bytes() {
        return bytes(length(), half());
    }

    static long bytes(long count, boolean half) {
        return count * (half ? 2 : 4);
    }

    /** Scales [from, from + n) into dst[0, n), zeros after them up to dst.length. */
    void copyTo(int from, int n, float[] dst) {
        for (int i = 0; i < n; i++) dst[i] = get(from + i);
        java.util.Arrays.fill(dst, n, dst.length, 0f);
    }

    /** The values as floats (a copy). */
    float[] toFloats() {
        float[] f = new float[length()];
        for (int i = 0; i < f.length; i++) f[i] = get(i);
        return f;
    }

    ScaleArray copy() {
        return new ScaleArray(floats == null ? null : floats.clone(), halves == null ? null : halves.clone());
    }
}
