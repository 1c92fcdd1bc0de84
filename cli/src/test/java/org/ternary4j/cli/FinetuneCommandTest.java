package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpzWriter;
import org.ternary4j.formats.packed.PackedReader;

/** {@code finetune}: a run on a small ONNX model, and bad input refused in one line with nothing written. */
class FinetuneCommandTest {
    @TempDir Path dir;

    private Path examples(String name, String array, float poison) throws Exception {
        Random r = new Random(5);
        float[] v = new float[40 * 2 * 6 * 6];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        v[v.length / 2] += poison;
        Path f = dir.resolve(name);
        NpzWriter.write(f, List.of(new NpzWriter.Floats(array, new NdArray(new int[] {40, 2, 6, 6}, v))));
        return f;
    }

    /** quantize's test network (its input X and output Y declared: a runnable graph). */
    private Path model() throws Exception {
        return QuantizeOnnxTest.model(dir.resolve("net.onnx"));
    }

    @Test
    void fineTunesAndReportsBitsPerWeight() throws Exception {
        Path in = model(), out = dir.resolve("ft.onnx");
        CliRun run = CliRun.of("finetune", in.toString(), "--data", examples("x.npz", "x", 0).toString(), "-o", out.toString(),
                "--method", "tnt", "--epochs", "1", "--batch", "8", "--no-progress");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.exists(out));
        assertTrue(run.out().contains("2 of 4 weight layers ternary") && run.out().contains("bits/weight (base3, FP32 scales)"), run.out());
        assertTrue(run.out().contains("kept c1.w (Conv): first layer"), run.out());
        CliRun half = CliRun.of("finetune", in.toString(), "--data", examples("x.npz", "x", 0).toString(), "-o", dir.resolve("ft16.onnx").toString(),
                "--method", "tnt", "--epochs", "1", "--batch", "8", "--no-progress", "--scales", "f16");
        assertEquals(0, half.exitCode(), half.err());
        assertTrue(half.out().contains("bits/weight (base3, FP16 scales)"), half.out());
    }

    @Test
    void refusesExamplesThatMissTheModelsInputAndWritesNothing() throws Exception {
        Path in = model(), out = dir.resolve("ft.onnx");
        Path data = examples("pixels.npz", "pixels", 0);
        CliRun run = CliRun.of("finetune", in.toString(), "--data", data.toString(), "-o", out.toString(), "--method", "tnt", "--no-progress");
        assertNotEquals(0, run.exitCode());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().contains(data.toString()) && run.err().contains("'X'"), run.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void refusesNonFiniteExamplesAndAnOutputOverItsInput() throws Exception {
        Path in = model(), out = dir.resolve("ft.onnx");
        Path nan = examples("nan.npz", "x", Float.NaN);
        CliRun run = CliRun.of("finetune", in.toString(), "--data", nan.toString(), "-o", out.toString(), "--method", "tnt", "--no-progress");
        assertNotEquals(0, run.exitCode());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().contains(nan.toString()) && run.err().contains("NaN"), run.err());
        assertFalse(Files.exists(out));
        byte[] before = Files.readAllBytes(in);
        CliRun over = CliRun.of("finetune", in.toString(), "--data", examples("x.npz", "x", 0).toString(), "-o", in.toString(), "--method", "tnt");
        assertNotEquals(0, over.exitCode());
        assertTrue(over.err().contains("would overwrite the input"), over.err());
        assertArrayEquals(before, Files.readAllBytes(in));
    }

    /** --packed stores exactly the ternary weights the written model holds (its dequantized values), and run executes the model from it. */
    @Test
    void thePackedFileHoldsTheWrittenWeightsAndRuns() throws Exception {
        Path in = model(), out = dir.resolve("ft.onnx"), packed = dir.resolve("ft.packed.safetensors");
        CliRun run = CliRun.of("finetune", in.toString(), "--data", examples("x.npz", "x", 0).toString(), "-o", out.toString(), "--packed", packed.toString(),
                "--method", "tnt", "--epochs", "1", "--batch", "8", "--scales", "f16", "--no-progress");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("and " + packed), run.out());
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(out));
        try (PackedReader p = PackedReader.open(packed)) {
            assertEquals(java.util.Set.of("c2.w", "fc.w"), p.ternaryNames(), "the first and last layers stay full precision, in the model only");
            for (String name : p.ternaryNames()) {
                TensorProto t = m.getGraph().getInitializerList().stream().filter(x -> x.getName().equals(name)).findFirst().orElseThrow();
                float[] stored = new float[t.getRawData().size() / 4];
                t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(stored);
                TernaryTensor tt = p.read(name);
                assertTrue(p.halfScales(name), name);
                float[] canonical = tt.dequantize();
                // Gemm transB=0 stores [in, out] = [16, 5]; the packed tensor is canonical [out, in].
                boolean transposed = name.equals("fc.w");
                assertArrayEquals(transposed ? new int[] {5, 16} : new int[] {4, 4, 3, 3}, tt.shape());
                for (int i = 0; i < stored.length; i++) assertEquals(stored[i], canonical[transposed ? (i % 5) * 16 + i / 5 : i], 0f, name + " element " + i);
            }
        }
        // The runtime on LeNet-5 fine-tuned with a packed file, against ONNX Runtime on the written model.
        Path lenet = dir.resolve("lenet.onnx"), lenetPacked = dir.resolve("lenet.packed.safetensors"), images = dir.resolve("images.npy");
        Random rnd = new Random(9);
        float[] pixels = new float[32 * 28 * 28];
        for (int i = 0; i < pixels.length; i++) pixels[i] = rnd.nextFloat();
        org.ternary4j.formats.data.NpyWriter.writeFloats(images, new NdArray(new int[] {32, 1, 28, 28}, pixels));
        CliRun ft = CliRun.of("finetune", TaskCommandsTest.LENET.toString(), "--data", images.toString(), "-o", lenet.toString(), "--packed", lenetPacked.toString(),
                "--method", "tnt", "--epochs", "1", "--batch", "16", "--no-progress");
        assertEquals(0, ft.exitCode(), ft.err());
        CliRun r = CliRun.of("run", lenet.toString(), "--packed", lenetPacked.toString(), "--data", images.toString(), "--exact", "--compare-ort", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(1.0, j.get("ort").get("agreement").asDouble(), r.out());
        assertTrue(j.get("ort").get("maxAbsOutputDiff").asDouble() < 1e-4, r.out());
    }

    /**
     * A mixed-precision start (quantize --budget, with its packed file) keeps its choices: each ternary layer at its own grouping,
     * the layers kept at INT8/FP16 frozen at their values, counted at their width, and stored again in the packed output.
     */
    @Test
    void aMixedPrecisionStartKeepsItsChoicesAndItsKeptLayersFrozen() throws Exception {
        Path cal = dir.resolve("mixed.onnx"), calPacked = dir.resolve("mixed.packed.safetensors"), ft = dir.resolve("ft.onnx"), ftPacked = dir.resolve("ft.packed.safetensors");
        CliRun q = CliRun.of("quantize", TaskCommandsTest.LENET.toString(), "-o", cal.toString(), "--method", "tnt", "--grouping", "row",
                "--calibrate", "fashion-mnist:256", "--budget", "2.6", "--packed", calPacked.toString());
        assertEquals(0, q.exitCode(), q.err());
        Path images = dir.resolve("images.npy");
        Random rnd = new Random(9);
        float[] pixels = new float[32 * 28 * 28];
        for (int i = 0; i < pixels.length; i++) pixels[i] = rnd.nextFloat();
        org.ternary4j.formats.data.NpyWriter.writeFloats(images, new NdArray(new int[] {32, 1, 28, 28}, pixels));
        // --grouping kernel: what the start chose must win over the command's grouping.
        CliRun run = CliRun.of("finetune", TaskCommandsTest.LENET.toString(), "--data", images.toString(), "--init", cal.toString(), "--init-packed", calPacked.toString(),
                "-o", ft.toString(), "--packed", ftPacked.toString(), "--method", "tnt", "--grouping", "kernel", "--epochs", "1", "--batch", "16", "--no-progress");
        assertEquals(0, run.exitCode(), run.err());
        try (PackedReader start = PackedReader.open(calPacked); PackedReader end = PackedReader.open(ftPacked);
             org.ternary4j.formats.onnx.OnnxModel before = org.ternary4j.formats.onnx.OnnxModel.read(cal);
             org.ternary4j.formats.onnx.OnnxModel after = org.ternary4j.formats.onnx.OnnxModel.read(ft)) {
            assertFalse(start.keptNames().isEmpty(), "the budget kept a layer: " + q.out());
            assertEquals(start.keptNames(), end.keptNames());
            assertEquals(start.ternaryNames(), end.ternaryNames());
            for (String name : start.keptNames()) {
                assertArrayEquals(start.readKept(name).dequantize(), end.readKept(name).dequantize(), name);
                assertArrayEquals(before.graph().constant(name).orElseThrow().floats(), after.graph().constant(name).orElseThrow().floats(), name + " stays frozen");
                assertTrue(run.out().contains("kept " + name + " ("), run.out());
            }
            for (String name : start.ternaryNames()) assertEquals(start.entry(name).grouping(), end.entry(name).grouping(), name);
        }
        // The same layers at the same widths: finetune's bits over every weight layer are the budget's.
        java.util.regex.Matcher budget = java.util.regex.Pattern.compile("\\(got ([0-9.]+)\\)").matcher(q.out());
        java.util.regex.Matcher all = java.util.regex.Pattern.compile("([0-9.]+) over every Conv/Gemm/MatMul weight").matcher(run.out());
        assertTrue(budget.find() && all.find(), q.out() + run.out());
        assertEquals(Double.parseDouble(budget.group(1)), Double.parseDouble(all.group(1)), 1e-3, run.out());
        // Another model's packed file (VGG's layers share LeNet-5's names, not their shapes): one line naming it, nothing written.
        Path vggPacked = dir.resolve("vgg.packed.safetensors");
        CliRun v = CliRun.of("quantize", TaskCommandsTest.LENET.resolveSibling("vgg-fmnist.onnx").toString(), "-o", dir.resolve("vgg.onnx").toString(),
                "--method", "tnt", "--grouping", "row", "--packed", vggPacked.toString());
        assertEquals(0, v.exitCode(), v.err());
        CliRun other = CliRun.of("finetune", TaskCommandsTest.LENET.toString(), "--data", images.toString(), "--init", cal.toString(),
                "--init-packed", vggPacked.toString(), "-o", dir.resolve("x.onnx").toString(), "--packed", dir.resolve("x.safetensors").toString(),
                "--method", "tnt", "--no-progress");
        assertNotEquals(0, other.exitCode());
        assertEquals(1, other.err().strip().lines().count(), other.err());
        assertTrue(other.err().contains(vggPacked.toString()) && other.err().contains("not a packed file of this model"), other.err());
        assertFalse(Files.exists(dir.resolve("x.onnx")) || Files.exists(dir.resolve("x.safetensors")));
    }
}
