package org.ternary4j.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpyWriter;
import org.ternary4j.formats.packed.PackedFormat;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * Writes the seed inputs the fuzz targets start from: small valid files made by the project's
 * own writers, so mutations begin deep inside each format. Jazzer also replays them (and every
 * committed finding beside them) as regression tests. Regenerate with
 * {@code mvn -pl fuzz -am test-compile && java -cp ... org.ternary4j.fuzz.SeedCorpus fuzz/src/test/resources models}
 * (the second folder holds the bundled models the runtime target starts from).
 */
public final class SeedCorpus {
    private SeedCorpus() {}

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args[0], "org", "ternary4j", "fuzz");
        Path tmp = Files.createTempDirectory("t4j-seeds");
        Path st = dir(root, "SafetensorsFuzzTest", "safetensors");
        Files.write(st.resolve("mixed"), safetensors(tmp.resolve("a")));
        Path pk = dir(root, "PackedFuzzTest", "packed");
        Files.write(pk.resolve("row-2bit"), packed(tmp.resolve("b"), "row", "tnt", Packing.parse("2bit")));
        Files.write(pk.resolve("block-base3-two-scale"), packed(tmp.resolve("c"), "block:4", "two-scale", Packing.parse("base3")));
        Files.write(pk.resolve("row-base3-two-scale-f16-scales"), packed(tmp.resolve("e"), "row", "two-scale", Packing.parse("base3"), true));
        Path idx = dir(root, "IdxFuzzTest", "idx");
        byte[] ubyte = {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, (byte) 255};
        Files.write(idx.resolve("ubyte"), ubyte);
        Files.write(idx.resolve("ubyte-gz"), gzip(ubyte));
        Files.write(idx.resolve("float"), ByteBuffer.allocate(4 + 4 + 8).put(new byte[] {0, 0, 0x0D, 1}).putInt(2).putFloat(1.5f).putFloat(-2f).array());
        Path npy = dir(root, "NpyFuzzTest", "npy");
        Files.write(npy.resolve("f4"), npyFloats(tmp.resolve("d"), new NdArray(new int[] {2, 2}, new float[] {1, 2, 3, 4})));
        Files.write(npy.resolve("labels-i8"), npyLongs(tmp.resolve("e"), new int[] {3}, new long[] {0, 1, 9}));
        Path npz = dir(root, "NpzFuzzTest", "npz");
        Files.write(npz.resolve("two-arrays"), zip(Map.of("x.npy", Files.readAllBytes(npy.resolve("f4")), "y.npy", Files.readAllBytes(npy.resolve("labels-i8")))));
        Path onnx = dir(root, "OnnxFuzzTest", "onnx");
        Files.write(onnx.resolve("cnn"), OnnxSeeds.cnn());
        Files.write(onnx.resolve("if-and-gather"), OnnxSeeds.subgraphsAndEmbedding());
        Files.write(onnx.resolve("external-data"), OnnxSeeds.externalData());
        Path runtime = dir(root, "RuntimeFuzzTest", "runtime");
        Files.write(runtime.resolve("cnn"), OnnxSeeds.cnn());
        try (var models = Files.list(Path.of(args[1]))) {
            for (Path m : models.filter(p -> p.toString().endsWith(".onnx")).sorted().toList()) {
                String name = m.getFileName().toString().replace(".onnx", "");
                byte[] bytes = Files.readAllBytes(m);
                Files.write(runtime.resolve(name), bytes);
                if (!name.equals("lenet5-fmnist")) continue;
                Files.write(runtime.resolve(name + "-cut-in-half"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
                Files.write(runtime.resolve(name + "-short-raw-data"), OnnxSeeds.shortRawData(bytes));
            }
        }
        try (var s = Files.list(tmp)) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.delete(tmp);
    }

    private static Path dir(Path root, String testClass, String method) throws IOException {
        return Files.createDirectories(root.resolve(testClass + "Inputs").resolve(method));
    }

    private static byte[] safetensors(Path f) throws IOException {
        List<TensorSpec> specs = List.of(TensorSpec.of("w", DType.F32, 2, 3), TensorSpec.of("h", DType.F16, 2), TensorSpec.of("b", DType.BF16, 2),
                TensorSpec.of("ids", DType.U8, 3), TensorSpec.of("empty", DType.F32, 0, 4));
        try (SafetensorsWriter w = SafetensorsWriter.open(f, specs, Map.of("note", "seed"))) {
            w.writeFloats("w", new float[] {1, -2, 3, -4, 5, 0});
            w.writeFloats("h", new float[] {0.5f, -1});
            w.writeFloats("b", new float[] {2, -3});
            w.writeBytes("ids", new byte[] {1, 2, 3});
            w.writeFloats("empty", new float[0]);
            w.commit();
        }
        return Files.readAllBytes(f);
    }

    private static byte[] packed(Path f, String grouping, String method, Packing packing) throws IOException {
        return packed(f, grouping, method, packing, false);
    }

    /** With {@code half}, the scales rounded to FP16 and stored as F16 (quantize --scales f16). */
    private static byte[] packed(Path f, String grouping, String method, Packing packing, boolean half) throws IOException {
        Grouping g = Grouping.parse(grouping);
        int[] shape = {3, 8};
        float[] w = new float[24];
        for (int i = 0; i < w.length; i++) w[i] = (float) Math.sin(i * 1.7) * (i % 5);
        TernaryTensor t = new Ternarizer(Projections.parse(method), g).apply(shape, w);
        if (half) t = t.withHalfScales();
        List<TensorSpec> specs = new ArrayList<>(PackedFormat.specs("fc.weight", shape, g, Projections.parse(method).twoScales(), packing, half));
        specs.add(TensorSpec.of("fc.bias", DType.F32, 3));
        Map<String, String> meta = new java.util.LinkedHashMap<>(PackedFormat.header());
        meta.put("fc.weight", new org.ternary4j.formats.packed.PackedEntry(shape, DType.BF16, g, method, packing).toJson());
        try (SafetensorsWriter out = SafetensorsWriter.open(f, specs, meta)) {
            PackedFormat.write(out, "fc.weight", t, packing, half);
            out.writeFloats("fc.bias", new float[] {1, 2, 3});
            out.commit();
        }
        return Files.readAllBytes(f);
    }

    private static byte[] npyFloats(Path f, NdArray a) throws IOException {
        NpyWriter.writeFloats(f, a);
        return Files.readAllBytes(f);
    }

    private static byte[] npyLongs(Path f, int[] shape, long[] v) throws IOException {
        NpyWriter.writeLongs(f, shape, v);
        return Files.readAllBytes(f);
    }

    private static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        }
        return out.toByteArray();
    }

    private static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (String name : entries.keySet().stream().sorted().toList()) {
                ZipEntry e = new ZipEntry(name);
                e.setTime(0); // fixed timestamps: the same seed bytes on every regeneration
                z.putNextEntry(e);
                z.write(entries.get(name));
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }
}
