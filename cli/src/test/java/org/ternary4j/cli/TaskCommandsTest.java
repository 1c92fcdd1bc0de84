package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** quantize --eval/--html, sweep and demo on the bundled LeNet-5, checked against separate runs. */
class TaskCommandsTest {
    static final Path LENET = Path.of("..", "models", "lenet5-fmnist.onnx");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static JsonNode evalJson(Path model, int limit) throws Exception {
        CliRun r = CliRun.of("eval", model.toString(), "--data", "fashion-mnist", "--limit", "" + limit, "--json");
        assertEquals(0, r.exitCode(), r.err());
        return JSON.readTree(r.out());
    }

    @Test
    void quantizeEvalAgreesWithASeparateEvalOfTheWrittenFile() throws Exception {
        Path out = dir.resolve("t.onnx"), report = dir.resolve("r.json"), html = dir.resolve("r.html");
        CliRun r = CliRun.of("quantize", LENET.toString(), "-o", out.toString(), "--method", "tnt-tuned", "--grouping", "row",
                "--eval", "fashion-mnist", "--eval-limit", "400", "--report", report.toString(), "--html", html.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode acc = JSON.readTree(Files.readAllBytes(report)).get("accuracy");
        assertEquals(400, acc.get("n").asInt());
        assertEquals(evalJson(out, 400).get("top1").asDouble(), acc.get("ternaryTop1").asDouble());
        assertEquals(evalJson(LENET, 400).get("top1").asDouble(), acc.get("fpTop1").asDouble());
        String page = Files.readString(html);
        assertTrue(page.contains("<svg") && page.contains("conv2.weight"), "report shows the layers");
    }

    @Test
    void aBadEvalDataSetFailsBeforeAnythingIsWritten() {
        Path out = dir.resolve("t.onnx");
        CliRun r = CliRun.of("quantize", LENET.toString(), "-o", out.toString(), "--method", "tnt", "--grouping", "row",
                "--eval", dir.resolve("missing.npz").toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("missing.npz"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void sweepRowsEqualQuantizeThenEval() throws Exception {
        CliRun r = CliRun.of("sweep", LENET.toString(), "--methods", "tnt,two-scale", "--groupings", "row", "--data", "fashion-mnist",
                "--limit", "300", "--json");
        assertEquals(0, r.exitCode(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length, r.out());
        for (String line : lines) {
            JsonNode row = JSON.readTree(line);
            List<String> fields = new ArrayList<>();
            row.fieldNames().forEachRemaining(fields::add);
            assertEquals(List.of("method", "grouping", "n", "fpTop1", "top1", "agreement", "meanCosine", "bitsPerWeight", "fpBytes", "packedBytes"), fields);
            Path out = dir.resolve(row.get("method").asText() + ".onnx"), report = dir.resolve(row.get("method").asText() + ".json");
            CliRun q = CliRun.of("quantize", LENET.toString(), "-o", out.toString(), "--method", row.get("method").asText(),
                    "--grouping", "row", "--report", report.toString());
            assertEquals(0, q.exitCode(), q.err());
            assertEquals(evalJson(out, 300).get("top1").asDouble(), row.get("top1").asDouble());
            assertEquals(JSON.readTree(Files.readAllBytes(report)).get("summary").get("bitsPerWeight").asDouble(), row.get("bitsPerWeight").asDouble(), 1e-12);
            assertTrue(row.get("packedBytes").asLong() * 8 < row.get("fpBytes").asLong(), "packed model is much smaller");
        }
    }

    @Test
    void demoRunsOnTheBundledModel() throws Exception {
        Path html = dir.resolve("demo.html");
        CliRun r = CliRun.of("demo", "--limit", "200", "--html", html.toString(), "--model", LENET.toString(), "--calibration-images", "256");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("best:") && r.out().contains("ternary4j train"), r.out());
        assertEquals(11, r.out().lines().filter(l -> l.matches("^(tnt|tnt-tuned|two-scale|twn|absmean|tnt\\+calib) +(row|kernel) .*")).count(), r.out());
        assertTrue(Files.size(html) > 10_000);
        // The fine-tuning command the demo suggests is one train accepts (run on a few images, its paths made this test's).
        String suggested = r.out().lines().map(String::strip).filter(l -> l.startsWith("./ternary4j train ")).findFirst().orElseThrow();
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(suggested.substring("./ternary4j ".length()).split(" +")));
        args.set(args.indexOf("-o") + 1, dir.resolve("suggested.onnx").toString());
        args.set(args.indexOf("--init") + 1, LENET.toString()); // the suggestion's path is relative to the project's root
        args.set(args.indexOf("--epochs") + 1, "1");
        args.addAll(java.util.List.of("--train-limit", "128", "--no-progress"));
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/usr/share/datasets/fashion-mnist")), "train needs the installed Fashion-MNIST");
        CliRun t = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, t.exitCode(), suggested + ": " + t.err());
    }

    @Test
    void runtimeOnPackedWeightsMatchesOnnxRuntimeOnTheDequantizedModel() throws Exception {
        Path out = dir.resolve("t.onnx"), packed = dir.resolve("t.packed.safetensors");
        CliRun q = CliRun.of("quantize", LENET.toString(), "-o", out.toString(), "--method", "two-scale", "--grouping", "row",
                "--packed", packed.toString());
        assertEquals(0, q.exitCode(), q.err());
        CliRun r = CliRun.of("run", out.toString(), "--packed", packed.toString(), "--data", "fashion-mnist", "--limit", "300",
                "--exact", "--compare-ort", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals(evalJson(out, 300).get("top1").asDouble(), j.get("top1").asDouble(), "same top-1 as ONNX Runtime");
        assertEquals(1.0, j.get("ort").get("agreement").asDouble());
        assertTrue(j.get("ort").get("maxAbsOutputDiff").asDouble() < 1e-3, r.out());
        // LeNet's rows (25 to 400 inputs) are padded to 128-input chunks, so this tiny model pays
        // more than the 2.0-2.1 bits/weight of large matrices (runtime's own tests check those).
        assertTrue(j.get("residentBitsPerWeight").asDouble() < 4, r.out());
    }
}
