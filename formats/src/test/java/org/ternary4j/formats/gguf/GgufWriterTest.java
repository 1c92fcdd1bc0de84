package org.ternary4j.formats.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufWriterTest {
    @TempDir
    Path dir;

    @Test
    void writesHeaderMetadataInfosAlignedOffsetsAndData() throws Exception {
        Random rnd = new Random(3);
        byte[] codes = new byte[2 * 512];
        for (int i = 0; i < codes.length; i++) codes[i] = (byte) (rnd.nextInt(3) - 1);
        float[] scales = {0.5f, 0.25f, 1.0f / 3, 2f};
        float[] norm = {1f, -2f, 3.5f};
        float[] emb = new float[256 * 3];
        for (int i = 0; i < emb.length; i++) emb[i] = (float) rnd.nextGaussian();
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("general.architecture", new GgufValue.Str("llama"));
        kv.put("llama.block_count", new GgufValue.U32(2));
        kv.put("llama.attention.layer_norm_rms_epsilon", new GgufValue.F32(1e-5f));
        kv.put("flag", new GgufValue.Bool(true));
        kv.put("big", new GgufValue.U64(1L << 40));
        kv.put("neg", new GgufValue.I32(-7));
        kv.put("words", new GgufValue.StrArray(List.of("a", "bé")));
        kv.put("ints", new GgufValue.I32Array(new int[] {3, -1}));
        List<GgufTensor> tensors = List.of(
                new GgufTensor("norm", new long[] {3}, GgufType.F32),
                new GgufTensor("w2", new long[] {2, 512}, GgufType.TQ2_0),
                new GgufTensor("w1", new long[] {2, 512}, GgufType.TQ1_0),
                new GgufTensor("emb", new long[] {3, 256}, GgufType.F16));
        Path out = dir.resolve("m.gguf");
        try (GgufWriter w = GgufWriter.open(out, new GgufWriter.Layout(kv, tensors))) {
            w.writeTensor(GgufData.floats(GgufType.F32, norm, 0, 3), true);
            w.writeTensor(GgufData.ternary(new Tq2_0(), codes, scales, 0, 1), false); // two parts
            w.writeTensor(GgufData.ternary(new Tq2_0(), codes, scales, 1, 4), true);
            w.writeTensor(GgufData.ternary(new Tq1_0(), codes, scales, 0, 4), true);
            w.writeTensor(GgufData.floats(GgufType.F16, emb, 0, emb.length), true);
            w.commit();
        }
        GgufTestReader r = new GgufTestReader(out);
        assertEquals(3, r.version);
        assertEquals(Map.of("general.architecture", "llama", "llama.block_count", 2, "llama.attention.layer_norm_rms_epsilon", 1e-5f,
                "flag", true, "big", 1L << 40, "neg", -7, "words", List.of("a", "bé"), "ints", List.of(3, -1)), r.kv);
        assertEquals(List.of("norm", "w2", "w1", "emb"), r.tensors.stream().map(GgufTestReader.Info::name).toList());
        assertArrayEquals(new long[] {512, 2}, r.tensor("w2").ne()); // ne[0] is the row length
        assertEquals(35, r.tensor("w2").type());
        assertEquals(34, r.tensor("w1").type());
        assertEquals(1, r.tensor("emb").type());
        // Offsets: each tensor padded to 32 bytes; 12 → 32, 4·66 = 264 → 288, 4·54 = 216 → 224.
        assertEquals(List.of(0L, 32L, 320L, 544L), r.tensors.stream().map(GgufTestReader.Info::offset).toList());
        assertEquals(0, r.dataStart % 32);
        assertEquals(r.dataStart + 544 + 1536, Files.size(out));
        assertArrayEquals(norm, r.floats(r.tensor("norm")));
        float[] expected = new float[codes.length];
        for (int i = 0; i < codes.length; i++) expected[i] = codes[i] * GgmlReference.f16(scales[i / 256]);
        assertArrayEquals(expected, r.floats(r.tensor("w2")));
        assertArrayEquals(expected, r.floats(r.tensor("w1")));
        float[] emb16 = r.floats(r.tensor("emb"));
        for (int i = 0; i < emb.length; i++) assertEquals(GgmlReference.f16(emb[i]), emb16[i]);
    }

    /** Tensors of odd sizes (each padded), one written in several parts, directly when large or through the page cache. */
    private static void writeOddSizes(Path out, long directFrom) throws Exception {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(4);
        List<GgufTensor> tensors = List.of(new GgufTensor("a", new long[] {1_500_001}, GgufType.F32), new GgufTensor("b", new long[] {7}, GgufType.F32),
                new GgufTensor("c", new long[] {2_400_003}, GgufType.F32));
        try (GgufWriter w = GgufWriter.open(out, new GgufWriter.Layout(Map.of("k", new GgufValue.Str("v")), tensors), directFrom)) {
            for (GgufTensor t : tensors) {
                byte[] bytes = new byte[(int) t.byteSize()];
                rnd.nextBytes(bytes);
                int half = bytes.length / 2;
                w.writeTensor(ByteBuffer.wrap(bytes, 0, half), false);
                w.writeTensor(ByteBuffer.wrap(bytes, half, bytes.length - half), true);
            }
            w.commit();
        }
    }

    @Test
    void directAndPageCacheWritesGiveTheSameFile() throws Exception {
        Path direct = dir.resolve("direct.gguf"), cached = dir.resolve("cached.gguf");
        writeOddSizes(direct, 0);
        writeOddSizes(cached, Long.MAX_VALUE);
        assertArrayEquals(java.nio.file.Files.readAllBytes(cached), java.nio.file.Files.readAllBytes(direct));
        assertEquals(7, new GgufTestReader(direct).tensor("b").ne()[0]);
    }

    @Test
    void nonDefaultAlignmentIsRecordedAndUsed() throws Exception {
        Path out = dir.resolve("a.gguf");
        List<GgufTensor> tensors = List.of(new GgufTensor("a", new long[] {3}, GgufType.F32), new GgufTensor("b", new long[] {1}, GgufType.F32));
        try (GgufWriter w = GgufWriter.open(out, new GgufWriter.Layout(Map.of(), tensors, 64))) {
            w.writeTensor(ByteBuffer.allocate(12), true);
            w.writeTensor(ByteBuffer.allocate(4), true);
            w.commit();
        }
        GgufTestReader r = new GgufTestReader(out);
        assertEquals(64, r.kv.get("general.alignment"));
        assertEquals(64, r.tensor("b").offset());
        assertEquals(0, r.dataStart % 64);
    }

    @Test
    void refusesBadShapesSizesAndLeavesNothingBehind() throws Exception {
        var e = assertThrows(IllegalArgumentException.class, () -> new GgufTensor("w", new long[] {4, 300}, GgufType.TQ2_0));
        assertEquals("tensor 'w': rows of 300 elements are not a multiple of TQ2_0's block of 256", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GgufTensor("x".repeat(64), new long[] {1}, GgufType.F32));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter.Layout(Map.of(), List.of(), 24));
        Path out = dir.resolve("bad.gguf");
        try (GgufWriter w = GgufWriter.open(out, new GgufWriter.Layout(Map.of(), List.of(new GgufTensor("a", new long[] {2}, GgufType.F32))))) {
            var s = assertThrows(IllegalStateException.class, () -> w.writeTensor(ByteBuffer.allocate(4), true));
            assertEquals("tensor 'a': 4 bytes given, 8 declared", s.getMessage());
        }
        assertFalse(Files.exists(out));
        try (var files = Files.list(dir)) {
            assertTrue(files.findAny().isEmpty());
        }
    }
}
