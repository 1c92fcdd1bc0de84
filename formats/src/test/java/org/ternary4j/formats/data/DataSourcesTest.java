package org.ternary4j.formats.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSourcesTest {
    @TempDir Path dir;

    static final String F4_2x2 = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }";
    static final byte[] X = NpyReaderTest.le(4, b -> { for (int i = 0; i < 6; i++) b.putFloat(i * 0.5f); }, 6);
    static final byte[] Y = NpyReaderTest.le(8, b -> b.putLong(2).putLong(0).putLong(1), 3);
    static final String I8_3 = "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }";

    /** An .npz as NumPy writes it: a zip of NAME.npy entries; {@code stored} mimics np.savez, else savez_compressed. */
    static Path npz(Path file, Map<String, byte[]> arrays, boolean stored) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (var e : arrays.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
                if (stored) {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    entry.setMethod(ZipEntry.STORED);
                    entry.setSize(e.getValue().length);
                    entry.setCrc(crc.getValue());
                }
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return file;
    }

    @Test
    void npzWithInputsAndLabels() throws IOException {
        for (boolean stored : new boolean[] {true, false}) {
            Map<String, byte[]> m = new LinkedHashMap<>();
            m.put("x", NpyReaderTest.npy(F4_2x2, X));
            m.put("y", NpyReaderTest.npy(I8_3, Y));
            Dataset d = DataSources.load(npz(dir.resolve("d" + stored + ".npz"), m, stored).toString(), null);
            assertEquals(3, d.count());
            assertNull(d.inputs().get(0).name());
            assertArrayEquals(new float[] {0, 0.5f, 1, 1.5f, 2, 2.5f}, d.inputs().get(0).array().data());
            assertArrayEquals(new int[] {2, 0, 1}, d.labels());
            Dataset two = d.limit(2);
            assertArrayEquals(new int[] {2, 0}, two.labels());
            assertArrayEquals(new int[] {2, 2}, two.inputs().get(0).array().shape());
        }
    }

    @Test
    void npzWithArraysNamedAfterModelInputs() throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("input_ids", NpyReaderTest.npy(F4_2x2, X));
        m.put("attention_mask", NpyReaderTest.npy(F4_2x2, X));
        Dataset d = DataSources.load(npz(dir.resolve("named.npz"), m, true).toString(), null);
        assertEquals(Arrays.asList("input_ids", "attention_mask"), d.inputs().stream().map(Dataset.NamedArray::name).toList());
        assertTrue(!d.hasLabels());

        m.put("x", NpyReaderTest.npy(F4_2x2, X));
        Path mixed = npz(dir.resolve("mixed.npz"), m, true);
        assertTrue(assertThrows(IOException.class, () -> DataSources.load(mixed.toString(), null)).getMessage().contains("has 'x' and also"));
    }

    @Test
    void npyWithSeparateLabelsAndMismatches() throws IOException {
        Path x = Files.write(dir.resolve("x.npy"), NpyReaderTest.npy(F4_2x2, X));
        Path y = Files.write(dir.resolve("y.npy"), NpyReaderTest.npy(I8_3, Y));
        Dataset d = DataSources.load(x.toString(), y);
        assertArrayEquals(new int[] {2, 0, 1}, d.labels());

        Path y2 = Files.write(dir.resolve("y2.npy"), NpyReaderTest.npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", Arrays.copyOf(Y, 16)));
        String m = assertThrows(IOException.class, () -> DataSources.load(x.toString(), y2)).getMessage();
        assertTrue(m.startsWith(y2.toString()) && m.contains("2 labels for 3 examples"), m);

        Map<String, byte[]> arrays = new LinkedHashMap<>();
        arrays.put("x", NpyReaderTest.npy(F4_2x2, X));
        arrays.put("y", NpyReaderTest.npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", Arrays.copyOf(Y, 16)));
        Path bad = npz(dir.resolve("bad.npz"), arrays, false);
        assertTrue(assertThrows(IOException.class, () -> DataSources.load(bad.toString(), null)).getMessage().contains("2 labels for 3 examples"));

        Path neg = Files.write(dir.resolve("neg.npy"), NpyReaderTest.npy(I8_3, NpyReaderTest.le(8, b -> b.putLong(1).putLong(-1).putLong(0), 3)));
        assertThrows(IOException.class, () -> DataSources.load(x.toString(), neg));
        assertTrue(assertThrows(IOException.class, () -> DataSources.load(dir.resolve("none.npz").toString(), null)).getMessage().contains("no such file"));
        Path notZip = Files.write(dir.resolve("broken.npz"), new byte[] {'P', 'K', 3, 4, 0, 0});
        assertTrue(assertThrows(IOException.class, () -> DataSources.load(notZip.toString(), null)).getMessage().startsWith(notZip.toString()));
    }

    @Test
    void idxFolderIsScaledToUnitRangeInNchw() throws IOException {
        byte[] pixels = new byte[2 * 2 * 3];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) (i * 23);
        Files.write(dir.resolve("t10k-images-idx3-ubyte.gz"), DataFiles.gzip(IdxReaderTest.idx(0x08, new int[] {2, 2, 3}, pixels)));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), IdxReaderTest.idx(0x08, new int[] {2}, new byte[] {7, 1}));
        Dataset d = DataSources.load(dir.toString(), null);
        assertArrayEquals(new int[] {2, 1, 2, 3}, d.inputs().get(0).array().shape());
        for (int i = 0; i < pixels.length; i++) assertEquals((pixels[i] & 0xff) / 255f, d.inputs().get(0).array().data()[i]);
        assertArrayEquals(new int[] {7, 1}, d.labels());

        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), IdxReaderTest.idx(0x08, new int[] {3}, new byte[] {7, 1, 2}));
        assertTrue(assertThrows(IOException.class, () -> DataSources.load(dir.toString(), null)).getMessage().contains("3 labels for 2 images"));
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte"));
        assertTrue(assertThrows(IOException.class, () -> DataSources.load(dir.toString(), null)).getMessage().contains("missing t10k-labels-idx1-ubyte"));
    }

    /** The real test split, from Debian's dataset-fashion-mnist package (.ci/run installs it). */
    @Test
    void fashionMnistTestSplit() throws IOException {
        Dataset d = DataSources.load("fashion-mnist", null);
        assertEquals(10_000, d.count());
        assertArrayEquals(new int[] {10_000, 1, 28, 28}, d.inputs().get(0).array().shape());
        int[] perClass = new int[10];
        for (int y : d.labels()) perClass[y]++;
        for (int c : perClass) assertEquals(1000, c);
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (float v : d.inputs().get(0).array().data()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertEquals(0f, min);
        assertEquals(1f, max);
    }

    private String refusal(Path file) {
        IOException e = assertThrows(IOException.class, () -> DataSources.load(file.toString(), null));
        assertTrue(e.getMessage().startsWith(file + ":"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void nonFiniteInputsAndEmptySetsAreRefused() throws IOException {
        byte[] withNan = NpyReaderTest.le(4, b -> { for (int i = 0; i < 6; i++) b.putFloat(i == 3 ? Float.NaN : i); }, 6);
        Path nan = Files.write(dir.resolve("nan.npy"), NpyReaderTest.npy(F4_2x2, withNan));
        assertTrue(refusal(nan).contains("value NaN at example 1 is not finite"), refusal(nan));
        byte[] withInf = NpyReaderTest.le(4, b -> { for (int i = 0; i < 6; i++) b.putFloat(i == 0 ? Float.NEGATIVE_INFINITY : i); }, 6);
        Path inf = npz(dir.resolve("inf.npz"), Map.of("input_ids", NpyReaderTest.npy(F4_2x2, withInf)), true);
        assertTrue(refusal(inf).contains("array 'input_ids' value -Infinity at example 0"), refusal(inf));
        Path empty = Files.write(dir.resolve("empty.npy"), NpyReaderTest.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2), }", new byte[0]));
        assertTrue(refusal(empty).endsWith(": no examples"), refusal(empty));
    }

    @Test
    void npzEntriesMustHavePlainUniqueNames() throws IOException {
        Path up = npz(dir.resolve("up.npz"), Map.of("../x", NpyReaderTest.npy(F4_2x2, X)), true);
        assertTrue(refusal(up).contains("entry '../x.npy' is not a plain array name"), refusal(up));
        // ZipOutputStream refuses to write a repeated name, so write a.npy and b.npy and rename b to a in place.
        Path two = npz(dir.resolve("two.npz"), new LinkedHashMap<>(Map.of("a", NpyReaderTest.npy(F4_2x2, X), "b", NpyReaderTest.npy(F4_2x2, X))), true);
        byte[] bytes = Files.readAllBytes(two);
        String latin = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).replace("b.npy", "a.npy");
        Files.write(two, latin.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertTrue(refusal(two).contains("two entries named 'a.npy'"), refusal(two));
    }

    @Test
    void withoutTheInstalledSetTheBundledSliceIsUsedAndSaysSo() throws IOException {
        Dataset test = DataSources.fashionMnist(dir.resolve("not-installed"), "t10k");
        Dataset train = DataSources.fashionMnist(dir.resolve("not-installed"), "train");
        assertArrayEquals(new int[] {1000, 1, 28, 28}, test.inputs().get(0).array().shape());
        assertEquals(1024, train.count());
        assertTrue(test.source().contains("bundled Fashion-MNIST slice"), test.source());
        Path installed = Path.of(DataSources.FASHION_MNIST);
        if (Files.isDirectory(installed)) {
            // The slice is the first 1000 test images and every 60000/1024-th training image of the real set.
            Dataset full = DataSources.fashionMnist(installed, "t10k");
            assertArrayEquals(full.limit(1000).inputs().get(0).array().data(), test.inputs().get(0).array().data());
            assertArrayEquals(Arrays.copyOf(full.labels(), 1000), test.labels());
            Dataset fullTrain = DataSources.fashionMnist(installed, "train");
            int i = 777, at = (int) ((long) i * 60000 / 1024);
            assertEquals(fullTrain.labels()[at], train.labels()[i]);
            assertArrayEquals(fullTrain.slice(at, at + 1).inputs().get(0).array().data(), train.slice(i, i + 1).inputs().get(0).array().data());
        }
    }

    @Test
    void aFifoIsRefusedInsteadOfBlocking() throws Exception {
        Path fifo = dir.resolve("data.npz");
        org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo unavailable");
        assertTrue(refusal(fifo).endsWith(": not a regular file"), refusal(fifo));
        IOException e = assertThrows(IOException.class, () -> org.ternary4j.formats.safetensors.SafetensorsReader.open(fifo));
        assertEquals(fifo + ": not a regular file", e.getMessage());
        IOException o = assertThrows(IOException.class, () -> org.ternary4j.formats.onnx.OnnxModel.read(fifo));
        assertEquals(fifo + ": not a regular file", o.getMessage());
    }
}
