package org.ternary4j.formats.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir Path dir;

    /** IDX bytes written by hand: magic 00 00 type rank, big-endian dims, payload. */
    static byte[] idx(int type, int[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        b.put(payload);
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void readsUnsignedBytesRawAndGzipped() throws IOException {
        byte[] file = idx(0x08, new int[] {2, 2, 3}, new byte[] {0, 1, 2, 3, 4, 5, (byte) 200, (byte) 255, 7, 8, 9, 10});
        float[] expected = {0, 1, 2, 3, 4, 5, 200, 255, 7, 8, 9, 10};
        for (NdArray a : new NdArray[] {IdxReader.read(write("raw", file)), IdxReader.read(write("z.gz", gzip(file)))}) {
            assertArrayEquals(new int[] {2, 2, 3}, a.shape());
            assertArrayEquals(expected, a.data());
        }
    }

    @Test
    void readsBigEndianFloatsAndInts() throws IOException {
        ByteBuffer f = ByteBuffer.allocate(8).putFloat(1.5f).putFloat(-2.25f);
        assertArrayEquals(new float[] {1.5f, -2.25f}, IdxReader.read(write("f", idx(0x0D, new int[] {2}, f.array()))).data());
        ByteBuffer i = ByteBuffer.allocate(8).putInt(70000).putInt(-3);
        assertArrayEquals(new float[] {70000, -3}, IdxReader.read(write("i", idx(0x0C, new int[] {2}, i.array()))).data());
        assertArrayEquals(new float[] {-1, 127}, IdxReader.read(write("b", idx(0x09, new int[] {2}, new byte[] {-1, 127}))).data());
    }

    @Test
    void rejectsBadMagicTruncationTrailingBytesAndOverflow() throws IOException {
        String bad = assertThrows(IOException.class, () -> IdxReader.read(write("bad", new byte[] {1, 0, 8, 1, 0, 0, 0, 0}))).getMessage();
        assertTrue(bad.contains("bad") && bad.contains("magic"), bad);
        Path unknownType = write("type", new byte[] {0, 0, 0x42, 1, 0, 0, 0, 0});
        assertTrue(assertThrows(IOException.class, () -> IdxReader.read(unknownType)).getMessage().contains("magic"));

        byte[] full = idx(0x08, new int[] {3, 4}, new byte[12]);
        Path truncated = write("trunc", Arrays.copyOf(full, full.length - 1));
        String t = assertThrows(IOException.class, () -> IdxReader.read(truncated)).getMessage();
        assertTrue(t.startsWith(truncated.toString()) && t.contains("truncated"), t);
        Path header = write("hdr", Arrays.copyOf(full, 6));
        assertTrue(assertThrows(IOException.class, () -> IdxReader.read(header)).getMessage().contains("truncated IDX header"));

        Path trailing = write("trail", Arrays.copyOf(full, full.length + 3));
        assertTrue(assertThrows(IOException.class, () -> IdxReader.read(trailing)).getMessage().contains("3 unexpected bytes"));

        Path huge = write("huge", idx(0x08, new int[] {65536, 65536}, new byte[0]));
        assertTrue(assertThrows(IOException.class, () -> IdxReader.read(huge)).getMessage().contains("more values than an array"));
        Path negative = write("neg", idx(0x08, new int[] {-2}, new byte[0]));
        assertTrue(assertThrows(IOException.class, () -> IdxReader.read(negative)).getMessage().contains("too large"));

        byte[] gz = gzip(full);
        Path cutGzip = write("cut.gz", Arrays.copyOf(gz, gz.length - 6));
        assertTrue(assertThrows(IOException.class, () -> IdxReader.read(cutGzip)).getMessage().contains("gzip"));
        Path missing = dir.resolve("nope");
        assertEquals(missing + ": no such file", assertThrows(IOException.class, () -> IdxReader.read(missing)).getMessage());
    }
}
