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

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final float TWO_23 = 8388608f;

    /** Quantizes rows [0, rows) of cols (stride ld, a multiple of 8) in place; scale[j] gets pixel j's scale (0 for an all-zero window). */
    static void quantize(float[] cols, int rows, int ld, float[] scale) {
        // row by row, so every pass streams through memory: max |x| per pixel, then the factors, then q
        float[] max = new float[ld], inv = new float[ld];
        if (ld == 4 * F.length()) panelMax(cols, rows, max);
        else for (int p = 0; p < rows; p++) {
            for (int j = 0; j < ld; j += F.length()) {
                // inputs are finite (the caller checked), so a compare and blend is max; lanewise MAX
                // pays for Java's NaN and −0 rules
                FloatVector m = FloatVector.fromArray(F, max, j), v = FloatVector.fromArray(F, cols, p * ld + j).abs();
                m.blend(v, m.lt(v)).intoArray(max, j);
            }
        }
        factors(max, scale, inv, ld);
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

    /**
     * max |x| per column of a panel four vectors wide, the maxima held in registers down the rows:
     * through the max array each row waited on the row before's store.
     */
    private static void panelMax(float[] cols, int rows, float[] max) {
        int l = F.length();
        FloatVector m0 = FloatVector.zero(F), m1 = m0, m2 = m0, m3 = m0;
        for (int p = 0, at = 0; p < rows; p++, at += 4 * l) {
            FloatVector v0 = FloatVector.fromArray(F, cols, at).abs(), v1 = FloatVector.fromArray(F, cols, at + l).abs();
            FloatVector v2 = FloatVector.fromArray(F, cols, at + 2 * l).abs(), v3 = FloatVector.fromArray(F, cols, at + 3 * l).abs();
            m0 = m0.blend(v0, m0.lt(v0));
            m1 = m1.blend(v1, m1.lt(v1));
            m2 = m2.blend(v2, m2.lt(v2));
            m3 = m3.blend(v3, m3.lt(v3));
        }
        m0.intoArray(max, 0);
        m1.intoArray(max, l);
        m2.intoArray(max, 2 * l);
        m3.intoArray(max, 3 * l);
    }

    /** Each pixel's scale max/127 and factor 127/max (both 0 for an all-zero window). */
    private static void factors(float[] max, float[] scale, float[] inv, int ld) {
        FloatVector levels = FloatVector.broadcast(F, QuantizedActivations.LEVELS);
        for (int j = 0; j < ld; j += F.length()) {
            FloatVector m = FloatVector.fromArray(F, max, j);
            var zero = m.eq(0f);
            m.div(QuantizedActivations.LEVELS).blend(0f, zero).intoArray(scale, j);
            levels.div(m).blend(0f, zero).intoArray(inv, j);
        }
    }
}
