package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code run}'s data: the spellings eval takes, and no silent NaN for an empty set. */
class RunCommandTest {
    @TempDir static Path dir;
    static Path model, packed;

    @BeforeAll
    static void quantizeLenet() {
        model = dir.resolve("t.onnx");
        packed = dir.resolve("t.packed.safetensors");
        CliRun q = CliRun.of("quantize", TaskCommandsTest.LENET.toString(), "-o", model.toString(), "--method", "tnt", "--grouping", "row",
                "--packed", packed.toString());
        assertEquals(0, q.exitCode(), q.err());
    }

    @Test
    void randomInputsNeedNoLabelsToCompareWithOnnxRuntime() throws Exception {
        CliRun r = CliRun.of("run", model.toString(), "--packed", packed.toString(), "--data", "random:8:3", "--exact", "--compare-ort", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(8, j.get("n").asInt());
        assertTrue(j.get("top1").isNull(), "no labels, no accuracy");
        assertEquals(1.0, j.get("ort").get("agreement").asDouble(), "float activations: same predictions as ONNX Runtime");
        assertTrue(j.get("ort").get("maxAbsOutputDiff").asDouble() < 1e-3, r.out());
    }

    @Test
    void anEmptyDataSetIsRefusedByName() throws Exception {
        Path empty = dir.resolve("empty.npy");
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1, 28, 28), }";
        header += " ".repeat(118 - header.length()) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length()).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        Files.write(empty, b.array());
        CliRun r = CliRun.of("run", model.toString(), "--packed", packed.toString(), "--data", empty.toString());
        assertEquals(Errors.BAD_INPUT, r.exitCode(), r.err());
        assertEquals("ternary4j: " + empty + ": no examples\n", r.err());
        assertEquals("", r.out());
    }
}
