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
import java.util.List;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpyWriter;
import org.ternary4j.formats.data.NpzWriter;

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
        assertArrayEquals(new float[] {1, 2, 3, 4}, c.inputs().inputs().get(0).array().data());
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
    void npzArraysNamedAfterTheInputsKeepTheirNamesAndCount() throws IOException {
        Path f = dir.resolve("tokens.npz");
        NpzWriter.write(f, List.of(new NpzWriter.Longs("input_ids", new int[] {3, 2}, new long[] {101, 7592, 101, 2088, 101, 16777216}),
                new NpzWriter.Longs("attention_mask", new int[] {3, 2}, new long[] {1, 1, 1, 1, 1, 0})));
        CalibrationInputs c = CalibrationInputs.load(f + ":2");
        assertEquals(List.of("input_ids", "attention_mask"), c.inputs().inputs().stream().map(a -> a.name()).toList());
        assertArrayEquals(new float[] {101, 7592, 101, 2088}, c.inputs().inputs().get(0).array().data());
        assertEquals(2, c.inputs().inputs().get(1).array().count());
        assertEquals(16777216f, CalibrationInputs.load(f.toString()).inputs().inputs().get(0).array().data()[5]); // 2^24 is still exact
    }

    @Test
    void integersAFloatCannotHoldAreRefusedNotRounded() throws IOException {
        Path f = dir.resolve("tokens.npz");
        NpzWriter.write(f, List.of(new NpzWriter.Longs("input_ids", new int[] {1, 2}, new long[] {101, 16777217})));
        IOException e = assertThrows(IOException.class, () -> CalibrationInputs.load(f.toString()));
        assertTrue(e.getMessage().startsWith(f + "[input_ids]:") && e.getMessage().contains("16777217"), e.getMessage());
    }

    @Test
    void nonFiniteOrEmptyNamedArraysAreRefusedNamingTheFile() throws IOException {
        Path nan = dir.resolve("nan.npz");
        NpzWriter.write(nan, List.of(new NpzWriter.Longs("input_ids", new int[] {1, 2}, new long[] {1, 2}),
                new NpzWriter.Floats("pixel_values", new NdArray(new int[] {1, 2}, new float[] {0, Float.POSITIVE_INFINITY}))));
        String m = assertThrows(IOException.class, () -> CalibrationInputs.load(nan.toString())).getMessage();
        assertTrue(m.startsWith(nan + ":") && m.contains("'pixel_values'") && m.contains("Infinity"), m);
        Path empty = dir.resolve("empty.npz");
        NpzWriter.write(empty, List.of(new NpzWriter.Longs("input_ids", new int[] {0, 2}, new long[0])));
        m = assertThrows(IOException.class, () -> CalibrationInputs.load(empty.toString())).getMessage();
        assertTrue(m.startsWith(empty + ":") && m.contains("no examples"), m);
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
