package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The int8 activation quantization of {@link QuantizedActivations}, applied to a transposed im2col
 * where each pixel's window is a column: scale = max|x| / 127 and q = (int) (x·(127/max) + 128.5f)
 * − 128 per pixel, the same float operations, so q and the scale have the same bits. q is stored
 * back as a float: the pixel kernel's sums of ±q are then integers below 2²⁴, exact in float, and
 * a conv through {@link FloatKernels#pixelRows} gives the integer kernels' result bit for bit.
 */
final class PixelQuantizer {
    private PixelQuantizer() {}

    /** The widest vectors (every operation is per lane, so the width changes no result): 512-bit ones halved the int8 panel convs' quantizing. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Pixels per vector: {@link #quantize}'s ld must be a multiple of it. */
    static final int LANES = F.length();
    private static final float TWO_23 = 8388608f;

    /** Quantizes rows [0, rows) of cols (stride ld, a multiple of {@link #LANES}) in place; scale[j] gets pixel j's scale (0 for an all-zero window). */
    static void quantize(float[] cols, int rows, int ld, float[] scale) {
        // row by row, so every pass streams through memory: max |x| per pixel, then the factors, then q
        float[] max = new float[ld];
        for (int p = 0; p < rows; p++) {
            for (int j = 0; j < ld; j += F.length()) {
                // inputs are finite (the caller checked), so a compare and blend is max; lanewise MAX
                // pays for Java's NaN and −0 rules
                FloatVector m = FloatVector.fromArray(F, max, j), v = FloatVector.fromArray(F, cols, p * ld + j).abs();
                m.blend(v, m.lt(v)).intoArray(max, j);
            }
        }
        quantize(cols, rows, ld, max, scale);
    }

    /** As {@link #quantize(float[], int, int, float[])} with each pixel's max |x| already in max[0, ld). */
    static void quantize(float[] cols, int rows, int ld, float[] max, float[] scale) {
        float[] inv = new float[ld];
        FloatVector levels = FloatVector.broadcast(F, QuantizedActivations.LEVELS);
        for (int j = 0; j < ld; j += F.length()) {
            FloatVector m = FloatVector.fromArray(F, max, j);
            var zero = m.eq(0f);
            m.div(QuantizedActivations.LEVELS).blend(0f, zero).intoArray(scale, j);
            levels.div(m).blend(0f, zero).intoArray(inv, j);
        }
        for (int p = 0; p < rows; p++) {
            for (int j = 0; j < ld; j += F.length()) {
                // v ∈ [1.5, 255.5]: adding and subtracting 2²³ rounds v to the nearest integer r,
                // and r − 1 where r > v gives ⌊v⌋ = (int) v without conversions. (Rounding v − 0.5
                // instead is wrong when v is an integer: the tie goes to the even neighbour, so
                // x·inv = 90.5 gave q = 90, not 91.)
                FloatVector v = FloatVector.fromArray(F, cols, p * ld + j).mul(FloatVector.fromArray(F, inv, j)).add(128.5f);
                FloatVector r = v.add(TWO_23).sub(TWO_23);
                r.sub(1f, r.compare(VectorOperators.GT, v)).sub(128f).intoArray(cols, p * ld + j);
            }
        }
    }
}
