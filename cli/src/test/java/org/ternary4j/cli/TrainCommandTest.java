package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.data.DataSources;
import org.ternary4j.formats.data.Dataset;

/**
 * {@code train}: quantization-aware training from a trained ONNX model writes a model whose ONNX
 * Runtime test accuracy is the one reported, with its log; bad arguments fail at once with one
 * line, before any data or engine is loaded, and write nothing.
 */
class TrainCommandTest {
    private static final Path FASHION_MNIST = Path.of(DataSources.FASHION_MNIST);

    @TempDir
    Path dir;

    private static String[] run(String... args) {
        CliRun r = CliRun.of(args);
        return new String[] {Integer.toString(r.exitCode()), r.err(), r.out()};
    }

    @Test
    void quantizationAwareTrainingReportsTheOnnxRuntimeTestAccuracyOfWhatItWrote() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(FASHION_MNIST), "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        Path out = dir.resolve("t.onnx"), log = dir.resolve("t.csv");
        byte[] init = Files.readAllBytes(TaskCommandsTest.LENET);
        String[] r = run("train", "--method", "tnt", "--init", TaskCommandsTest.LENET.toString(), "--epochs", "2", "--train-limit", "256",
                "--bn-examples", "128", "--json", "--log", log.toString(), "-o", out.toString(), "--no-progress");
        assertEquals("0", r[0], r[1]);
        JsonNode j = new ObjectMapper().readTree(r[2]);
        assertEquals("tnt", j.get("method").asText());
        assertEquals("row", j.get("grouping").asText());
        assertEquals(List.of("conv2.weight", "fc1.weight", "fc2.weight"), new ObjectMapper().convertValue(j.get("ternary_layers"), List.class));
        assertEquals(256, j.get("train_examples").asInt());
        assertEquals(128, j.get("bn_examples").asInt());
        assertEquals(2e-4, j.get("learning_rate").asDouble(), 1e-9);
        assertEquals(out.toString(), j.get("output").asText());
        assertEquals(accuracy(out), j.get("test_accuracy").asDouble(), 1e-12, "the reported test accuracy is ONNX Runtime's on the written file");
        assertTrue(j.get("test_accuracy").asDouble() > 0.5, "collapsed: " + j.get("test_accuracy"));
        List<String> lines = Files.readAllLines(log);
        assertEquals("epoch,loss,wall_seconds,cpu_seconds", lines.get(0));
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(2).startsWith("2,"), lines.get(2));
        assertArrayEquals(init, Files.readAllBytes(TaskCommandsTest.LENET), "the --init model is never modified");
    }

    /** Top-1 on the 10 000 test images by ONNX Runtime directly, one image tensor of the whole split. */
    private static double accuracy(Path model) throws Exception {
        Dataset test = DataSources.idxFolder(FASHION_MNIST, "t10k");
        float[] x = test.inputs().getFirst().array().data();
        int n = test.count();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model.toString(), new OrtSession.SessionOptions());
             OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {n, 1, 28, 28});
             OrtSession.Result res = s.run(Map.of(s.getInputNames().iterator().next(), in))) {
            float[][] logits = (float[][]) res.get(0).getValue();
            int correct = 0;
            for (int i = 0; i < n; i++) {
                int best = 0;
                for (int c = 1; c < logits[i].length; c++) if (logits[i][c] > logits[i][best]) best = c;
                if (best == test.labels()[i]) correct++;
            }
            return (double) correct / n;
        }
    }

    @Test
    void unknownModelMethodOrGroupingIsOneLine() {
        Path out = dir.resolve("m.onnx");
        String[] r = run("train", "--model", "alexnet", "-o", out.toString());
        assertEquals("1", r[0]);
        assertEquals("ternary4j: model 'alexnet': unknown; one of mlp, lenet5, vgg, resnet20", r[1].strip());
        r = run("train", "--model", "lenet5", "--method", "xnor", "-o", out.toString());
        assertTrue(r[1].strip().startsWith("ternary4j: method 'xnor': unknown"), r[1]);
        r = run("train", "--method", "tga", "--grouping", "row", "--init", TaskCommandsTest.LENET.toString(), "-o", out.toString());
        assertEquals("ternary4j: method tga works per layer: grouping must be 'tensor'", r[1].strip());
        assertFalse(Files.exists(out));
    }

    @Test
    void eachKindOfTrainingTakesItsOwnOptions() {
        Path out = dir.resolve("m.onnx");
        String lenet = TaskCommandsTest.LENET.toString();
        Map<List<String>, String> cases = Map.of(
                List.of("--method", "ttq"), "ternary4j: quantization-aware training starts from a trained model: give --init MODEL.onnx",
                List.of("--method", "ttq", "--model", "lenet5", "--init", lenet),
                "ternary4j: --model names an architecture to train from scratch (method fp); quantization-aware training takes its model from --init",
                List.of("--epochs", "2"), "ternary4j: training from scratch needs --model mlp, lenet5, vgg or resnet20",
                List.of("--model", "lenet5", "--init", lenet),
                "ternary4j: --init starts quantization-aware training (--method ttq, syq, tga, twn, tnt or two-scale); method fp trains from scratch",
                List.of("--model", "lenet5", "--bn-examples", "64"),
                "ternary4j: --bn-examples is for quantization-aware training; method fp trains every layer in full precision",
                List.of("--model", "lenet5", "--all-layers"),
                "ternary4j: --all-layers is for quantization-aware training; method fp trains every layer in full precision");
        cases.forEach((args, message) -> {
            List<String> all = new java.util.ArrayList<>(List.of("train", "-o", out.toString()));
            all.addAll(args);
            String[] r = run(all.toArray(String[]::new));
            assertEquals("1", r[0], args.toString());
            assertEquals(message, r[1].strip(), args.toString());
        });
        assertFalse(Files.exists(out));
    }

    @Test
    void refusesToOverwriteTheInitModelOrWriteIntoAMissingFolder() throws Exception {
        Path init = Files.writeString(dir.resolve("fp.onnx"), "not really a model");
        String[] r = run("train", "--method", "ttq", "--init", init.toString(), "-o", init.toString());
        assertEquals("1", r[0]);
        assertTrue(r[1].contains("would overwrite the input file"), r[1]);
        assertEquals("not really a model", Files.readString(init));
        r = run("train", "--model", "lenet5", "-o", dir.resolve("no/such/dir/m.onnx").toString());
        assertTrue(r[1].contains("output folder does not exist"), r[1]);
    }
}
