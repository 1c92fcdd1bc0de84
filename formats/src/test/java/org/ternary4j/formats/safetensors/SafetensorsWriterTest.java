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

    /** Writes the same tensors (each way of writing one) to target, directly when large or through the page cache. */
    private static void writeMixed(Path target, long directFrom) throws IOException {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] f32 = new float[3_000_001], bf16 = new float[2_500_003];
        for (int i = 0; i < f32.length; i++) f32[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < bf16.length; i++) bf16[i] = (float) rnd.nextGaussian();
        byte[] bytes = new byte[1_000_003];
        rnd.nextBytes(bytes);
        List<TensorSpec> specs = List.of(TensorSpec.of("f32", DType.F32, f32.length), TensorSpec.of("bf16", DType.BF16, bf16.length),
                TensorSpec.of("pieces", DType.U8, 2 * bytes.length), TensorSpec.of("u8", DType.U8, bytes.length));
        try (SafetensorsWriter w = SafetensorsWriter.open(target, specs, Map.of("k", "v"), directFrom)) {
            w.writeFloats("f32", f32);
            w.writeFloats("bf16", bf16);
            w.beginPieces("pieces");
            w.writePiece(bytes, 0, bytes.length);
            w.writePiece(java.lang.foreign.MemorySegment.ofArray(bytes));
            w.endPieces();
            w.writeBytes("u8", bytes);
            w.commit();
        }
    }

    @Test
    void directAndPageCacheWritesGiveTheSameFile() throws IOException {
        Path direct = dir.resolve("direct.safetensors"), cached = dir.resolve("cached.safetensors");
        writeMixed(direct, 0);
        writeMixed(cached, Long.MAX_VALUE);
        assertArrayEquals(java.nio.file.Files.readAllBytes(cached), java.nio.file.Files.readAllBytes(direct));
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
