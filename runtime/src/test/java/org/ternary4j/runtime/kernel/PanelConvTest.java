package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

/**
 * The panel product against the pixel kernel on the same im2col view or copy, with float inputs
 * and with each pixel's window quantized to int8: the same bits for every pixel and row, whole
 * pixel blocks and a partial last one, on one, two and three threads.
 */
class PanelConvTest {

    @ParameterizedTest(name = "c{0} {1}x{2} o{3} k{4} stride {5} pad {6}")
    @CsvSource({
            // PP-OCRv4's neck conv (96 → 24, 3×3 at 80×80) and smaller ones: view rows of 82, a partial last block
            "96, 80, 80, 24, 3, 1, 1",
            "20, 45, 41, 13, 3, 1, 1",
            "7, 50, 40, 30, 5, 1, 2",
            // an im2col copy (stride 2), its pixels not a multiple of the panel width
            "9, 83, 91, 11, 3, 2, 1"})
    void sameBitsAsThePixelKernel(int c, int h, int w, int o, int k, int stride, int pad) {
        Random rnd = new Random(c * 100L + o);
        TernaryTensor wt = RandomTensors.ternary(rnd, new int[] {o, c, k, k}, new Grouping.Row(), false);
        PackedTernaryMatrix m = PackedTernaryMatrix.of(wt, 0, o);
        ConvGeometry geo = ConvGeometry.simple(stride, pad, 1);
        float[] x = RandomTensors.gaussian(rnd, c * h * w);
        int rows = FloatKernels.usedSteps(m.layout()) * ReductionLayout.STEP;
        PixelSource src = stride == 1
                ? PixelSource.view(x, 0, c, h, w, 0, c, k, k, geo, m.layout().toPadded(), rows)
                : PixelSource.im2col(x, 0, c, h, w, 0, c, k, k, geo, m.layout().toPadded(), rows);
        int pixels = src.kernelPixels();
        assertTrue(PanelConv.applies(m, pixels), "the product takes " + pixels + " pixels");
        assertTrue(pixels % PanelGemm.NR != 0 || stride == 1, "a partial last block");
        float[] exact = new float[o * pixels];
        FloatKernels.pixelRows(m, src, pixels, 0, o, exact, 0, null);
        // int8: the whole im2col quantized per pixel, then the pixel kernel times the pixel scales
        PixelSource levels = src.materialize();
        float[] pixelScale = new float[levels.width()], int8 = new float[o * pixels];
        PixelQuantizer.quantize(levels.data(), rows, levels.width(), pixelScale);
        FloatKernels.pixelRows(m, levels, pixels, 0, o, int8, 0, pixelScale);
        for (Parallel par : new Parallel[] {Parallel.serial(), RandomTensors.TWO, RandomTensors.THREE}) {
            for (boolean quantized : new boolean[] {false, true}) {
                float[] expected = quantized ? int8 : exact, y = new float[o * pixels + 5];
                PanelConv.forward(m, src, pixels, pixels, quantized, y, 0, par);
                String what = (quantized ? "int8" : "exact") + " on " + par.threads() + " thread(s)";
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(y[i]), "row " + i / pixels + " pixel " + i % pixels + ", " + what);
                }
                for (int i = expected.length; i < y.length; i++) assertEquals(0f, y[i], "nothing written past the last row");
            }
        }
    }

    @Test
    void leavesSmallImagesAndOtherScalesToTheOtherKernels() {
        Random rnd = new Random(3);
        PackedTernaryMatrix row = PackedTernaryMatrix.of(RandomTensors.ternary(rnd, new int[] {8, 16, 3, 3}, new Grouping.Row(), false), 0, 8);
        assertTrue(PanelConv.applies(row, PanelConv.MIN_PIXELS));
        assertFalse(PanelConv.applies(row, PanelConv.MIN_PIXELS - 1), "a small image");
        PackedTernaryMatrix two = PackedTernaryMatrix.of(RandomTensors.ternary(rnd, new int[] {8, 16, 3, 3}, new Grouping.Row(), true), 0, 8);
        assertFalse(PanelConv.applies(two, 1 << 20), "two scales per row");
        PackedTernaryMatrix blocks = PackedTernaryMatrix.of(RandomTensors.ternary(rnd, new int[] {8, 64, 3, 3}, Grouping.parse("block:16"), false), 0, 8);
        assertFalse(PanelConv.applies(blocks, 1 << 20), "several scales per row");
    }
}
