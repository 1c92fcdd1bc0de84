package org.ternary4j.formats.packed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsReader;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

class PackedFormatTest {
    @TempDir Path dir;

    /** n Gaussian weights from seed (the other packed-format tests of this package take theirs here too). */
    static float[] random(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) rnd.nextGaussian();
        return w;
    }

    @ParameterizedTest
    @CsvSource({"tnt, row, 2bit", "two-scale, kernel, base3", "tnt-tuned, block:4, 2bit", "twn, tensor, base3", "tnt:norm, fiber, base3"})
    void roundTripIsExact(String method, String grouping, String packing) throws IOException {
        Packing pack = Packing.parse(packing);
        int[] convShape = {5, 3, 3, 1}; // odd sizes: codes do not fill the last byte
        int[] fcShape = {7, 11};
        Ternarizer tz = new Ternarizer(Projections.parse(method), Grouping.parse(grouping));
        TernaryTensor conv = tz.apply(convShape, random(45, 1));
        TernaryTensor fc = grouping.equals("kernel") || grouping.equals("fiber") ? null : tz.apply(fcShape, random(77, 2));
        byte[] bias = {1, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1};

        List<TensorSpec> specs = new ArrayList<>(PackedFormat.specs("conv.weight", convShape, conv.grouping(), conv.twoScales(), pack));
        specs.add(TensorSpec.of("conv.bias", DType.I64, 2));
        if (fc != null) specs.addAll(PackedFormat.specs("fc.weight", fcShape, fc.grouping(), fc.twoScales(), pack));
        Map<String, String> meta = new LinkedHashMap<>(PackedFormat.header());
        meta.put("conv.weight", new PackedEntry(convShape, DType.BF16, conv.grouping(), conv.method(), pack).toJson());
        if (fc != null) meta.put("fc.weight", new PackedEntry(fcShape, DType.F32, fc.grouping(), fc.method(), pack).toJson());
        Path file = dir.resolve("p.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, meta)) {
            PackedFormat.write(w, "conv.weight", conv, pack);
            w.writeBytes("conv.bias", bias);
            if (fc != null) PackedFormat.write(w, "fc.weight", fc, pack);
            w.commit();
        }
        try (PackedReader r = PackedReader.open(file)) {
            assertEquals(fc == null ? List.of("conv.weight") : List.of("conv.weight", "fc.weight"), List.copyOf(r.ternaryNames()));
            assertSame(conv, r.read("conv.weight"));
            assertEquals(DType.BF16, r.entry("conv.weight").dtype());
            assertEquals(pack, r.entry("conv.weight").packing());
            if (fc != null) assertSame(fc, r.read("fc.weight"));
            assertEquals(List.of("conv.bias"), r.unchanged().stream().map(t -> t.name()).toList());
            assertArrayEquals(bias, r.file().readBytes(r.unchanged().get(0)));
        }
    }

    private static void assertSame(TernaryTensor want, TernaryTensor got) {
        assertArrayEquals(want.shape(), got.shape());
        assertEquals(want.grouping(), got.grouping());
        assertEquals(want.method(), got.method());
        assertArrayEquals(want.codes(), got.codes());
        assertArrayEquals(want.scalePos(), got.scalePos());
        assertArrayEquals(want.scaleNeg(), got.scaleNeg());
        assertArrayEquals(want.dequantize(), got.dequantize());
    }

    /** F16 scales: stored as IEEE half bits (decoded here without the reader), read back as the same values. */
    @ParameterizedTest
    @CsvSource({"two-scale, row", "tnt, kernel", "twn, tensor"})
    void halfScalesRoundTripAsF16(String method, String grouping) throws IOException {
        int[] shape = {5, 3, 3, 1};
        TernaryTensor t = new Ternarizer(Projections.parse(method), Grouping.parse(grouping)).apply(shape, random(45, 4)).withHalfScales();
        Path file = dir.resolve("half.safetensors");
        Map<String, String> meta = new LinkedHashMap<>(PackedFormat.header());
        meta.put("w", new PackedEntry(shape, DType.F32, t.grouping(), t.method(), Packing.BASE3).toJson());
        try (SafetensorsWriter w = SafetensorsWriter.open(file, PackedFormat.specs("w", shape, t.grouping(), t.twoScales(), Packing.BASE3, true), meta)) {
            PackedFormat.write(w, "w", t, Packing.BASE3, true);
            w.commit();
        }
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertEquals(DType.F16, r.tensor("w.scales").dtype());
            short[] bits = r.readShorts(r.tensor("w.scales"));
            for (int g = 0; g < t.groupCount(); g++) {
                int stride = t.twoScales() ? 2 : 1;
                assertEquals(t.scalePos()[g], Float.float16ToFloat(bits[stride * g]));
                if (t.twoScales()) assertEquals(t.scaleNeg()[g], Float.float16ToFloat(bits[stride * g + 1]));
            }
        }
        try (PackedReader r = PackedReader.open(file)) {
            assertTrue(r.halfScales("w"));
            assertSame(t, r.read("w"));
        }
    }

    @Test
    void halfScalesMustBeRoundedBeforeTheyAreStored() throws IOException {
        int[] shape = {3, 7};
        TernaryTensor t = new Ternarizer(Projections.parse("tnt"), Grouping.parse("row")).apply(shape, random(21, 5));
        if (t.halfScales()) throw new IllegalStateException("random scales happened to be FP16 values; pick another seed");
        Map<String, String> meta = new LinkedHashMap<>(PackedFormat.header());
        meta.put("w", new PackedEntry(shape, DType.F32, t.grouping(), t.method(), Packing.TWO_BIT).toJson());
        try (SafetensorsWriter w = SafetensorsWriter.open(dir.resolve("h.safetensors"), PackedFormat.specs("w", shape, t.grouping(), false, Packing.TWO_BIT, true), meta)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PackedFormat.write(w, "w", t, Packing.TWO_BIT, true));
            assertTrue(e.getMessage().contains("scales are not FP16 values"), e.getMessage());
        }
    }

    /** The layout PACKED_FORMAT.md documents, decoded here without core's Packing. */
    @Test
    void storedBytesFollowTheDocumentedLayout() throws IOException {
        int[] shape = {3, 7};
        TernaryTensor t = new Ternarizer(Projections.parse("two-scale"), Grouping.parse("row")).apply(shape, random(21, 3));
        for (Packing pack : Packing.values()) {
            Path file = dir.resolve(pack.spec() + ".safetensors");
            Map<String, String> meta = new LinkedHashMap<>(PackedFormat.header());
            meta.put("w", new PackedEntry(shape, DType.F32, t.grouping(), t.method(), pack).toJson());
            try (SafetensorsWriter w = SafetensorsWriter.open(file, PackedFormat.specs("w", shape, t.grouping(), true, pack), meta)) {
                PackedFormat.write(w, "w", t, pack);
                w.commit();
            }
            try (SafetensorsReader r = SafetensorsReader.open(file)) {
                assertEquals("{\"shape\":[3,7],\"dtype\":\"F32\",\"grouping\":\"row\",\"method\":\"two-scale\",\"packing\":\"" + pack.spec() + "\"}",
                        r.metadata().get("w"));
                assertEquals("ternary4j.packed", r.metadata().get("format"));
                assertEquals("1", r.metadata().get("version"));
                byte[] bytes = r.readBytes(r.tensor("w.codes"));
                float[] scales = r.readFloats(r.tensor("w.scales"));
                assertArrayEquals(new long[] {3, 2}, r.tensor("w.scales").spec().shape());
                float[] decoded = new float[21];
                for (int i = 0; i < 21; i++) {
                    int b = bytes[pack == Packing.TWO_BIT ? i / 4 : i / 5] & 0xff;
                    int code = pack == Packing.TWO_BIT ? ((b >> (2 * (i % 4))) & 3) - 1 : (int) (b / Math.pow(3, i % 5)) % 3 - 1;
                    int row = i / 7;
                    decoded[i] = code > 0 ? scales[2 * row] : code < 0 ? -scales[2 * row + 1] : 0f;
                }
                assertArrayEquals(t.dequantize(), decoded);
            }
        }
    }

    @Test
    void oneScaleMethodsStoreOneScalePerGroup() throws IOException {
        int[] shape = {4, 5};
        TernaryTensor t = new Ternarizer(Projections.parse("tnt"), Grouping.parse("row")).apply(shape, random(20, 4));
        List<TensorSpec> specs = PackedFormat.specs("w", shape, t.grouping(), t.twoScales(), Packing.BASE3);
        assertArrayEquals(new long[] {4}, specs.get(1).shape());
        assertArrayEquals(new long[] {4}, specs.get(0).shape()); // 20 codes / 5 per byte
        Path file = write(specs, Map.of("w", new PackedEntry(shape, DType.F16, t.grouping(), "tnt", Packing.BASE3).toJson()),
                Packing.BASE3.pack(t.codes()), t.scalePos());
        try (PackedReader r = PackedReader.open(file)) {
            assertNull(r.read("w").scaleNeg());
            assertArrayEquals(t.scalePos(), r.read("w").scalePos());
        }
    }

    // ---- inconsistent files ----

    private Path write(List<TensorSpec> specs, Map<String, String> entries, byte[] codes, float[] scales) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(PackedFormat.header());
        meta.putAll(entries);
        return writeRaw(specs, meta, codes, scales);
    }

    private Path writeRaw(List<TensorSpec> specs, Map<String, String> meta, byte[] codes, float[] scales) throws IOException {
        Path file = dir.resolve("bad.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, meta)) {
            w.writeBytes(specs.get(0).name(), codes);
            if (specs.get(1).dtype() == DType.F32) w.writeFloats(specs.get(1).name(), scales);
            else if (specs.get(1).dtype() == DType.F16) w.writeShorts(specs.get(1).name(), halfBits(scales));
            else w.writeBytes(specs.get(1).name(), new byte[(int) specs.get(1).byteSize()]);
            w.commit();
        }
        return file;
    }

    private String failure(Path file, String name) {
        IOException e = assertThrows(IOException.class, () -> {
            try (PackedReader r = PackedReader.open(file)) {
                r.read(name);
            }
        });
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        return e.getMessage();
    }

    private static final String ENTRY = "{\"shape\":[2,4],\"dtype\":\"F32\",\"grouping\":\"row\",\"method\":\"tnt\",\"packing\":\"2bit\"}";
    private static final List<TensorSpec> GOOD = List.of(TensorSpec.of("w.codes", DType.U8, 2), TensorSpec.of("w.scales", DType.F32, 2));

    @Test
    void consistentHandMadeFileReads() throws IOException {
        // codes row 0: +1 0 -1 0 -> 0b01_00_01_10 = 0x46; row 1: all 0 -> 0x55
        Path f = write(GOOD, Map.of("w", ENTRY), new byte[] {0x46, 0x55}, new float[] {0.5f, 0f});
        try (PackedReader r = PackedReader.open(f)) {
            assertArrayEquals(new float[] {0.5f, 0, -0.5f, 0, 0, 0, 0, 0}, r.read("w").dequantize());
        }
    }

    @Test
    void wrongCodeByteCount() throws IOException {
        Path f = write(List.of(TensorSpec.of("w.codes", DType.U8, 3), GOOD.get(1)), Map.of("w", ENTRY), new byte[3], new float[2]);
        assertTrue(failure(f, "w").contains("tensor 'w': codes are U8 [3], expected U8 [2] for 8 2bit codes"));
    }

    @Test
    void codesOfTheWrongDtype() throws IOException {
        Path f = write(List.of(TensorSpec.of("w.codes", DType.I8, 2), GOOD.get(1)), Map.of("w", ENTRY), new byte[2], new float[2]);
        assertTrue(failure(f, "w").contains("codes are I8 [2]"));
    }

    @Test
    void wrongScaleCount() throws IOException {
        Path f = write(List.of(GOOD.get(0), TensorSpec.of("w.scales", DType.F32, 2, 3)), Map.of("w", ENTRY), new byte[] {0x55, 0x55}, new float[6]);
        assertTrue(failure(f, "w").contains("scales are F32 [2, 3], expected F32 or F16 [2] or [2, 2] for grouping row"));
    }

    @Test
    void invalidCodeBytes() throws IOException {
        Path f = write(GOOD, Map.of("w", ENTRY), new byte[] {(byte) 0xff, 0x55}, new float[2]);
        assertTrue(failure(f, "w").contains("tensor 'w': 2bit codes: invalid code 0b11 at element 0"));
        String base3 = ENTRY.replace("2bit", "base3");
        Path g = write(GOOD, Map.of("w", base3), new byte[] {(byte) 243, 0}, new float[2]);
        assertTrue(failure(g, "w").contains("base3 codes: invalid byte 243"));
    }

    @Test
    void negativeOrNonFiniteScales() throws IOException {
        Path f = write(GOOD, Map.of("w", ENTRY), new byte[] {0x55, 0x55}, new float[] {-1f, 0f});
        assertTrue(failure(f, "w").contains("scale -1.0 is not a finite non-negative number"));
        Path g = write(GOOD, Map.of("w", ENTRY), new byte[] {0x55, 0x55}, new float[] {Float.NaN, 0f});
        assertTrue(failure(g, "w").contains("scale NaN"));
    }

    private static short[] halfBits(float[] v) {
        short[] h = new short[v.length];
        for (int i = 0; i < v.length; i++) h[i] = Float.floatToFloat16(v[i]);
        return h;
    }

    @Test
    void negativeOrNonFiniteHalfScales() throws IOException {
        List<TensorSpec> half = List.of(GOOD.get(0), TensorSpec.of("w.scales", DType.F16, 2));
        Path f = write(half, Map.of("w", ENTRY), new byte[] {0x55, 0x55}, new float[] {-1f, 0f});
        assertTrue(failure(f, "w").contains("scale -1.0 is not a finite non-negative number"));
        Path g = write(half, Map.of("w", ENTRY), new byte[] {0x55, 0x55}, new float[] {0f, Float.POSITIVE_INFINITY});
        assertTrue(failure(g, "w").contains("scale Infinity"));
        Path h = write(half, Map.of("w", ENTRY), new byte[] {0x55, 0x55}, new float[] {Float.NaN, 0f});
        assertTrue(failure(h, "w").contains("scale NaN"));
    }

    @Test
    void halfScalesOfTheWrongCount() throws IOException {
        Path f = write(List.of(GOOD.get(0), TensorSpec.of("w.scales", DType.F16, 3)), Map.of("w", ENTRY), new byte[] {0x55, 0x55}, new float[3]);
        assertTrue(failure(f, "w").contains("scales are F16 [3], expected F32 or F16 [2] or [2, 2]"));
    }

    @Test
    void missingStoredTensor() throws IOException {
        Path f = write(GOOD, Map.of("v", ENTRY), new byte[] {0x55, 0x55}, new float[2]);
        assertTrue(failure(f, "v").contains("no tensor 'v.codes'"));
    }

    @Test
    void codesAndScalesWithoutMetadata() throws IOException {
        Path f = write(GOOD, Map.of(), new byte[] {0x55, 0x55}, new float[2]);
        assertTrue(failure(f, "w").contains("tensor 'w' has stored codes and scales but no metadata entry"));
    }

    @Test
    void malformedEntries() throws IOException {
        String[][] cases = {
                {"not json", "metadata of tensor 'w': not JSON"},
                {ENTRY.replace("\"row\"", "\"rows\""), "grouping 'rows': unknown"},
                {ENTRY.replace("\"2bit\"", "\"3bit\""), "packing '3bit': unknown"},
                {ENTRY.replace("\"F32\"", "\"I8\""), "dtype 'I8' is not F32, F16 or BF16"},
                {ENTRY.replace("[2,4]", "[-2,4]"), "shape entry -2"},
                {ENTRY.replace("[2,4]", "[8]"), "tensor 'w': grouping 'row' needs a tensor of rank ≥ 2"},
                {ENTRY.replace(",\"method\":\"tnt\"", ""), "missing or non-string method"},
        };
        for (String[] c : cases) {
            Path f = write(GOOD, Map.of("w", c[0]), new byte[] {0x55, 0x55}, new float[2]);
            String msg = failure(f, "w");
            assertTrue(msg.contains(c[1]), msg);
        }
    }

    @Test
    void tensorStoredBothPackedAndUnchanged() throws IOException {
        List<TensorSpec> specs = List.of(GOOD.get(0), GOOD.get(1), TensorSpec.of("w", DType.F32, 2, 4));
        Map<String, String> meta = new LinkedHashMap<>(PackedFormat.header());
        meta.put("w", ENTRY);
        Path file = dir.resolve("both.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, meta)) {
            w.writeBytes("w.codes", new byte[] {0x55, 0x55});
            w.writeFloats("w.scales", new float[2]);
            w.writeFloats("w", new float[8]);
            w.commit();
        }
        assertTrue(failure(file, "w").contains("tensor 'w' is stored both packed and unchanged"));
    }

    @Test
    void notAPackedFileOrWrongVersion() throws IOException {
        Path plain = writeRaw(GOOD, Map.of("format", "pt"), new byte[2], new float[2]);
        assertTrue(failure(plain, "w").contains("not a ternary4j packed file (metadata format is 'pt')"));
        Path v3 = writeRaw(GOOD, Map.of("format", "ternary4j.packed", "version", "3", "w", ENTRY), new byte[] {0x55, 0x55}, new float[2]);
        assertTrue(failure(v3, "w").contains("packed format version '3' is not supported"));
    }

    @Test
    void keptInt8AndFp16TensorsRoundTripBesideTernaryOnes() throws IOException {
        int[] convShape = {3, 2, 2, 2}, fcShape = {5, 7};
        TernaryTensor conv = new Ternarizer(Projections.parse("tnt"), Grouping.parse("row")).apply(convShape, random(24, 3));
        KeptTensor int8 = KeptTensor.of(KeptTensor.Precision.INT8, fcShape, random(35, 4));
        KeptTensor fp16 = KeptTensor.of(KeptTensor.Precision.FP16, convShape, random(24, 5));
        List<TensorSpec> specs = new ArrayList<>(PackedFormat.specs("conv", convShape, conv.grouping(), false, Packing.BASE3));
        specs.addAll(PackedFormat.keptSpecs("fc", fcShape, KeptTensor.Precision.INT8));
        specs.addAll(PackedFormat.keptSpecs("dw", convShape, KeptTensor.Precision.FP16));
        Map<String, String> meta = new LinkedHashMap<>(PackedFormat.header(true));
        meta.put("conv", new PackedEntry(convShape, DType.F32, conv.grouping(), conv.method(), Packing.BASE3).toJson());
        meta.put("fc", new KeptEntry(fcShape, DType.F32, KeptTensor.Precision.INT8).toJson());
        meta.put("dw", new KeptEntry(convShape, DType.F16, KeptTensor.Precision.FP16).toJson());
        Path file = dir.resolve("mixed.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, meta)) {
            PackedFormat.write(w, "conv", conv, Packing.BASE3);
            PackedFormat.writeKept(w, "fc", int8);
            PackedFormat.writeKept(w, "dw", fp16);
            w.commit();
        }
        try (PackedReader r = PackedReader.open(file)) {
            assertEquals(List.of("conv"), List.copyOf(r.ternaryNames()));
            assertEquals(List.of("fc", "dw"), List.copyOf(r.keptNames()));
            assertTrue(r.unchanged().isEmpty());
            assertSame(conv, r.read("conv"));
            KeptTensor.Int8 fc = (KeptTensor.Int8) r.readKept("fc");
            assertArrayEquals(((KeptTensor.Int8) int8).values(), fc.values());
            assertArrayEquals(((KeptTensor.Int8) int8).scales(), fc.scales());
            assertArrayEquals(fcShape, fc.shape());
            assertArrayEquals(fp16.dequantize(), r.readKept("dw").dequantize());
            assertEquals(DType.F16, r.keptEntry("dw").dtype());
            // the whole-file reads: every tensor of its kind, in metadata order, as the one-name reads decode it
            Map<String, KeptTensor> kept = r.readAllKept();
            assertEquals(List.of("fc", "dw"), List.copyOf(kept.keySet()));
            assertArrayEquals(int8.dequantize(), kept.get("fc").dequantize());
            assertArrayEquals(fp16.dequantize(), kept.get("dw").dequantize());
            assertEquals(List.of("conv"), List.copyOf(r.readAllTernary().keySet()));
            assertSame(conv, r.readAllTernary().get("conv"));
            // Any safetensors reader sees the halves as F16 values, the int8 values as I8 in the canonical shape.
            assertArrayEquals(fp16.dequantize(), r.file().readFloats(r.file().tensor("dw.fp16")));
            assertArrayEquals(new long[] {5, 7}, r.file().tensor("fc.int8").spec().shape());
        }
    }

    @Test
    void keptTensorsNeedVersionTwoAndTheirStoredTensors() throws IOException {
        KeptTensor t = KeptTensor.of(KeptTensor.Precision.INT8, new int[] {2, 3}, random(6, 6));
        String entry = new KeptEntry(new int[] {2, 3}, DType.F32, KeptTensor.Precision.INT8).toJson();
        for (String version : new String[] {"1", "2"}) {
            Map<String, String> meta = new LinkedHashMap<>(Map.of("format", "ternary4j.packed", "version", version, "w", entry));
            Path file = dir.resolve("v" + version + ".safetensors");
            // Version 2 with the scales stored F16 instead of F32: a damaged file.
            List<TensorSpec> specs = List.of(TensorSpec.of("w.int8", DType.I8, 2, 3), TensorSpec.of("w.scales", version.equals("1") ? DType.F32 : DType.F16, 2));
            try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, meta)) {
                w.writeBytes("w.int8", ((KeptTensor.Int8) t).values());
                w.writeFloats("w.scales", ((KeptTensor.Int8) t).scales());
                w.commit();
            }
            String msg = failure(file, "w");
            assertTrue(msg.contains(version.equals("1") ? "needs format version 2" : "'w.scales' is F16 [2], expected F32 [2]"), msg);
        }
    }
}
