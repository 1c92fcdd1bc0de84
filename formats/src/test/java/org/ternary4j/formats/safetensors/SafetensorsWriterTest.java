package org.ternary4j.formats.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {
    @TempDir Path dir;

    @Test
    void copyTensorWritesTheSourceBytesAcrossSeveralReads() throws IOException {
        int n = SafetensorsReader.CHUNK + 7;
        byte[] data = new byte[n + 3];
        new SplittableRandom(9).nextBytes(data);
        Path in = RawFiles.write(dir.resolve("in.safetensors"), "{\"small\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
                + "\"big\":{\"dtype\":\"U8\",\"shape\":[" + n + "],\"data_offsets\":[3," + (n + 3) + "]}}", data);
        Path out = dir.resolve("out.safetensors");
        try (SafetensorsReader r = SafetensorsReader.open(in);
             SafetensorsWriter w = SafetensorsWriter.open(out, List.of(TensorSpec.of("big", DType.U8, n), TensorSpec.of("small", DType.U8, 3)), Map.of())) {
            w.copyTensor("big", r, r.tensor("big"));
            w.copyTensor("small", r, r.tensor("small"));
            w.commit();
        }
        try (SafetensorsReader r = SafetensorsReader.open(out)) {
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 3, n + 3), r.readBytes(r.tensor("big")));
            assertArrayEquals(java.util.Arrays.copyOf(data, 3), r.readBytes(r.tensor("small")));
        }
    }

    @Test
    void copyTensorRefusesATensorOfAnotherSize() throws IOException {
        Path in = RawFiles.write(dir.resolve("in.safetensors"), "{\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]}}", new byte[3]);
        try (SafetensorsReader r = SafetensorsReader.open(in);
             SafetensorsWriter w = SafetensorsWriter.open(dir.resolve("out.safetensors"), List.of(TensorSpec.of("a", DType.U8, 4)), Map.of())) {
            assertThrows(IllegalArgumentException.class, () -> w.copyTensor("a", r, r.tensor("a")));
        }
    }
}
