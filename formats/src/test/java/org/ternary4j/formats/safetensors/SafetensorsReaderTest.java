package org.ternary4j.formats.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsReaderTest {
    @TempDir Path dir;

    /** Two tensors, the second's 12 data bytes 10, 11, … 21, written byte by byte. */
    private Path twoTensors() throws IOException {
        byte[] data = new byte[16];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (6 + i);
        return RawFiles.write(dir.resolve("m.safetensors"),
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[4,16]}}", data);
    }

    @Test
    void readCopiesAnyRangeOfATensorIntoNativeMemory() throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(twoTensors()); Arena arena = Arena.ofConfined()) {
            TensorInfo b = r.tensor("b");
            MemorySegment whole = arena.allocate(12);
            r.read(b, 0, whole);
            assertArrayEquals(r.readBytes(b), whole.toArray(ValueLayout.JAVA_BYTE));
            MemorySegment part = arena.allocate(5);
            r.read(b, 7, part);
            assertArrayEquals(new byte[] {17, 18, 19, 20, 21}, part.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void readRefusesRangesOutsideTheTensor() throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(twoTensors()); Arena arena = Arena.ofConfined()) {
            TensorInfo a = r.tensor("a");
            assertThrows(IllegalArgumentException.class, () -> r.read(a, 1, arena.allocate(4)));
            assertThrows(IllegalArgumentException.class, () -> r.read(a, -1, arena.allocate(1)));
        }
    }

    @Test
    void aFileTruncatedAfterOpeningIsOneLineNamingIt() throws IOException {
        Path file = twoTensors();
        try (SafetensorsReader r = SafetensorsReader.open(file); Arena arena = Arena.ofConfined()) {
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(f.length() - 3);
            }
            IOException e = assertThrows(IOException.class, () -> r.read(r.tensor("b"), 0, arena.allocate(12)));
            assertEquals(file + ": tensor 'b': unexpected end of file; truncated while being read?", e.getMessage());
        }
    }

    @Test
    void wholeTensorsLargerThanOneReadComeBackInEveryWidth() throws IOException {
        int n = SafetensorsReader.CHUNK / 4 * 3 + 5; // several chunks and a partial one, for every element size
        byte[] data = new byte[4 * n];
        new java.util.SplittableRandom(5).nextBytes(data);
        byte[] thrice = new byte[12 * n]; // the same bytes as each tensor (tensors may not overlap)
        for (int k = 0; k < 3; k++) System.arraycopy(data, 0, thrice, 4 * n * k, 4 * n);
        Path file = RawFiles.write(dir.resolve("big.safetensors"), "{\"f\":{\"dtype\":\"F32\",\"shape\":[" + n + "],\"data_offsets\":[0," + 4 * n
                + "]},\"h\":{\"dtype\":\"BF16\",\"shape\":[" + 2 * n + "],\"data_offsets\":[" + 4 * n + "," + 8 * n + "]},\"b\":{\"dtype\":\"U8\",\"shape\":[" + 4 * n
                + "],\"data_offsets\":[" + 8 * n + "," + 12 * n + "]}}", thrice);
        java.nio.ByteBuffer le = java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertArrayEquals(data, r.readBytes(r.tensor("b")));
            short[] h = r.readShorts(r.tensor("h"));
            for (int i = 0; i < 2 * n; i++) assertEquals(le.getShort(2 * i), h[i], "short " + i);
            float[] f = r.readFloats(r.tensor("f"));
            for (int i = 0; i < n; i++) assertEquals(le.getInt(4 * i), Float.floatToRawIntBits(f[i]), "float " + i);
        }
    }
}
