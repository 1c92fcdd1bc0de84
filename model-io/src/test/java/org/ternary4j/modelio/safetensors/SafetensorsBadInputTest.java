package org.ternary4j.modelio.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every way a hostile or broken file can be wrong gives one line naming the file and the problem. */
class SafetensorsBadInputTest {
    @TempDir Path dir;

    private String failure(Path file) {
        IOException e = assertThrows(IOException.class, () -> SafetensorsReader.open(file).close());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    private Path header(String json, int dataBytes) throws IOException {
        return RawFiles.write(dir.resolve("bad.safetensors"), json, new byte[dataBytes]);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7})
    void fileShorterThanEightBytes(int size) throws IOException {
        Path f = Files.write(dir.resolve("short.safetensors"), new byte[size]);
        assertTrue(failure(f).contains("too short"));
    }

    @Test
    void truncatedHeader() throws IOException {
        Path full = RawFiles.write(dir.resolve("t.safetensors"), "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[4]);
        byte[] b = Files.readAllBytes(full);
        Path cut = Files.write(dir.resolve("cut.safetensors"), java.util.Arrays.copyOf(b, 20));
        assertTrue(failure(cut).contains("runs past the end of the file"));
        Path cutData = Files.write(dir.resolve("cutdata.safetensors"), java.util.Arrays.copyOf(b, b.length - 1));
        assertTrue(failure(cutData).contains("run past the data section"));
    }

    @ParameterizedTest
    @ValueSource(longs = {100_000_001L, 1L << 40, -1L})
    void absurdHeaderLength(long length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        Path f = Files.write(dir.resolve("absurd.safetensors"), b.array());
        assertTrue(failure(f).contains("exceeds the 100000000-byte limit"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{                                                                   | malformed header JSON",
            "{\"a\":1,}                                                          | malformed header JSON",
            "[1, 2]                                                              | header is not a JSON object",
            "{} {}                                                               | malformed header JSON",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}} x | malformed header JSON",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,4]}} | Duplicate",
            "{\"a\":5}                                                           | tensor 'a': entry is not a JSON object",
            "{\"a\":{\"shape\":[4],\"data_offsets\":[0,4]}}                      | tensor 'a': missing or non-string dtype",
            "{\"a\":{\"dtype\":\"F128\",\"shape\":[4],\"data_offsets\":[0,4]}}   | tensor 'a': unknown dtype 'F128'",
            "{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,4]}}                   | tensor 'a': missing or non-array shape",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[-4],\"data_offsets\":[0,4]}}    | shape entry -4 is not a non-negative 64-bit integer",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,4]}}   | shape entry 1.5 is not",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[\"4\"],\"data_offsets\":[0,4]}} | shape entry \"4\" is not",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0]}}       | data_offsets must have 2 entries",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,99999999999999999999]}} | not a non-negative 64-bit integer",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,0]}}     | run backwards",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,5]}}     | run past the data section (4 bytes)",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}    | hold 4 bytes but shape [2] of F32 needs 8",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}} | overflows",
            "{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,4]}}     | does not fill whole bytes",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}} | tensors 'a' and 'b' overlap",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}} | data bytes [1, 2) belong to no tensor",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]}}     | data section has 4 bytes but the tensors cover 3",
            "{\"__metadata__\":{\"k\":1}}                                        | __metadata__ value of 'k' is not a string",
            "{\"__metadata__\":[]}                                               | __metadata__ is not a JSON object",
    })
    void badHeaders(String json, String expected) throws IOException {
        String msg = failure(header(json.strip(), 4));
        assertTrue(msg.contains(expected.strip()), msg);
    }

    @Test
    void deeplyNestedJsonIsRefusedByTheParserLimits() throws IOException {
        String deep = "{\"__metadata__\":" + "[".repeat(100) + "]".repeat(100) + "}";
        assertTrue(failure(header(deep, 0)).contains("malformed header JSON"));
    }

    @Test
    void missingFileAndFolder() {
        assertThrows(NoSuchFileException.class, () -> SafetensorsReader.open(dir.resolve("nope.safetensors")));
        assertTrue(failure(dir).contains("is a folder"));
    }

    @Test
    void emptyHeaderWithNoDataIsValid() throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(header("{}", 0))) {
            assertEquals(0, r.tensors().size());
        }
    }
}
