package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpyWriter;

/** Calibration never reads a test split, and picks the same examples every time. */
class CalibrationInputsTest {
    @TempDir
    Path dir;

    @Test
    void testSplitsAreRefused() throws IOException {
        for (String spec : new String[] {"fashion-mnist:test", "fashion-mnist:t10k", "FASHION-MNIST:TEST"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CalibrationInputs.load(spec));
            assertTrue(e.getMessage().contains("test split"), e.getMessage());
        }
        Path t10k = dir.resolve("t10k-images.npy");
        NpyWriter.writeFloats(t10k, new NdArray(new int[] {2, 3}, new float[6]));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CalibrationInputs.load(t10k.toString())).getMessage().contains("test split"));
        Path test = dir.resolve("test_x.npy");
        Files.copy(t10k, test);
        assertThrows(IllegalArgumentException.class, () -> CalibrationInputs.load(test + ":1"));
        // A folder means its t10k files to eval: refused too.
        assertThrows(IllegalArgumentException.class, () -> CalibrationInputs.load(dir.toString()));
    }

    @Test
    void countsMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> CalibrationInputs.load("fashion-mnist:0"));
        assertThrows(IllegalArgumentException.class, () -> CalibrationInputs.load("fashion-mnist:abc"));
    }

    @Test
    void fileWithCountTakesTheFirstExamples() throws IOException {
        float[] v = {1, 2, 3, 4, 5, 6};
        Path f = dir.resolve("calib.npy");
        NpyWriter.writeFloats(f, new NdArray(new int[] {3, 2}, v));
        CalibrationInputs c = CalibrationInputs.load(f + ":2");
        assertArrayEquals(new float[] {1, 2, 3, 4}, c.inputs().data());
        assertEquals(3, CalibrationInputs.load(f.toString()).inputs().count());
    }

    @Test
    void nonFiniteInputsAreRefused() throws IOException {
        Path f = dir.resolve("calib.npy");
        NpyWriter.writeFloats(f, new NdArray(new int[] {1, 2}, new float[] {1, Float.NaN}));
        // Refused by the data-set check every command shares, with the file and the value named.
        IOException e = assertThrows(IOException.class, () -> CalibrationInputs.load(f.toString()));
        assertTrue(e.getMessage().startsWith(f + ":") && e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void evenlySpacedIndices() {
        float[] v = new float[10];
        for (int i = 0; i < 10; i++) v[i] = i;
        NdArray all = new NdArray(new int[] {10, 1}, v);
        assertArrayEquals(new float[] {0, 3, 6}, CalibrationInputs.evenlySpaced(all, 3).data()); // ⌊i·10/3⌋
        assertEquals(10, CalibrationInputs.evenlySpaced(all, 50).count());
    }
}
