package org.ternary4j.formats.safetensors;

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
        assertTrue(failure(f).startsWith(f + ": not a safetensors file (its first 8 bytes give a header length of " + Long.toUnsignedString(length)
                + " bytes, beyond the 100000000-byte limit)"), failure(f));
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

    /** Fuzzing finding: Jackson guessed UTF-32 from these bytes and threw a CharConversionException without the file name. */
    @Test
    void headerThatLooksLikeUtf32IsMalformedJsonNamingTheFile() throws IOException {
        byte[] json = new byte[41];
        json[4] = 0x44;
        for (int i = 5; i < 26; i++) json[i] = 0x44;
        Path f = Files.write(dir.resolve("utf32.safetensors"), java.nio.ByteBuffer.allocate(8 + 41).order(ByteOrder.LITTLE_ENDIAN).putLong(41).put(json).array());
        String msg = failure(f);
        assertTrue(msg.startsWith(f + ": malformed header JSON"), msg);
    }

    @Test
    void headerThatIsNotUtf8() throws IOException {
        Path f = dir.resolve("latin1.safetensors");
        byte[] json = "{\"__metadata__\":{\"k\":\"caf\u00e9\"}}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Files.write(f, java.nio.ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).put(json).array());
        assertTrue(failure(f).equals(f + ": header is not valid UTF-8"), failure(f));
    }

    @Test
    void limitsOnFileSizeTensorCountMetadataAndRank() throws IOException {
        Path three = header("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]},"
                + "\"c\":{\"dtype\":\"U8\",\"shape\":[1,1,1],\"data_offsets\":[2,3]},\"__metadata__\":{\"x\":\"1\",\"y\":\"2\",\"z\":\"3\"}}", 3);
        try (SafetensorsReader r = SafetensorsReader.open(three, new ReadLimits(Files.size(three), 3, 3))) {
            assertEquals(3, r.tensors().size()); // exactly at every limit is accepted
        }
        IOException e = assertThrows(IOException.class, () -> SafetensorsReader.open(three, new ReadLimits(Files.size(three) - 1, 3, 3)));
        assertEquals(three + ": " + Files.size(three) + " bytes exceeds the file size limit of " + (Files.size(three) - 1) + " bytes", e.getMessage());
        e = assertThrows(IOException.class, () -> SafetensorsReader.open(three, new ReadLimits(1 << 20, 2, 3)));
        assertTrue(e.getMessage().startsWith(three + ": header declares more than 2 tensors"), e.getMessage());
        e = assertThrows(IOException.class, () -> SafetensorsReader.open(three, new ReadLimits(1 << 20, 3, 2)));
        assertTrue(e.getMessage().startsWith(three + ": header has an array of more than 2 entries"), e.getMessage());
        Path meta = header("{\"__metadata__\":{\"x\":\"1\",\"y\":\"2\",\"z\":\"3\",\"w\":\"4\"}}", 0);
        e = assertThrows(IOException.class, () -> SafetensorsReader.open(meta, new ReadLimits(1 << 20, 3, 3)));
        assertTrue(e.getMessage().startsWith(meta + ": header declares more than 3 __metadata__ entries"), e.getMessage());
    }

    /** 100 MB of "[1,1,1,..." would be tens of millions of JSON nodes; the default rank limit stops it while streaming. */
    @Test
    void hugeShapeArrayIsRefusedByTheDefaultRankLimit() throws IOException {
        String shape = "1,".repeat(100_000) + "1";
        String msg = failure(header("{\"a\":{\"dtype\":\"U8\",\"shape\":[" + shape + "],\"data_offsets\":[0,1]}}", 1));
        assertTrue(msg.contains("header has an array of more than 64 entries"), msg);
    }

    /** The dims multiply past 2^63 only with all of them: [2^32, 2^32] U8. */
    @Test
    void dimensionProductOverflowingALong() throws IOException {
        String msg = failure(header("{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4));
        assertTrue(msg.contains("tensor 'a': shape [4294967296, 4294967296] overflows"), msg);
    }

    @Test
    void zeroSizeTensorsAreValidAndReadEmpty() throws IOException {
        Path f = header("{\"e\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[0,0]},\"z\":{\"dtype\":\"BF16\",\"shape\":[3,0],\"data_offsets\":[0,0]},"
                + "\"x\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(0, r.readFloats(r.tensor("e")).length);
            assertEquals(0, r.readFloats(r.tensor("z")).length);
            assertEquals(2, r.readBytes(r.tensor("x")).length);
        }
    }
}
