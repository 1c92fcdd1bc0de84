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
}
