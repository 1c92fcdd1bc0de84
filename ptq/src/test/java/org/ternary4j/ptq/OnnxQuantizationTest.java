package org.ternary4j.ptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.packed.PackedFormat;
import org.ternary4j.formats.packed.PackedReader;
import org.ternary4j.ptq.calibrate.CalibrationInputs;
import org.ternary4j.ptq.calibrate.Steps;

class OnnxQuantizationTest {
    private static final Path MODELS = GoldenHashes.ROOT.resolve("models");

    /** Plain ternarization from Java writes the bytes golden-outputs.sh recorded for `quantize lenet5-fmnist.onnx --method tnt --grouping row`. */
    @Test
    void plainMatchesTheCommandLinesOutputs(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("m.onnx"), packed = dir.resolve("m.packed.safetensors");
        OnnxOptions options = OnnxOptions.of(Projections.parse("tnt"), Grouping.parse("row")).withPacking(Packing.BASE3);

        OnnxQuantization.Outcome o = OnnxQuantization.run(OnnxQuantization.Request
                .of(MODELS.resolve("lenet5-fmnist.onnx"), out, options).withPacked(packed));

        assertEquals(GoldenHashes.of("lenet5-fmnist-tnt.onnx"), GoldenHashes.sha256(out));
        assertEquals(GoldenHashes.of("lenet5-fmnist-tnt.packed.safetensors"), GoldenHashes.sha256(packed));
        assertNull(o.calibration());
        assertEquals(o.result().reports().size(), o.report().tensors().size());
    }

    /** Calibrated, with a BatchNorm fold: the bytes of `quantize lenet5-fmnist.onnx --grouping kernel --fold-bn --calibrate fashion-mnist:256`. */
    @Test
    void calibratedMatchesTheCommandLinesOutputs(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("m.onnx"), packed = dir.resolve("m.packed.safetensors"), json = dir.resolve("m.json");
        OnnxOptions options = OnnxOptions.of(Projections.parse("tnt"), Grouping.parse("kernel")).withFoldBn(true).withPacking(Packing.BASE3);

        OnnxQuantization.Outcome o = OnnxQuantization.run(OnnxQuantization.Request
                .of(MODELS.resolve("lenet5-fmnist.onnx"), out, options).withPacked(packed).withReport(json)
                .withCalibration(OnnxQuantization.Calibration.of(CalibrationInputs.load("fashion-mnist:256"))));

        assertEquals(GoldenHashes.of("lenet5-fmnist-cal.onnx"), GoldenHashes.sha256(out));
        assertEquals(GoldenHashes.of("lenet5-fmnist-cal.packed.safetensors"), GoldenHashes.sha256(packed));
        assertNotNull(o.calibration());
        JsonNode cal = new ObjectMapper().readTree(json.toFile()).get("calibration");
        assertEquals(o.calibration().layers().size(), cal.get("layers").size());
        assertEquals(Steps.ALL.spec(), cal.get("steps").asText());
    }

    /**
     * Mixed precision on LeNet-5: every weight layer is in the packed file (first and last are
     * candidates too), the ONNX holds exactly the packed file's dequantized values, and the reported
     * bits/weight is the packed file's bytes over every Conv/Gemm weight.
     */
    @Test
    void mixedPrecisionStoresKeptLayersAndTheOnnxHoldsTheirDequantizedValues(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("m.onnx"), packed = dir.resolve("m.packed.safetensors"), json = dir.resolve("m.json");
        OnnxOptions options = OnnxOptions.of(Projections.parse("tnt"), Grouping.parse("row")).withPacking(Packing.BASE3);
        OnnxQuantization.run(OnnxQuantization.Request.of(MODELS.resolve("lenet5-fmnist.onnx"), out, options).withPacked(packed).withReport(json)
                .withCalibration(new OnnxQuantization.Calibration(CalibrationInputs.load("fashion-mnist:256"), Steps.ALL, 2.6)));
        long bytes = 0, weights = 0;
        try (PackedReader r = PackedReader.open(packed); OnnxModel m = OnnxModel.read(out)) {
            assertEquals("2", r.file().metadata().get(PackedFormat.VERSION_KEY));
            assertFalse(r.keptNames().isEmpty(), "a budget of 2.6 bits keeps some layer at INT8 or FP16");
            assertFalse(r.ternaryNames().isEmpty());
            assertEquals(5, r.keptNames().size() + r.ternaryNames().size(), "all five Conv/Gemm layers are candidates");
            for (String name : r.keptNames()) assertArrayEquals(r.readKept(name).dequantize(), m.graph().constant(name).orElseThrow().floats(), name);
            for (String name : r.ternaryNames()) assertArrayEquals(r.read(name).dequantize(), m.graph().constant(name).orElseThrow().floats(), name);
            for (var t : r.file().tensors()) bytes += t.byteSize();
            for (String name : List.of("conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight", "fc3.weight")) {
                weights += m.graph().constant(name).orElseThrow().count();
            }
        }
        JsonNode budget = new ObjectMapper().readTree(json.toFile()).get("calibration").get("budget");
        double bits = budget.get("bitsPerWeight").asDouble();
        assertEquals(8.0 * bytes / weights, bits, 1e-9, "base-3 codes, fp32 scales, int8 values and scales, halves: the packed file's bytes");
        assertTrue(bits <= 2.6, "bits/weight " + bits);
        assertEquals(5, budget.get("layers").size());
        for (JsonNode l : budget.get("layers")) assertFalse(l.get("why").asText().isEmpty());
    }

    @Test
    void budgetMustBePositive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new OnnxQuantization.Calibration(CalibrationInputs.load("fashion-mnist:8"), Steps.ALL, 0.0));
        assertTrue(e.getMessage().contains("budget"), e.getMessage());
        assertFalse(e.getMessage().contains("--"), e.getMessage());
    }
}
