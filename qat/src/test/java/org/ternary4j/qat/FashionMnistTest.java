package org.ternary4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The IDX reader against files written here byte by byte, plain and gzipped, good and broken. */
class FashionMnistTest {
    @TempDir
    Path dir;

    private static byte[] images(int n, int rows, int magic) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(magic);
        d.writeInt(n);
        d.writeInt(rows);
        d.writeInt(28);
        for (int i = 0; i < n * rows * 28; i++) d.writeByte(i % 256);
        return b.toByteArray();
    }

    private static byte[] labels(int... l) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(0x801);
        d.writeInt(l.length);
        for (int x : l) d.writeByte(x);
        return b.toByteArray();
    }

    private void write(String name, byte[] bytes, boolean gz) throws IOException {
        try (OutputStream o = gz ? new GZIPOutputStream(Files.newOutputStream(dir.resolve(name + ".gz"))) : Files.newOutputStream(dir.resolve(name))) {
            o.write(bytes);
        }
    }

    @Test
    void readsPixelsAsFractionsOf255AndLabels() throws IOException {
        write("train-images-idx3-ubyte", images(2, 28, 0x803), true);
        write("train-labels-idx1-ubyte", labels(3, 9), false);
        FashionMnist.Split s = FashionMnist.load(dir, "train");
        assertEquals(2, s.count());
        assertArrayEquals(new int[] {3, 9}, s.labels());
        assertEquals(0f, s.pixels()[0]);
        assertEquals(255 / 255f, s.pixels()[255]);
        assertEquals((784 % 256) / 255f, s.pixels()[784], "second image starts at byte 784");
        assertEquals(1, s.first(1).count());
        assertEquals(784, s.first(1).pixels().length);
    }

    @Test
    void brokenFilesGiveOneLineNamingTheFile() throws IOException {
        write("a-images-idx3-ubyte", images(2, 28, 0x801), false);
        write("a-labels-idx1-ubyte", labels(1, 2), false);
        IOException e = assertThrows(IOException.class, () -> FashionMnist.load(dir, "a"));
        // a labels magic: read as a vector, then its trailing image bytes are refused
        assertTrue(e.getMessage().contains("a-images-idx3-ubyte") && e.getMessage().contains("unexpected bytes after the data"), e.getMessage());

        byte[] full = images(2, 28, 0x803);
        write("b-images-idx3-ubyte", java.util.Arrays.copyOf(full, full.length - 10), false);
        write("b-labels-idx1-ubyte", labels(1, 2), false);
        e = assertThrows(IOException.class, () -> FashionMnist.load(dir, "b"));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());

        write("c-images-idx3-ubyte", images(2, 28, 0x803), false);
        write("c-labels-idx1-ubyte", labels(1, 12), false);
        e = assertThrows(IOException.class, () -> FashionMnist.load(dir, "c"));
        assertTrue(e.getMessage().contains("label 12"), e.getMessage());

        write("d-images-idx3-ubyte", images(2, 28, 0x803), false);
        write("d-labels-idx1-ubyte", labels(1, 2, 3), false);
        e = assertThrows(IOException.class, () -> FashionMnist.load(dir, "d"));
        assertTrue(e.getMessage().contains("3 labels for 2 images"), e.getMessage());

        write("e-images-idx3-ubyte", images(1, 27, 0x803), false);
        write("e-labels-idx1-ubyte", labels(1), false);
        e = assertThrows(IOException.class, () -> FashionMnist.load(dir, "e"));
        assertTrue(e.getMessage().contains("27×28"), e.getMessage());

        e = assertThrows(IOException.class, () -> FashionMnist.load(dir, "missing"));
        assertTrue(e.getMessage().contains("missing missing-images-idx3-ubyte[.gz]"), e.getMessage());
    }

    @Test
    void realTestSplitHasTenThousandBalancedImages() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR));
        FashionMnist.Split s = FashionMnist.load(FashionMnist.DEFAULT_DIR, "t10k");
        assertEquals(10_000, s.count());
        int[] perClass = new int[10];
        for (int l : s.labels()) perClass[l]++;
        for (int c : perClass) assertEquals(1000, c);
        for (float p : s.pixels()) assertTrue(p >= 0 && p <= 1);
    }
}
