package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.formats.onnx.OnnxWeights;

/**
 * ONNX models nobody on this project wrote (scripts/fetch-models.sh puts them in .cache/models;
 * skipped when absent): quantize with every layer ternarized, then re-read the written file on
 * its own and check every output channel holds at most three values, and that eval runs the
 * output in ONNX Runtime beside the original.
 */
class ThirdPartyModelsTest {
    private static final Path MODELS = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."), ".cache", "models");

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({
            "ch_ppocr_mobile_v2.0_cls_infer.onnx, --dim=p2o.DynamicDimension.1=48, --dim=p2o.DynamicDimension.2=192",
            "ch_PP-OCRv4_rec_infer.onnx, --dim=p2o.DynamicDimension.1=160, --limit=2",
            "hello_deepa.onnx, --limit=4, --limit=4",
            "all-minilm-l6-v2.onnx, --dim=sequence_length=16, --limit=2"})
    void quantizedOutputsHoldThreeValuesPerChannelAndRun(String name, String evalArg1, String evalArg2) throws Exception {
        Path model = MODELS.resolve(name);
        Assumptions.assumeTrue(Files.isRegularFile(model), model + " not fetched; run scripts/fetch-models.sh");
        Path out = dir.resolve("t.onnx"), report = dir.resolve("r.json");
        CliRun q = CliRun.of("quantize", model.toString(), "-o", out.toString(), "--method", "two-scale", "--grouping", "row",
                "--all-layers", "--report", report.toString());
        assertEquals(0, q.exitCode(), q.err());
        List<String> names = new ArrayList<>();
        for (JsonNode t : new ObjectMapper().readTree(Files.readAllBytes(report)).get("tensors")) names.add(t.get("name").asText());
        assertFalse(names.isEmpty());
        Map<String, float[]> written = OnnxWeights.canonical(out, Set.copyOf(names));
        for (JsonNode t : new ObjectMapper().readTree(Files.readAllBytes(report)).get("tensors")) {
            float[] w = written.get(t.get("name").asText());
            int rows = t.get("shape").get(0).asInt();
            int per = w.length / rows;
            for (int r = 0; r < rows; r++) {
                Set<Float> values = new HashSet<>();
                for (int j = 0; j < per; j++) values.add(w[r * per + j]);
                assertTrue(values.size() <= 3, name + " " + t.get("name").asText() + " row " + r + ": " + values.size() + " values");
            }
        }
        List<String> args = new ArrayList<>(List.of("eval", model.toString(), "--data", "random:4:7", "--compare", out.toString(), "--json", "--batch", "1"));
        for (String a : new String[] {evalArg1, evalArg2}) if (!args.contains(a)) args.add(a);
        CliRun e = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, e.exitCode(), e.err());
        JsonNode j = new ObjectMapper().readTree(e.out()).get("compare");
        System.out.printf("%s: %d layers ternarized, output cosine %.4f, agreement %.3f%n", name, names.size(),
                j.get("meanCosine").asDouble(), j.get("agreement").asDouble());
    }
}
