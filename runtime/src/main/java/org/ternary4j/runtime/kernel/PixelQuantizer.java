package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;

    /** Quantizes rows [0, rows) of cols (stride ld, a multiple of 8) in place; scale[j] gets pixel j's scale (0 for an all-zero window). */
    static void quantize(float[] cols, int rows, int ld, float[] scale) {
        FloatVector levels = FloatVector.broadcast(F, QuantizedActivations.LEVELS);
        for (int j = 0; j < ld; j += F.length()) {
            FloatVector max = FloatVector.zero(F);
            for (int p = 0; p < rows; p++) max = max.max(FloatVector.fromArray(F, cols, p * ld + j).abs());
            var zero = max.eq(0f);
            max.div(QuantizedActivations.LEVELS).blend(0f, zero).intoArray(scale, j);
            FloatVector inv = levels.div(max).blend(0f, zero);
            for (int p = 0; p < rows; p++) {
                FloatVector v = FloatVector.fromArray(F, cols, p * ld + j).mul(inv).add(128.5f);
                IntVector q = ((IntVector) v.convertShape(VectorOperators.F2I, I, 0)).sub(128);
                ((FloatVector) q.convertShape(VectorOperators.I2F, F, 0)).intoArray(cols, p * ld + j);
            }
        }
    }
}
