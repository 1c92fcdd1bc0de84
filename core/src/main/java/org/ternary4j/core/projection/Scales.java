package org.ternary4j.core.projection;

/**
 * The scales of one group: code +1 means {@code +pos}, code −1 means {@code −neg}. One-scale
 * methods set both to the same value. Both are ≥ 0 and finite.
 */
public record Scales(float pos, float neg) {
    public static final Scales ZERO = new Scales(0f, 0f);

    public static Scales of(double scale) {
        return new Scales((float) scale, (float) scale);
    }

    public static Scales of(double pos, double neg) {
        return new Scales((float) pos, (float) neg);
    }

    public boolean symmetric() {
        return Float.floatToRawIntBits(pos) == Float.floatToRawIntBits(neg);
    }

    /** The value a code stands for. */
    public float value(byte code) {
        return code > 0 ? pos : code < 0 ? -neg : 0f;
    }
}
