package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.TensorSpec;

/** Bad input: one line 'ternary4j: FILE: problem', a non-zero exit code, and no output, report or packed file. */
class QuantizeBadInputTest {
    @TempDir Path dir;

    /** Runs quantize with default options, replaced by {@code overrides} (option, value or flag, null). */
    private void fails(Path in, String expected, String... overrides) throws IOException {
        Set<Path> before = listing();
        Map<String, String> options = new LinkedHashMap<>();
        options.put("-o", dir.resolve("out.safetensors").toString());
        options.put("--method", "tnt");
        options.put("--grouping", "row");
        options.put("--report", dir.resolve("r.json").toString());
        options.put("--packed", dir.resolve("p.safetensors").toString());
        for (int i = 0; i < overrides.length; i += 2) options.put(overrides[i], i + 1 < overrides.length ? overrides[i + 1] : null);
        List<String> args = new ArrayList<>(List.of("quantize", in.toString()));
        options.forEach((k, v) -> {
            args.add(k);
            if (v != null) args.add(v);
        });
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertTrue(run.exitCode() != 0);
        List<String> lines = run.err().lines().toList();
        assertEquals(1, lines.size(), run.err());
        assertTrue(lines.get(0).startsWith("ternary4j: "), lines.get(0));
        assertTrue(lines.get(0).contains(expected), lines.get(0));
        assertEquals("", run.out());
        assertEquals(before, listing(), "nothing left behind");
    }

    private Set<Path> listing() throws IOException {
        try (var s = Files.list(dir)) {
            return new HashSet<>(s.toList());
        }
    }

    private Path model(float[] weights) throws IOException {
        return TestModels.write(dir.resolve("in.safetensors"),
                List.of(TensorSpec.of("ok", DType.F32, 4, 4), TensorSpec.of("layer.weight", DType.F32, 2, weights.length / 2)),
                Map.of("ok", TestModels.gaussian(16, DType.F32, 1), "layer.weight", weights), Map.of(), Map.of());
    }

    private Path raw(String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).put(json);
        return Files.write(dir.resolve("in.safetensors"), b.array());
    }

    @Test
    void missingFile() throws IOException {
        Path in = dir.resolve("missing.safetensors");
        fails(in, in + ": no such file");
    }

    @Test
    void truncatedFile() throws IOException {
        Path good = model(new float[] {1, 2, 3, 4});
        byte[] b = Files.readAllBytes(good);
        Files.write(good, Arrays.copyOf(b, b.length - 3));
        fails(good, good + ": tensor 'layer.weight': data_offsets");
        Files.write(good, Arrays.copyOf(b, 5));
        fails(good, good + ": 5 bytes, too short");
        Files.write(good, Arrays.copyOf(b, 40));
        fails(good, good + ": header length");
    }

    /**
     * A text file given as the model: whatever the output's name (an .onnx one is refused for a
     * safetensors input), the error names the input and says it is not a safetensors file.
     */
    @Test
    void aTextFileIsNotASafetensorsFile() throws IOException {
        Path in = Files.writeString(dir.resolve("notes.txt"), "these are notes, not weights\n");
        fails(in, in + ": not a safetensors file (its first 8 bytes give a header length of ");
        fails(in, in + ": not a safetensors file", "-o", dir.resolve("out.onnx").toString());
    }

    @Test
    void malformedHeader() throws IOException {
        Path in = raw("{\"a\": {\"dtype\": \"F32\", ", 0);
        fails(in, in + ": malformed header JSON");
    }

    @Test
    void unknownDtype() throws IOException {
        Path in = raw("{\"a\":{\"dtype\":\"Q4_K\",\"shape\":[2,2],\"data_offsets\":[0,4]}}", 4);
        fails(in, in + ": tensor 'a': unknown dtype 'Q4_K'");
    }

    @Test
    void nanAndInfinityNameTheTensor() throws IOException {
        Path in = model(new float[] {1, Float.NaN, 3, 4});
        fails(in, in + ": tensor 'layer.weight': NaN weight at element 1");
        in = model(new float[] {1, 2, 3, Float.NEGATIVE_INFINITY});
        fails(in, in + ": tensor 'layer.weight': infinite weight at element 3");
    }

    @Test
    void outputEqualToInput() throws IOException {
        Path in = model(new float[] {1, 2, 3, 4});
        byte[] before = Files.readAllBytes(in);
        CliRun run = CliRun.of("quantize", in.toString(), "-o", dir.resolve(".").resolve("in.safetensors").toString(), "--method", "tnt", "--grouping", "row");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("output would overwrite the input file"), run.err());
        assertTrue(Arrays.equals(before, Files.readAllBytes(in)));
        fails(in, "output would overwrite the input file", "--packed", in.toString());
        fails(in, "output would overwrite the input file", "--report", in.toString());
        fails(in, "names the same file as another output", "--packed", dir.resolve("out.safetensors").toString());
    }

    @Test
    void groupingThatDoesNotFit() throws IOException {
        Path in = model(new float[] {1, 2, 3, 4});
        fails(in, in + ": tensor 'ok': grouping 'kernel' needs a tensor of rank ≥ 3, got shape [4, 4]", "--grouping", "kernel");
        Path bias = TestModels.write(dir.resolve("bias.safetensors"), List.of(TensorSpec.of("b", DType.F32, 3)),
                Map.of("b", new float[] {1, 2, 3}), Map.of(), Map.of());
        // --all-tensors skips what the grouping cannot hold (a norm's 1-D weights under row) and says so.
        CliRun run = CliRun.of("quantize", bias.toString(), "-o", dir.resolve("b.safetensors").toString(), "--method", "tnt", "--grouping", "row",
                "--all-tensors", "--no-progress");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("kept in full precision (grouping row does not apply to rank 1): 1 tensor, b"), run.out());
    }

    @Test
    void unknownMethodOrGrouping() throws IOException {
        Path in = model(new float[] {1, 2, 3, 4});
        fails(in, "method 'ttq': unknown method", "--method", "ttq");
        fails(in, "grouping 'rows': unknown", "--grouping", "rows");
        fails(in, "packing '1bit': unknown", "--packing", "1bit");
    }

    @Test
    void outputFolderMissing() throws IOException {
        Path in = model(new float[] {1, 2, 3, 4});
        Path out = dir.resolve("no/such/folder/out.safetensors");
        CliRun run = CliRun.of("quantize", in.toString(), "-o", out.toString(), "--method", "tnt", "--grouping", "row");
        assertEquals(1, run.exitCode());
        assertEquals("ternary4j: " + out + ": output folder does not exist", run.err().strip());
    }

    @Test
    void tensorCountAndFileSizeLimitsAreClearAndCanBeRaised() throws IOException {
        Path in = model(new float[] {1, 2, 3, 4});
        fails(in, in + ": header declares more than 1 tensors, the tensor-count limit", "--max-tensors", "1");
        fails(in, in + ": " + Files.size(in) + " bytes exceeds the file size limit of 107 bytes", "--max-file-gb", "0.0000001");
        fails(in, "--max-file-gb must be a positive number", "--max-file-gb", "0");
        CliRun ok = CliRun.of("quantize", in.toString(), "-o", dir.resolve("out.safetensors").toString(), "--method", "tnt", "--grouping", "row",
                "--max-tensors", "2", "--max-file-gb", "0.001");
        assertEquals(0, ok.exitCode(), ok.err());
    }

    /** The output may not reach the input through another name either: a symbolic or a hard link. */
    @Test
    void outputThatIsTheInputUnderAnotherName() throws IOException {
        Path in = model(new float[] {1, 2, 3, 4});
        byte[] before = Files.readAllBytes(in);
        Path sym = Files.createSymbolicLink(dir.resolve("sym.safetensors"), in);
        Path hard = Files.createLink(dir.resolve("hard.safetensors"), in);
        fails(in, "output would overwrite the input file", "-o", sym.toString());
        fails(in, "output would overwrite the input file", "--packed", hard.toString());
        assertTrue(Arrays.equals(before, Files.readAllBytes(in)));
    }

    /** Zero-size tensors ([0, 4], [3, 0]) are valid safetensors: they pass through as empty tensors of the same shape. */
    @Test
    void zeroSizeTensorsComeOutEmpty() throws IOException {
        Path in = TestModels.write(dir.resolve("in.safetensors"),
                List.of(TensorSpec.of("empty.rows", DType.F32, 0, 4), TensorSpec.of("w", DType.F32, 2, 2), TensorSpec.of("empty.cols", DType.BF16, 3, 0)),
                Map.of("empty.rows", new float[0], "w", new float[] {1, -2, 3, -4}, "empty.cols", new float[0]), Map.of(), Map.of());
        Path out = dir.resolve("out.safetensors"), packed = dir.resolve("p.safetensors");
        CliRun run = CliRun.of("quantize", in.toString(), "-o", out.toString(), "--packed", packed.toString(), "--method", "tnt", "--grouping", "row");
        assertEquals(0, run.exitCode(), run.err());
        try (org.ternary4j.formats.safetensors.SafetensorsReader r = org.ternary4j.formats.safetensors.SafetensorsReader.open(out)) {
            assertEquals(0, r.readFloats(r.tensor("empty.rows")).length);
            assertEquals(0, r.readFloats(r.tensor("empty.cols")).length);
            assertEquals("[3, 0]", r.tensor("empty.cols").spec().shapeString());
        }
        try (org.ternary4j.formats.packed.PackedReader r = org.ternary4j.formats.packed.PackedReader.open(packed)) {
            for (String name : r.ternaryNames()) r.read(name).dequantize();
        }
    }
}
