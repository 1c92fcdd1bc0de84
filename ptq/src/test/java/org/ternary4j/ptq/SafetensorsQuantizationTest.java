package org.ternary4j.ptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.packed.PackedReader;
import org.ternary4j.formats.safetensors.HalfFloats;
import org.ternary4j.formats.safetensors.SafetensorsReader;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;

class SafetensorsQuantizationTest {
    private static final Path FIXTURE = GoldenHashes.ROOT.resolve("scripts/golden/fixture.safetensors");

    /** The few-line Java call writes the same bytes the command line wrote (golden-outputs.sh's st-tnt run). */
    @Test
    void matchesTheCommandLinesOutputs(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("st-tnt.safetensors"), packed = dir.resolve("st-tnt.packed.safetensors"), json = dir.resolve("st-tnt.json");

        QuantizeReport r = SafetensorsQuantization.run(SafetensorsQuantization.Request
                .of(FIXTURE, out, Projections.parse("tnt"), Grouping.parse("row"))
                .withPacked(packed).withReport(json).withThreads(2));

        assertEquals(GoldenHashes.of("st-tnt.safetensors"), GoldenHashes.sha256(out));
        assertEquals(GoldenHashes.of("st-tnt.packed.safetensors"), GoldenHashes.sha256(packed));
        JsonNode written = new ObjectMapper().readTree(json.toFile());
        assertEquals(r.tensors().size(), written.get("summary").get("ternarizedTensors").asInt());
        assertEquals(r.copiedTensors(), written.get("summary").get("copiedTensors").asInt());
        assertFalse(r.tensors().isEmpty());
    }

    /** A grouping that does not fit a tensor (kernel on a rank-2 weight) fails before anything is written. */
    @Test
    void badGroupingLeavesNoOutput(@TempDir Path dir) {
        Path out = dir.resolve("out.safetensors"), json = dir.resolve("r.json");
        IOException e = assertThrows(IOException.class, () -> SafetensorsQuantization.run(SafetensorsQuantization.Request
                .of(FIXTURE, out, Projections.parse("tnt"), Grouping.parse("kernel")).withReport(json)));
        assertEquals(FIXTURE + ": tensor 'encoder.layer.0.weight': grouping 'kernel' needs a tensor of rank ≥ 3, got shape [64, 128]", e.getMessage());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(json));
    }

    /**
     * With FP16 scales: the codes of the FP32 run, each scale that run's rounded to FP16, stored as
     * F16, and the dequantized output holding exactly codes times those scales.
     */
    @Test
    void halfScalesAreTheFloatScalesRoundedInEveryOutput(@TempDir Path dir) throws IOException {
        Path out32 = dir.resolve("f32.safetensors"), packed32 = dir.resolve("f32.packed.safetensors");
        Path out16 = dir.resolve("f16.safetensors"), packed16 = dir.resolve("f16.packed.safetensors");
        SafetensorsQuantization.Request base = SafetensorsQuantization.Request.of(FIXTURE, out32, Projections.parse("two-scale"), Grouping.parse("row"))
                .withThreads(2);
        SafetensorsQuantization.quantize(base.withPacked(packed32), SafetensorsQuantization.Monitor.NONE, false);
        SafetensorsQuantization.quantize(SafetensorsQuantization.Request.of(FIXTURE, out16, Projections.parse("two-scale"), Grouping.parse("row"))
                .withThreads(2).withPacked(packed16), SafetensorsQuantization.Monitor.NONE, true);
        try (PackedReader p32 = PackedReader.open(packed32); PackedReader p16 = PackedReader.open(packed16); SafetensorsReader o16 = SafetensorsReader.open(out16)) {
            assertFalse(p16.ternaryNames().isEmpty());
            for (String name : p16.ternaryNames()) {
                assertFalse(p32.halfScales(name));
                assertTrue(p16.halfScales(name), name);
                TernaryTensor f = p32.read(name), h = p16.read(name);
                assertArrayEquals(f.codes(), h.codes(), name);
                for (int g = 0; g < f.groupCount(); g++) {
                    assertEquals(Float.float16ToFloat(Float.floatToFloat16(f.scalePos()[g])), h.scalePos()[g], 0f, name + " group " + g);
                    assertEquals(Float.float16ToFloat(Float.floatToFloat16(f.scaleNeg()[g])), h.scaleNeg()[g], 0f, name + " group " + g);
                }
                float[] want = h.dequantize();
                org.ternary4j.formats.safetensors.DType dtype = o16.tensor(name).dtype();
                for (int i = 0; i < want.length; i++) want[i] = HalfFloats.roundTo(dtype, want[i]); // the output's dtype (F32 leaves them)
                assertArrayEquals(want, o16.readFloats(o16.tensor(name)), name);
            }
        }
    }
}
