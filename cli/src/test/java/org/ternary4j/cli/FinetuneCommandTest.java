package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpzWriter;

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
}
