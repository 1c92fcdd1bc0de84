package org.ternary4j.formats.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {
    @TempDir Path dir;

    @Test
    void floatTensorsRoundTripExactlyInEachDtype() throws IOException {
        SplittableRandom rnd = new SplittableRandom(1);
        // Values already representable in their dtype must come back bit for bit.
        float[] f32 = new float[37];
        for (int i = 0; i < f32.length; i++) f32[i] = (float) rnd.nextGaussian() * 3;
        float[] f16 = new float[3 * 5];
        for (int i = 0; i < f16.length; i++) f16[i] = Float.float16ToFloat((short) rnd.nextInt(0x7c00)) * (rnd.nextBoolean() ? 1 : -1);
        float[] bf16 = new float[2 * 2 * 3];
        for (int i = 0; i < bf16.length; i++) bf16[i] = Float.intBitsToFloat((rnd.nextInt(0x7f80) | (rnd.nextBoolean() ? 0x8000 : 0)) << 16);
        List<TensorSpec> specs = List.of(TensorSpec.of("a.f32", DType.F32, 37), TensorSpec.of("b.f16", DType.F16, 3, 5),
                TensorSpec.of("c.bf16", DType.BF16, 2, 2, 3), TensorSpec.of("empty", DType.F32, 0, 4));
        Path file = dir.resolve("m.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, Map.of("format", "pt"))) {
            w.writeFloats("a.f32", f32);
            w.writeFloats("b.f16", f16);
            w.writeFloats("c.bf16", bf16);
            w.writeFloats("empty", new float[0]);
            w.commit();
        }
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertEquals(List.of("a.f32", "b.f16", "c.bf16", "empty"), r.tensors().stream().map(TensorInfo::name).toList());
            assertEquals(Map.of("format", "pt"), r.metadata());
            assertArrayEquals(new long[] {3, 5}, r.tensor("b.f16").spec().shape());
            assertArrayEquals(f32, r.readFloats(r.tensor("a.f32")));
            assertArrayEquals(f16, r.readFloats(r.tensor("b.f16")));
            assertArrayEquals(bf16, r.readFloats(r.tensor("c.bf16")));
            assertEquals(0, r.readFloats(r.tensor("empty")).length);
        }
        assertOnlyFile(file);
    }

    @Test
    void otherDtypesAreCopiedThroughAsRawBytes() throws IOException {
        SplittableRandom rnd = new SplittableRandom(2);
        List<TensorSpec> specs = new ArrayList<>();
        Map<String, byte[]> data = new LinkedHashMap<>();
        int i = 0;
        for (DType d : DType.values()) {
            if (d.isFloat()) continue;
            TensorSpec s = TensorSpec.of("t" + i++ + "." + d, d, 2, 4); // 8 elements: whole bytes even for F4/F6
            byte[] b = new byte[(int) s.byteSize()];
            for (int k = 0; k < b.length; k++) b[k] = (byte) rnd.nextInt(256);
            specs.add(s);
            data.put(s.name(), b);
        }
        Path file = dir.resolve("raw.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, Map.of())) {
            for (Map.Entry<String, byte[]> e : data.entrySet()) w.writeBytes(e.getKey(), e.getValue());
            w.commit();
        }
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertTrue(r.metadata().isEmpty());
            for (TensorSpec s : specs) {
                TensorInfo t = r.tensor(s.name());
                assertEquals(s.dtype(), t.dtype());
                assertArrayEquals(data.get(s.name()), r.readBytes(t), s.name());
            }
            assertEquals(8 * 8, r.tensor("t0.BOOL").byteSize() * 8);
            IOException e = assertThrows(IOException.class, () -> r.readFloats(r.tensor(specs.get(0).name())));
            assertTrue(e.getMessage().contains("not a float tensor"), e.getMessage());
        }
    }

    @Test
    void readsAFileWrittenByHand() throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"hi\"},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[16,20]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[20,22]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"d\":{\"dtype\":\"I16\",\"shape\":[],\"data_offsets\":[22,24]}}   ";
        byte[] data = RawFiles.hex("00 00 80 3f  00 00 20 c0  00 00 00 3f  00 00 40 40" // 1, -2.5, 0.5, 3 (F32)
                + "  00 3c  00 c0" // 1, -2 (F16)
                + "  c0 3f" // 1.5 (BF16)
                + "  fe ff"); // -2 (I16)
        Path file = RawFiles.write(dir.resolve("hand.safetensors"), header, data);
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertEquals(List.of("b", "c", "a", "d"), r.tensors().stream().map(TensorInfo::name).toList());
            assertEquals("hi", r.metadata().get("note"));
            assertArrayEquals(new float[] {1f, -2.5f, 0.5f, 3f}, r.readFloats(r.tensor("a")));
            assertArrayEquals(new float[] {1f, -2f}, r.readFloats(r.tensor("b")));
            assertArrayEquals(new float[] {1.5f}, r.readFloats(r.tensor("c")));
            assertArrayEquals(new long[0], r.tensor("d").spec().shape());
            assertArrayEquals(RawFiles.hex("fe ff"), r.readBytes(r.tensor("d")));
        }
    }

    @Test
    void writerProducesTheExpectedBytes() throws IOException {
        Path file = dir.resolve("w.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.open(file, List.of(TensorSpec.of("t", DType.F32, 2)), Map.of("k", "v"))) {
            w.writeFloats("t", new float[] {1f, -2.5f});
            w.commit();
        }
        String json = "{\"__metadata__\":{\"k\":\"v\"},\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        String padded = json + " ".repeat((8 - json.length() % 8) % 8);
        ByteBuffer expected = ByteBuffer.allocate(8 + padded.length() + 8).order(ByteOrder.LITTLE_ENDIAN);
        expected.putLong(padded.length()).put(padded.getBytes(StandardCharsets.US_ASCII)).put(RawFiles.hex("00 00 80 3f 00 00 20 c0"));
        assertArrayEquals(expected.array(), Files.readAllBytes(file));
    }

    @Test
    void halfFloatRoundingIsNearestEven() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int k = 0; k < 20000; k++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            if (!Float.isFinite(f) || Math.abs(f) > 3e38f) continue;
            // Oracle: of the two bf16 neighbours, the closer (in double), ties to the even pattern.
            int lo = Float.floatToRawIntBits(f) >>> 16;
            float a = HalfFloats.bf16ToFloat((short) lo), b = HalfFloats.bf16ToFloat((short) (lo + 1));
            double da = Math.abs((double) f - a), db = Math.abs((double) f - b);
            int want = da < db ? lo : db < da ? lo + 1 : ((lo & 1) == 0 ? lo : lo + 1);
            assertEquals(want & 0xffff, HalfFloats.floatToBf16(f) & 0xffff, () -> "bf16 of " + f);
            double half = Float.float16ToFloat(Float.floatToFloat16(f));
            assertEquals(half, HalfFloats.roundTo(DType.F16, f));
        }
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.NaN))));
    }

    @Test
    void writerRoundsToHalfPrecisionLikeTheReferenceConversions() throws IOException {
        SplittableRandom rnd = new SplittableRandom(4);
        float[] v = new float[1000];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-6, 5)));
        Path file = dir.resolve("h.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.open(file, List.of(TensorSpec.of("h", DType.F16, 1000), TensorSpec.of("b", DType.BF16, 1000)), Map.of())) {
            w.writeFloats("h", v);
            w.writeFloats("b", v);
            w.commit();
        }
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            float[] h = r.readFloats(r.tensor("h")), b = r.readFloats(r.tensor("b"));
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(v[i])), h[i]);
                // bf16 is the top half of the float, rounded: never more than half a bf16 ulp away
                assertTrue(Math.abs(b[i] - v[i]) <= Math.ulp(b[i]) * 65536 / 2, v[i] + " -> " + b[i]);
            }
        }
    }

    @Test
    void unCommittedOrFailedWriteLeavesNothing() throws IOException {
        Path file = dir.resolve("out.safetensors");
        List<TensorSpec> specs = List.of(TensorSpec.of("a", DType.F32, 2), TensorSpec.of("b", DType.U8, 3));
        try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, Map.of())) {
            w.writeFloats("a", new float[] {1, 2});
            assertThrows(IllegalStateException.class, () -> w.writeBytes("c", new byte[3]));
            assertThrows(IllegalArgumentException.class, () -> w.writeBytes("b", new byte[4]));
            assertThrows(IllegalStateException.class, w::commit);
        }
        assertFalse(Files.exists(file));
        assertFolderEmpty();
        try (SafetensorsWriter w = SafetensorsWriter.open(file, List.of(), Map.of())) {
            assertThrows(IllegalStateException.class, () -> w.writeBytes("x", new byte[0]));
            assertThrows(IllegalStateException.class, () -> w.writeFloats("x", new float[0]));
        }
        assertFolderEmpty();
    }

    @Test
    void writerRefusesToOverwriteItsInput() throws IOException {
        Path in = RawFiles.write(dir.resolve("in.safetensors"), "{}", new byte[0]);
        byte[] before = Files.readAllBytes(in);
        IOException e = assertThrows(IOException.class,
                () -> SafetensorsWriter.open(dir.resolve("sub/../in.safetensors"), List.of(), Map.of(), in));
        assertTrue(e.getMessage().contains("overwrite the input"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(in));
        assertOnlyFile(in);
    }

    /** Offsets beyond 2 GB: a sparse file whose first tensor is 3 GB of zeros (no disk used). */
    @Test
    void readsTensorsBeyondTwoGigabytes() throws IOException {
        long big = 3_000_000_000L;
        String header = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + big + "," + (big + 8) + "]}}";
        Path file = dir.resolve("sparse.safetensors");
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, json.length));
            ch.write(ByteBuffer.wrap(json));
            ch.write(ByteBuffer.wrap(RawFiles.hex("00 00 80 3f 00 00 20 c0")), 8 + json.length + big);
        }
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertArrayEquals(new float[] {1f, -2.5f}, r.readFloats(r.tensor("tail")));
            IOException e = assertThrows(IOException.class, () -> r.readBytes(r.tensor("big")));
            assertTrue(e.getMessage().contains("more than one array can hold"), e.getMessage());
            r.withBytes(r.tensor("big"), seg -> {
                assertEquals(big, seg.byteSize());
                assertEquals(0, seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, big - 1));
            });
        }
    }

    private void assertOnlyFile(Path file) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(file.getFileName().toString()), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    private void assertFolderEmpty() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.toList());
        }
    }
}
