package org.ternary4j.formats.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyReaderTest {
    @TempDir Path dir;

    /** An .npy v1.0 file built byte by byte, header exactly as a literal dict. */
    static byte[] npy(String dict, byte[] payload) {
        return npy(1, dict, payload);
    }

    static byte[] npy(int major, String dict, byte[] payload) {
        byte[] text = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
        int lenBytes = major == 1 ? 2 : 4;
        ByteBuffer b = ByteBuffer.allocate(8 + lenBytes + text.length + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) b.putShort((short) text.length);
        else b.putInt(text.length);
        b.put(text).put(payload);
        return b.array();
    }

    static byte[] le(int bytesPer, java.util.function.Consumer<ByteBuffer> fill, int n) {
        ByteBuffer b = ByteBuffer.allocate(bytesPer * n).order(ByteOrder.LITTLE_ENDIAN);
        fill.accept(b);
        return b.array();
    }

    @Test
    void readsEachSupportedDtype() throws IOException {
        byte[] f4 = le(4, b -> b.putFloat(1.5f).putFloat(-2f).putFloat(3.25f).putFloat(0f).putFloat(7f).putFloat(8f), 6);
        NdArray a = NpyReader.read(DataFiles.write(dir, "f4.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f4)));
        assertArrayEquals(new int[] {2, 3}, a.shape());
        assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 0f, 7f, 8f}, a.data());

        byte[] f8 = le(8, b -> b.putDouble(0.1).putDouble(-1e300), 2);
        NdArray d = NpyReader.read(DataFiles.write(dir, "f8.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", f8)));
        assertArrayEquals(new float[] {0.1f, Float.NEGATIVE_INFINITY}, d.data());

        NdArray u = NpyReader.read(DataFiles.write(dir, "u1.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", new byte[] {0, (byte) 128, (byte) 255})));
        assertArrayEquals(new float[] {0, 128, 255}, u.data());

        byte[] i8 = le(8, b -> b.putLong(-5).putLong(1L << 40), 2);
        NdArray l = NpyReader.read(DataFiles.write(dir, "i8.npy", npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", i8)));
        assertArrayEquals(new float[] {-5, (float) (1L << 40)}, l.data());

        ByteBuffer be = ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN).putFloat(6.5f);
        NdArray big = NpyReader.read(DataFiles.write(dir, "be.npy", npy(2, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", be.array())));
        assertArrayEquals(new float[] {6.5f}, big.data());

        NdArray scalar = NpyReader.read(DataFiles.write(dir, "s.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", le(4, b -> b.putFloat(9f), 1))));
        assertArrayEquals(new int[0], scalar.shape());
    }

    @Test
    void readsLabelsExactly() throws IOException {
        byte[] i8 = le(8, b -> b.putLong(3).putLong(0).putLong(9), 3);
        assertArrayEquals(new int[] {3, 0, 9}, NpyReader.readLabels(DataFiles.write(dir, "y.npy", npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", i8))));
        Path frac = DataFiles.write(dir, "frac.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", le(4, b -> b.putFloat(1f).putFloat(2.5f), 2)));
        assertTrue(assertThrows(IOException.class, () -> NpyReader.readLabels(frac)).getMessage().contains("label 2.5 at index 1"));
        Path matrix = DataFiles.write(dir, "m.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", new byte[4]));
        assertTrue(assertThrows(IOException.class, () -> NpyReader.readLabels(matrix)).getMessage().contains("must be a vector"));
    }

    @Test
    void writerRoundTripsAndMatchesNumpyHeaderLayout() throws IOException {
        SplittableRandom r = new SplittableRandom(7);
        for (int[] shape : new int[][] {{5}, {2, 3}, {3, 1, 2, 2}, {0, 4}}) {
            float[] v = new float[(int) NdArray.elementCount(shape, "t")];
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
            NdArray a = new NdArray(shape, v);
            Path p = dir.resolve("rt" + Arrays.toString(shape) + ".npy");
            NpyWriter.writeFloats(p, a);
            assertEquals(a, NpyReader.read(p));
            assertEquals(0, (Files.size(p) - v.length * 4L) % 64, "header padded to 64 bytes as NumPy does");
        }
        Path y = dir.resolve("y.npy");
        NpyWriter.writeLongs(y, new int[] {4}, new long[] {1, 0, 7, 2});
        assertArrayEquals(new int[] {1, 0, 7, 2}, NpyReader.readLabels(y));
        // NumPy writes (5,) for one dimension and (2, 3) for two: the reader must accept both spellings.
        assertTrue(new String(NpyWriter.header("<f4", new int[] {5}), StandardCharsets.ISO_8859_1).contains("'shape': (5,)"));
        assertTrue(new String(NpyWriter.header("<f4", new int[] {2, 3}), StandardCharsets.ISO_8859_1).contains("'shape': (2, 3)"));
    }

    @Test
    void rejectsMalformedFilesWithTheFileName() throws IOException {
        byte[] ok = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", new byte[16]);
        Path trunc = DataFiles.write(dir, "t.npy", Arrays.copyOf(ok, ok.length - 1));
        String m = assertThrows(IOException.class, () -> NpyReader.read(trunc)).getMessage();
        assertTrue(m.startsWith(trunc.toString()) && m.contains("truncated"), m);
        Path trailing = DataFiles.write(dir, "x.npy", Arrays.copyOf(ok, ok.length + 4));
        assertTrue(assertThrows(IOException.class, () -> NpyReader.read(trailing)).getMessage().contains("4 unexpected bytes"));
        Path magic = DataFiles.write(dir, "m.npy", "not numpy at all".getBytes(StandardCharsets.US_ASCII));
        assertTrue(assertThrows(IOException.class, () -> NpyReader.read(magic)).getMessage().contains("bad magic"));
        Path fortran = DataFiles.write(dir, "f.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16]));
        assertTrue(assertThrows(IOException.class, () -> NpyReader.read(fortran)).getMessage().contains("Fortran"));
        Path complex = DataFiles.write(dir, "c.npy", npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new byte[8]));
        assertTrue(assertThrows(IOException.class, () -> NpyReader.read(complex)).getMessage().contains("unsupported dtype"));
        Path overflow = DataFiles.write(dir, "o.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }", new byte[0]));
        assertTrue(assertThrows(IOException.class, () -> NpyReader.read(overflow)).getMessage().contains("more values than an array"));
        Path garbled = DataFiles.write(dir, "g.npy", npy("{'descr': '<f4', 'shape': (1,), }", new byte[4]));
        assertTrue(assertThrows(IOException.class, () -> NpyReader.read(garbled)).getMessage().contains("malformed"));
        Path version = DataFiles.write(dir, "v.npy", npy(9, "{}", new byte[0]));
        assertTrue(assertThrows(IOException.class, () -> NpyReader.read(version)).getMessage().contains("version 9"));
    }
}
