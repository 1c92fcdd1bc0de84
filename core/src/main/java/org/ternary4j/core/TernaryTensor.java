package org.ternary4j.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.grouping.Shapes;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Scales;

/**
 * A ternary tensor: one code in {−1, 0, +1} per element (row-major, canonical layout), the
 * grouping that says which elements share scales, and per group a positive and a negative scale
 * ({@code scaleNeg} is null when every group is symmetric). The method that made it is kept so
 * a stored tensor says how it was produced.
 */
public record TernaryTensor(int[] shape, Grouping grouping, String method, byte[] codes, float[] scalePos, float[] scaleNeg) {

    public TernaryTensor {
        int n = Shapes.size(shape);
        if (codes.length != n) throw new IllegalArgumentException("codes: " + codes.length + " for shape " + Arrays.toString(shape));
        int groups = grouping.layout(shape).groupCount();
        if (scalePos.length != groups || (scaleNeg != null && scaleNeg.length != groups)) {
            throw new IllegalArgumentException("scales: expected " + groups + " per sign for grouping " + grouping.spec());
        }
        if (!ternary(codes)) for (byte c : codes) if (c < -1 || c > 1) throw new IllegalArgumentException("code " + c + " is not ternary");
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long LOW = 0x0101010101010101L;

    /**
     * Whether every byte is 0x00, 0x01 or 0xFF, eight at a time: a byte is valid when its top seven
     * bits are all clear, or all set together with its lowest bit. (A byte-wise loop costs as
     * much as projecting the tensor's rows: it does not vectorize.)
     */
    static boolean ternary(byte[] codes) {
        long bad = 0;
        int i = 0;
        for (; i + 8 <= codes.length; i += 8) {
            long x = (long) LONGS.get(codes, i);
            long top = (x >>> 7) & LOW; // the sign bit of each byte, moved to its lowest bit
            bad |= ((x & ~LOW) ^ (top * 0xFE)) | ((x & top) ^ top);
        }
        for (; i < codes.length; i++) bad |= (codes[i] < -1 || codes[i] > 1) ? 1 : 0;
        return bad == 0;
    }

    public boolean twoScales() {
        return scaleNeg != null;
    }

    public int groupCount() {
        return scalePos.length;
    }

    public Scales scales(int g) {
        return new Scales(scalePos[g], scaleNeg == null ? scalePos[g] : scaleNeg[g]);
    }

    /** The float tensor these codes and scales stand for. */
    public float[] dequantize() {
        GroupLayout layout = grouping.layout(shape);
        float[] out = new float[codes.length];
        for (int g = 0; g < layout.groupCount(); g++) {
            Scales s = scales(g);
            for (int j = 0; j < layout.size(g); j++) {
                int p = layout.position(g, j);
                out[p] = s.value(codes[p]);
            }
        }
        return out;
    }

    /**
     * The same tensor with every scale rounded to the nearest FP16 value (ties to even), so that a
     * file storing the scales as FP16 and every reader hold exactly these numbers. Applied as the
     * last step of ternarization; a scale beyond FP16's range (65504) is refused rather than stored
     * as infinity.
     */
    public TernaryTensor withHalfScales() {
        return new TernaryTensor(shape, grouping, method, codes, half(scalePos), scaleNeg == null ? null : half(scaleNeg));
    }

    /** Whether every scale is exactly an FP16 value (what {@link #withHalfScales} gives). */
    public boolean halfScales() {
        return isHalf(scalePos) && (scaleNeg == null || isHalf(scaleNeg));
    }

    /** Whether every value survives a round trip through FP16 unchanged (NaN never does). */
    public static boolean isHalf(float[] values) {
        for (float v : values) if (Float.floatToRawIntBits(Float.float16ToFloat(Float.floatToFloat16(v))) != Float.floatToRawIntBits(v)) return false;
        return true;
    }

    private static float[] half(float[] scales) {
        float[] out = new float[scales.length];
        for (int g = 0; g < scales.length; g++) {
            float h = Float.float16ToFloat(Float.floatToFloat16(scales[g]));
            if (Float.isInfinite(h) && !Float.isInfinite(scales[g])) {
                throw new IllegalArgumentException("scale " + scales[g] + " of group " + g + " exceeds the FP16 range (65504)");
            }
            out[g] = h;
        }
        return out;
    }

    /** Fraction of zero codes. */
    public double sparsity() {
        long zeros = 0;
        for (byte c : codes) if (c == 0) zeros++;
        return codes.length == 0 ? 0 : (double) zeros / codes.length;
    }

    /** Storage cost with this packing, codes plus fp32 scales, per weight. */
    public double bitsPerWeight(Packing packing) {
        return bitsPerWeight(codes.length, (long) scalePos.length * (twoScales() ? 2 : 1), packing);
    }

    /** Storage cost with this packing, codes plus fp16 scales ({@code halfScales}) or fp32 ones, per weight. */
    public double bitsPerWeight(Packing packing, boolean halfScales) {
        return bitsPerWeight(codes.length, (long) scalePos.length * (twoScales() ? 2 : 1), packing, halfScales ? 16 : 32);
    }

    /** Storage cost per weight of {@code codes} codes packed this way plus {@code scales} fp32 scales. */
    public static double bitsPerWeight(long codes, long scales, Packing packing) {
        return bitsPerWeight(codes, scales, packing, 32);
    }

    /** Storage cost per weight of {@code codes} codes packed this way plus {@code scales} scales of {@code scaleBits} bits each. */
    public static double bitsPerWeight(long codes, long scales, Packing packing, int scaleBits) {
        if (codes == 0) return 0;
        return (double) storedBits(codes, scales, packing, scaleBits) / codes;
    }

    /** Total storage in bits of {@code codes} codes packed this way plus {@code scales} scales of {@code scaleBits} bits each. */
    public static long storedBits(long codes, long scales, Packing packing, int scaleBits) {
        return packing.packedBytes(codes) * 8 + scales * scaleBits;
    }
}
