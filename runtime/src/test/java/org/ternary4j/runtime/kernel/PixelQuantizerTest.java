package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The pixel quantizer against {@link QuantizedActivations#roundTrip}, the scalar quantization the integer kernels see. */
class PixelQuantizerTest {
    /**
     * Pixel 0's window holds max 127 (inv = 1) and the values k + ½: x·inv + 128.5 is then an
     * integer, the case where rounding half to even differs from the integer kernels' half up.
     */
    @Test
    void roundsHalvesUpLikeTheIntegerKernels() {
        int rows = 16, ld = 16;
        for (int k = -127; k < 127; k += rows - 1) {
            float[] cols = new float[rows * ld], window = new float[rows];
            window[0] = 127f;
            for (int p = 1; p < rows; p++) window[p] = Math.min(126, k + p - 1) + 0.5f;
            for (int p = 0; p < rows; p++) cols[p * ld] = window[p];
            float[] scale = new float[ld];
            PixelQuantizer.quantize(cols, rows, ld, scale);
            assertEquals(1f, scale[0]);
            for (int p = 0; p < rows; p++) assertEquals(Math.floor(window[p] + 0.5), cols[p * ld], "q of " + window[p]);
        }
    }

    @Test
    void matchesTheScalarQuantizationOnRandomWindows() {
        Random rnd = new Random(7);
        int rows = 32, ld = 64;
        float[] cols = new float[rows * ld];
        for (int i = 0; i < cols.length; i++) cols[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian()));
        float[] windows = new float[ld * rows];
        for (int j = 0; j < ld; j++) for (int p = 0; p < rows; p++) windows[j * rows + p] = cols[p * ld + j];
        float[] expected = QuantizedActivations.roundTrip(windows, rows, ld);
        float[] scale = new float[ld];
        PixelQuantizer.quantize(cols, rows, ld, scale);
        for (int j = 0; j < ld; j++) for (int p = 0; p < rows; p++) assertEquals(expected[j * rows + p], cols[p * ld + j] * scale[j], "pixel " + j + " input " + p);
    }
}
