package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.formats.packed.PackedReader;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.HalfFloats;
import org.ternary4j.formats.safetensors.SafetensorsReader;
import org.ternary4j.formats.safetensors.TensorInfo;
import org.ternary4j.formats.safetensors.TensorSpec;

class QuantizeCommandTest {
    @TempDir Path dir;

    private CliRun quantize(Path in, String... extra) {
        List<String> args = new ArrayList<>(List.of("quantize", in.toString()));
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    @Test
    void writesOutputReportAndPackedFileThatAgree() throws IOException {
        TestModels.Model m = TestModels.standard(dir.resolve("in.safetensors"));
        Path out = dir.resolve("out.safetensors"), rep = dir.resolve("r.json"), packed = dir.resolve("p.safetensors");
        CliRun run = quantize(m.file(), "-o", out.toString(), "--method", "two-scale", "--grouping", "row",
                "--report", rep.toString(), "--packed", packed.toString(), "--packing", "2bit");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err());

        List<String> ternarized = List.of("fc1.weight", "conv.weight", "half.weight", "brain.weight", "fc2.weight");
        JsonNode report = new ObjectMapper().readTree(rep.toFile());
        assertEquals(ternarized.size(), report.get("tensors").size());
        try (SafetensorsReader o = SafetensorsReader.open(out); PackedReader p = PackedReader.open(packed)) {
            // Same names, dtypes, shapes and metadata as the input, in the same order.
            assertEquals(m.specs().stream().map(TensorSpec::name).toList(), o.tensors().stream().map(TensorInfo::name).toList());
            for (TensorSpec s : m.specs()) {
                assertEquals(s.dtype(), o.tensor(s.name()).dtype());
                assertArrayEquals(s.shape(), o.tensor(s.name()).spec().shape());
            }
            assertEquals("pt", o.metadata().get("format"));
            // Rank < 2 and non-float tensors are copied byte for byte, in both outputs.
            assertArrayEquals(m.floats().get("fc1.bias"), o.readFloats(o.tensor("fc1.bias")));
            assertArrayEquals(m.raw().get("step"), o.readBytes(o.tensor("step")));
            assertEquals(List.of("fc1.bias", "step"), p.unchanged().stream().map(TensorInfo::name).toList());
            assertArrayEquals(m.raw().get("step"), p.file().readBytes(p.file().tensor("step")));
            assertEquals(new HashSet<>(ternarized), p.ternaryNames());

            for (int k = 0; k < ternarized.size(); k++) {
                String name = ternarized.get(k);
                TensorSpec s = m.specs().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
                float[] w = m.floats().get(name);
                float[] q = o.readFloats(o.tensor(name));
                // The dequantized output is the packed tensor's values, rounded to the tensor's dtype.
                TernaryTensor t = p.read(name);
                float[] fromPacked = t.dequantize();
                for (int i = 0; i < q.length; i++) fromPacked[i] = HalfFloats.roundTo(s.dtype(), fromPacked[i]);
                assertArrayEquals(fromPacked, q, name);
                assertEquals(s.dtype(), p.entry(name).dtype());

                // The JSON report: exactly the agreed fields, with values recomputed here from the files.
                JsonNode r = report.get("tensors").get(k);
                Set<String> fields = new HashSet<>();
                r.fieldNames().forEachRemaining(fields::add);
                assertEquals(Set.of("name", "shape", "method", "grouping", "cosine", "relL2", "sparsity", "bitsPerWeight"), fields);
                assertEquals(name, r.get("name").asText());
                assertEquals("two-scale", r.get("method").asText());
                assertEquals("row", r.get("grouping").asText());
                assertEquals(s.shape().length, r.get("shape").size());
                double ww = 0, qq = 0, wq = 0, dd = 0;
                int zeros = 0;
                for (int i = 0; i < w.length; i++) {
                    ww += (double) w[i] * w[i];
                    qq += (double) q[i] * q[i];
                    wq += (double) w[i] * q[i];
                    dd += ((double) w[i] - q[i]) * ((double) w[i] - q[i]);
                    if (t.codes()[i] == 0) zeros++;
                }
                assertEquals(wq / Math.sqrt(ww * qq), r.get("cosine").asDouble(), 1e-9, name);
                assertEquals(Math.sqrt(dd / ww), r.get("relL2").asDouble(), 1e-9, name);
                assertEquals((double) zeros / w.length, r.get("sparsity").asDouble(), 1e-12, name);
                long rows = s.shape()[0];
                double bits = (Math.ceil(w.length / 4.0) * 8 + rows * 2 * 32) / w.length; // 2bit codes + two fp32 scales per row
                assertEquals(bits, r.get("bitsPerWeight").asDouble(), 1e-12, name);
                assertTrue(run.out().contains(name), run.out());
            }
        }
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("name") && l.contains("cosine") && l.contains("relL2")
                && l.contains("sparsity") && l.contains("bits/w")), run.out());
        assertTrue(run.out().contains("5 tensors ternarized"), run.out());
        assertTrue(run.out().contains("2 copied unchanged"), run.out());
        assertOnly(m.file(), out, rep, packed);
    }

    @Test
    void outputIsByteIdenticalWhateverTheThreadCount() throws IOException {
        TestModels.Model m = TestModels.standard(dir.resolve("in.safetensors"));
        byte[][] first = null;
        for (String threads : List.of("1", "3", "8")) {
            Path out = dir.resolve("o" + threads), rep = dir.resolve("r" + threads), packed = dir.resolve("p" + threads);
            CliRun run = quantize(m.file(), "-o", out.toString(), "--method", "tnt", "--grouping", "block:4", "--threads", threads,
                    "--report", rep.toString(), "--packed", packed.toString());
            assertEquals(0, run.exitCode(), run.err());
            byte[][] bytes = {Files.readAllBytes(out), Files.readAllBytes(rep), Files.readAllBytes(packed)};
            if (first == null) first = bytes;
            else for (int i = 0; i < 3; i++) assertArrayEquals(first[i], bytes[i], "threads " + threads + " file " + i);
        }
    }

    @Test
    void allTensorsTernarizesBiasesToo() throws IOException {
        TestModels.Model m = TestModels.standard(dir.resolve("in.safetensors"));
        Path out = dir.resolve("out.safetensors"), rep = dir.resolve("r.json");
        CliRun run = quantize(m.file(), "-o", out.toString(), "--method", "tnt", "--grouping", "tensor", "--all-tensors", "--report", rep.toString());
        assertEquals(0, run.exitCode(), run.err());
        try (SafetensorsReader o = SafetensorsReader.open(out)) {
            float[] bias = o.readFloats(o.tensor("fc1.bias"));
            float scale = 0;
            for (float v : bias) if (v != 0) scale = Math.abs(v);
            for (float v : bias) assertTrue(v == 0 || Math.abs(v) == scale, "one scale for the whole tensor");
            assertFalse(java.util.Arrays.equals(m.floats().get("fc1.bias"), bias));
            assertArrayEquals(m.raw().get("step"), o.readBytes(o.tensor("step"))); // integers are never ternarized
        }
        assertEquals(6, new ObjectMapper().readTree(rep.toFile()).get("tensors").size());
    }

    @Test
    void scaleNormMeansTntNorm() throws IOException {
        TestModels.Model m = TestModels.standard(dir.resolve("in.safetensors"));
        Path a = dir.resolve("a"), b = dir.resolve("b"), ra = dir.resolve("ra.json");
        assertEquals(0, quantize(m.file(), "-o", a.toString(), "--method", "tnt", "--scale", "norm", "--grouping", "row", "--report", ra.toString()).exitCode());
        assertEquals(0, quantize(m.file(), "-o", b.toString(), "--method", "tnt:norm", "--grouping", "row").exitCode());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertEquals("tnt:norm", new ObjectMapper().readTree(ra.toFile()).get("tensors").get(0).get("method").asText());
        CliRun bad = quantize(m.file(), "-o", dir.resolve("c").toString(), "--method", "two-scale", "--scale", "norm", "--grouping", "row");
        assertEquals(1, bad.exitCode());
        assertEquals("ternary4j: --scale norm applies only to --method tnt, not 'two-scale'", bad.err().strip());
    }

    @Test
    void emptyTensorsAndEmptyGroupsAreFine() throws IOException {
        Path in = TestModels.write(dir.resolve("in.safetensors"),
                List.of(TensorSpec.of("no.rows", DType.F32, 0, 4), TensorSpec.of("empty.rows", DType.F16, 3, 0), TensorSpec.of("w", DType.F32, 2, 2)),
                java.util.Map.of("no.rows", new float[0], "empty.rows", new float[0], "w", new float[] {0, 0, 0, 0}), java.util.Map.of(), java.util.Map.of());
        Path out = dir.resolve("out.safetensors"), packed = dir.resolve("p.safetensors");
        CliRun run = quantize(in, "-o", out.toString(), "--method", "two-scale", "--grouping", "row", "--packed", packed.toString());
        assertEquals(0, run.exitCode(), run.err());
        try (SafetensorsReader o = SafetensorsReader.open(out); PackedReader p = PackedReader.open(packed)) {
            assertArrayEquals(new long[] {3, 0}, o.tensor("empty.rows").spec().shape());
            assertArrayEquals(new float[4], o.readFloats(o.tensor("w"))); // all-zero weights stay zero, no 0/0
            assertArrayEquals(new float[3], p.read("empty.rows").scalePos()); // three rows, each an empty group
            assertArrayEquals(new float[3], p.read("empty.rows").scaleNeg());
            assertEquals(0, p.read("no.rows").codes().length);
        }
    }

    @Test
    void outputsAreReadableByOthers() throws IOException {
        TestModels.Model m = TestModels.standard(dir.resolve("in.safetensors"));
        Path out = dir.resolve("out.safetensors");
        assertEquals(0, quantize(m.file(), "-o", out.toString(), "--method", "tnt", "--grouping", "row").exitCode());
        if (Files.getFileStore(out).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class)) {
            assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        }
    }

    @Test
    void helpListsTheMethodsAndGroupings() {
        CliRun run = CliRun.of("quantize", "--help");
        assertEquals(0, run.exitCode());
        for (String s : org.ternary4j.core.projection.Projections.HELP) assertTrue(run.out().contains(s.split("\\s+")[0]), s);
        for (String s : org.ternary4j.core.grouping.Grouping.HELP) assertTrue(run.out().contains(s.split("\\s+")[0]), s);
        // every line fits picocli's 80 columns, so none is broken at column 0 under the names; the lists' continuations start under the descriptions
        List<String> lines = run.out().lines().toList();
        for (String l : lines) assertTrue(l.length() <= 80, "over 80 columns: " + l);
        int from = lines.indexOf("Methods (--method):");
        assertTrue(from > 0, run.out());
        for (String l : lines.subList(from + 1, lines.size() - 2)) assertTrue(l.startsWith("  ") || l.endsWith(":"), "a list line starts indented: " + l);
    }

    private void assertOnly(Path... files) throws IOException {
        Set<Path> want = new HashSet<>(List.of(files));
        try (var s = Files.list(dir)) {
            assertEquals(want, new HashSet<>(s.toList()));
        }
    }
}
