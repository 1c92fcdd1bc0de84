package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpyWriter;
import org.ternary4j.formats.data.NpzWriter;

/** {@code quantize --calibrate}: the calibration table and report, the budget, and the test-split guard. */
class QuantizeCalibrateTest {
    @TempDir Path dir;

    /** QuantizeOnnxTest's network with its input X declared as [N, 2, 6, 6], so ONNX Runtime can run it. */
    private Path model() throws Exception {
        Path f = QuantizeOnnxTest.model(dir.resolve("net.onnx"));
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(f));
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
        for (int d : new int[] {2, 6, 6}) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        ValueInfoProto x = ValueInfoProto.newBuilder().setName("X").setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s))).build();
        Files.write(f, m.toBuilder().setGraph(m.getGraph().toBuilder().clearInput().clearOutput().addInput(x).addOutput(ValueInfoProto.newBuilder().setName("Y")
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))))).build().toByteArray());
        return f;
    }

    private Path calibration() throws Exception {
        Random r = new Random(3);
        float[] v = new float[32 * 72];
        for (int i = 0; i < v.length; i++) v[i] = r.nextFloat();
        Path f = dir.resolve("calib.npy");
        NpyWriter.writeFloats(f, new NdArray(new int[] {32, 2, 6, 6}, v));
        return f;
    }

    @Test
    void calibratedRunPrintsAndReportsPerLayerErrorsAndBudgetChoices() throws Exception {
        Path in = model(), out = dir.resolve("out.onnx"), report = dir.resolve("r.json");
        CliRun run = QuantizeOnnxTest.quantize(in.toString(), "-o", out.toString(), "--method", "two-scale", "--grouping", "row",
                "--all-layers", "--calibrate", calibration().toString(), "--budget", "6", "--report", report.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("calibration on"), run.out());
        JsonNode cal = new ObjectMapper().readTree(report.toFile()).get("calibration");
        int kept = 0;
        for (JsonNode l : cal.get("budget").get("layers")) if (l.get("kept").asBoolean()) kept++;
        assertEquals(4, cal.get("layers").size() + kept, "every layer is calibrated ternary or kept at INT8/FP16");
        assertEquals(4, cal.get("budget").get("layers").size());
        for (JsonNode l : cal.get("layers")) {
            assertTrue(l.get("outputErrorCalibrated").asDouble() <= l.get("outputErrorPlain").asDouble() + 1e-12, l.toString() + run.out());
        }
        assertTrue(cal.get("budget").get("bitsPerWeight").asDouble() <= 6 + 1e-9); // tiny layers: row alone costs 3.5 bits/weight
        assertEquals(4, cal.get("budget").get("chosen").size());
    }

    @Test
    void testSplitIsRefusedWithOneLine() throws Exception {
        Path in = model(), out = dir.resolve("out.onnx");
        CliRun run = QuantizeOnnxTest.quantize(in.toString(), "-o", out.toString(), "--method", "tnt", "--grouping", "row",
                "--calibrate", "fashion-mnist:test");
        assertNotEquals(0, run.exitCode());
        assertTrue(run.err().contains("test split"), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertFalse(Files.exists(out));
    }

    /** Calibration arrays that do not fit the model: one line naming the file and the array, and no output, report or packed file. */
    @Test
    void calibrationArraysThatDoNotFitTheModelWriteNothing() throws Exception {
        Path in = model(), out = dir.resolve("out.onnx"), report = dir.resolve("r.json"), packed = dir.resolve("p.safetensors");
        float[] v = new float[4 * 72];
        List<List<NpzWriter.Entry>> bad = List.of(
                List.of(new NpzWriter.Floats("Z", new NdArray(new int[] {4, 2, 6, 6}, v))),                      // no array for 'X'
                List.of(new NpzWriter.Floats("X", new NdArray(new int[] {4, 2, 6, 6}, v)),
                        new NpzWriter.Floats("mask", new NdArray(new int[] {4, 1}, new float[4]))),                // extra array
                List.of(new NpzWriter.Floats("X", new NdArray(new int[] {4, 71}, new float[4 * 71]))));          // 71 values, not 2·6·6
        String[] arrays = {"'X'", "'mask'", "'X'"};
        for (int i = 0; i < bad.size(); i++) {
            Path npz = dir.resolve("calib" + i + ".npz");
            NpzWriter.write(npz, bad.get(i));
            CliRun run = QuantizeOnnxTest.quantize(in.toString(), "-o", out.toString(), "--method", "tnt", "--grouping", "row",
                    "--calibrate", npz.toString(), "--report", report.toString(), "--packed", packed.toString());
            assertNotEquals(0, run.exitCode());
            assertEquals(1, run.err().strip().lines().count(), run.err());
            assertTrue(run.err().contains(npz.toString()) && run.err().contains(arrays[i]), run.err());
            assertFalse(Files.exists(out) || Files.exists(report) || Files.exists(packed), run.err());
        }
    }

    @Test
    void budgetNeedsCalibration() throws Exception {
        CliRun run = QuantizeOnnxTest.quantize(model().toString(), "-o", dir.resolve("o.onnx").toString(), "--method", "tnt",
                "--grouping", "row", "--budget", "1.8");
        assertNotEquals(0, run.exitCode());
        assertTrue(run.err().contains("--budget needs --calibrate"), run.err());
    }
}
