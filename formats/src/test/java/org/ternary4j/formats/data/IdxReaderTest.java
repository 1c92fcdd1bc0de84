package org.ternary4j.formats.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
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

    @Test
    void readsUnsignedBytesRawAndGzipped() throws IOException {
        byte[] file = idx(0x08, new int[] {2, 2, 3}, new byte[] {0, 1, 2, 3, 4, 5, (byte) 200, (byte) 255, 7, 8, 9, 10});
        float[] expected = {0, 1, 2, 3, 4, 5, 200, 255, 7, 8, 9, 10};
        for (NdArray a : new NdArray[] {IdxReader.read(DataFiles.write(dir, "raw", file)), IdxReader.read(DataFiles.write(dir, "z.gz", DataFiles.gzip(file)))}) {
            assertArrayEquals(new int[] {2, 2, 3}, a.shape());
            assertArrayEquals(expected, a.data());
        }
    }

    @Test
    void readsBigEndianFloatsAndInts() throws IOException {
        ByteBuffer f = ByteBuffer.allocate(8).putFloat(1.5f).putFloat(-2.25f);
        assertArrayEquals(new float[] {1.5f, -2.25f}, IdxReader.read(DataFiles.write(dir, "f", idx(0x0D, new int[] {2}, f.array()))).data());
        ByteBuffer i = ByteBuffer.allocate(8).putInt(70000).putInt(-3);
        assertArrayEquals(new float[] {70000, -3}, IdxReader.read(DataFiles.write(dir, "i", idx(0x0C, new int[] {2}, i.array()))).data());
        assertArrayEquals(new float[] {-1, 127}, IdxReader.read(DataFiles.write(dir, "b", idx(0x09, new int[] {2}, new byte[] {-1, 127}))).data());
    }

    @Test
    void rejectsBadMagicTruncationTrailingBytesAndOverflow() throws IOException {
        String bad = assertThrows(IOException.class, () -> IdxReader.read(DataFiles.write(dir, "bad", new byte[] {1, 0, 8, 1, 0, 0, 0, 0}))).getMessage();
        assertTrue(bad.contains("bad") && bad.contains("magic"), bad);
        Path unknownType = DataFiles.write(dir, "type", new byte[] {0, 0, 0x42, 1, 0, 0, 0, 0});
        assertTrue(assertThrows(IOException.class, () -> IdxReader.read(unknownType)).getMessage().contains("magic"));

        byte[] full = idx(0x08, new int[] {3, 4}, new byte[12]);
        Path truncated = DataFiles.write(dir, "trunc", Arrays.copyOf(full, full.length - 1));
        String t = assertThrows(IOException.class, () -> IdxReader.read(truncated)).getMessage();
        assertTrue(t.startsWith(truncated.toString()) && t.contains("truncated"), t);
        Path header = DataFiles.write(dir, "hdr", Arrays.copyOf(full, 6));
        assertTrue(assertThrows(IOException.class, () -> IdxReader.read(header)).getMessage().contains("truncated IDX header"));

        Path trailing = DataFiles.write(dir, "trail", Arrays.copyOf(full, full.length + 3));
        assertTrue(assertThrows(IOException.class, () -> IdxReader.read(trailing)).getMessage().contains("3 unexpected bytes"));

        Path huge = DataFiles.write(dir, "huge", idx(0x08, new int[] {65536, 65536}, new byte[0]));
        assertTrue(assertThrows(IOException.class, () -> IdxReader.read(huge)).getMessage().contains("more values than an array"));
        Path negative = DataFiles.write(dir, "neg", idx(0x08, new int[] {-2}, new byte[0]));
        assertTrue(assertThrows(IOException.class, () -> IdxReader.read(negative)).getMessage().contains("too large"));

        byte[] gz = DataFiles.gzip(full);
        Path cutGzip = DataFiles.write(dir, "cut.gz", Arrays.copyOf(gz, gz.length - 6));
        assertTrue(assertThrows(IOException.class, () -> IdxReader.read(cutGzip)).getMessage().contains("gzip"));
        Path missing = dir.resolve("nope");
        assertEquals(missing + ": no such file", assertThrows(IOException.class, () -> IdxReader.read(missing)).getMessage());
    }
}
