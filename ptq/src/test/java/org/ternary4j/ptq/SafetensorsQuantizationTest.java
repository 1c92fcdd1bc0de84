package org.ternary4j.ptq;

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
}
