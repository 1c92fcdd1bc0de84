package org.ternary4j.formats.packed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * The Python reader PACKED_FORMAT.md prints, run as it stands (python3, standard library) on
 * packed files of every grouping, both packings, two scales per group and FP16 scales: its values
 * equal the Java dequantization exactly. An independent reader of the documented layout, and the
 * document's own code kept working. Skipped where python3 is missing.
 */
class DocumentedReaderTest {
    @TempDir Path dir;

    /** The ```python block of PACKED_FORMAT.md (the module's folder is the tests' working directory). */
    private static String documentedReader() throws IOException {
        String doc = Files.readString(Path.of("PACKED_FORMAT.md"));
        int from = doc.indexOf("```python\n"), to = doc.indexOf("```", from + 10);
        assertTrue(from >= 0 && to > from, "PACKED_FORMAT.md holds a python block");
        return doc.substring(from + "```python\n".length(), to);
    }

    @Test
    void thePythonReaderInTheDocumentGivesTheJavaValues() throws Exception {
        Assumptions.assumeTrue(python() != null, "python3 not found");
        String[][] cases = {{"tnt", "tensor"}, {"tnt", "row"}, {"two-scale", "kernel"}, {"tnt-tuned", "fiber"}, {"tnt", "block:4"},
                {"twn", "syq-pixel"}, {"two-scale", "syq-row"}};
        int[] shape = {5, 3, 3, 2}; // odd sizes: codes do not fill the last byte; kernels of 3×2
        Map<String, TernaryTensor> want = new LinkedHashMap<>();
        for (Packing pack : Packing.values()) {
            for (boolean half : new boolean[] {false, true}) {
                Path file = dir.resolve(pack.spec() + (half ? "-f16" : "") + ".safetensors");
                List<TensorSpec> specs = new ArrayList<>();
                Map<String, String> meta = new LinkedHashMap<>(PackedFormat.header());
                Map<String, TernaryTensor> here = new LinkedHashMap<>();
                for (int k = 0; k < cases.length; k++) {
                    TernaryTensor t = new Ternarizer(Projections.parse(cases[k][0]), Grouping.parse(cases[k][1])).apply(shape, PackedFormatTest.random(90, 7L * k + 1));
                    if (half) t = t.withHalfScales();
                    String name = "w" + k;
                    here.put(name, t);
                    specs.addAll(PackedFormat.specs(name, shape, t.grouping(), t.twoScales(), pack, half));
                    meta.put(name, new PackedEntry(shape, DType.F32, t.grouping(), t.method(), pack).toJson());
                }
                try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, meta)) {
                    for (var e : here.entrySet()) PackedFormat.write(w, e.getKey(), e.getValue(), pack, half);
                    w.commit();
                }
                JsonNode got = run(file);
                for (var e : here.entrySet()) {
                    float[] java = e.getValue().dequantize();
                    JsonNode values = got.get(e.getKey()).get(1);
                    assertEquals(java.length, values.size(), e.getKey());
                    for (int i = 0; i < java.length; i++) {
                        assertEquals(java[i], (float) values.get(i).asDouble(), 0f, file.getFileName() + " " + e.getKey() + " (" + e.getValue().grouping().spec() + ") element " + i);
                    }
                }
            }
        }
    }

    /** load_packed(file) as JSON: {name: [shape, values]}. */
    private JsonNode run(Path file) throws Exception {
        Path script = dir.resolve("reader.py");
        Files.writeString(script, documentedReader() + "\nimport sys\nprint(json.dumps(load_packed(sys.argv[1])))\n");
        Path out = dir.resolve("out.json");
        Process p = new ProcessBuilder(python(), script.toString(), file.toString()).redirectOutput(out.toFile()).redirectErrorStream(false).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the reader finished");
        String err = new String(p.getErrorStream().readAllBytes());
        assertEquals(0, p.exitValue(), err);
        return new ObjectMapper().readTree(out.toFile());
    }

    private static String python() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, "python3");
            if (Files.isExecutable(p)) return p.toString();
        }
        return null;
    }
}
