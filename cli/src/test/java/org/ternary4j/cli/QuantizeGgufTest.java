package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/** quantize -o OUT.gguf: the command's side of the GGUF export (the format itself is tested in formats and ptq). */
class QuantizeGgufTest {
    @TempDir
    Path dir;

    private Path checkpoint() throws IOException {
        Path in = dir.resolve("model.safetensors");
        SplittableRandom r = new SplittableRandom(3);
        float[] w = new float[4 * 512], norm = new float[512];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        java.util.Arrays.fill(norm, 1f);
        try (SafetensorsWriter out = SafetensorsWriter.open(in, List.of(TensorSpec.of("proj.weight", DType.F32, 4, 512),
                TensorSpec.of("norm.weight", DType.F32, 512)), Map.of())) {
            out.writeFloats("proj.weight", w);
            out.writeFloats("norm.weight", norm);
            out.commit();
        }
        return in;
    }

    @Test
    void writesAGgufWithTheChosenBlockType() throws IOException {
        Path in = checkpoint();
        for (String type : new String[] {"TQ2_0", "TQ1_0"}) {
            Path out = dir.resolve(type + ".gguf");
            CliRun run = CliRun.of("quantize", in.toString(), "-o", out.toString(), "--method", "tnt", "--gguf-type", type);
            assertEquals(0, run.exitCode(), run.err());
            ByteBuffer head = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0x46554747, head.getInt(0), "GGUF magic");
            assertEquals(3, head.getInt(4), "GGUF version");
            assertEquals(2, head.getLong(8), "tensor count");
            assertTrue(run.out().toLowerCase(java.util.Locale.ROOT).contains(type.toLowerCase(java.util.Locale.ROOT)), run.out());
        }
    }

    @Test
    void optionsThatDoNotApplyToGgufAreRefusedBeforeWriting() throws IOException {
        Path in = checkpoint(), out = dir.resolve("x.gguf");
        CliRun row = CliRun.of("quantize", in.toString(), "-o", out.toString(), "--method", "tnt", "--grouping", "row");
        assertEquals(1, row.exitCode());
        assertTrue(row.err().contains("one scale per 256-block"), row.err());
        CliRun packed = CliRun.of("quantize", in.toString(), "-o", out.toString(), "--method", "tnt", "--packed", dir.resolve("p").toString());
        assertTrue(packed.exitCode() != 0 && packed.err().contains("only --method, --gguf-type and --threads apply"), packed.err());
        assertFalse(Files.exists(out));
        CliRun notGguf = CliRun.of("quantize", in.toString(), "-o", dir.resolve("o.safetensors").toString(), "--method", "tnt",
                "--grouping", "row", "--gguf-type", "TQ1_0");
        assertTrue(notGguf.exitCode() != 0 && notGguf.err().contains("--gguf-type applies to GGUF output"), notGguf.err());
        CliRun wrongFormat = CliRun.of("quantize", in.toString(), "-o", dir.resolve("o.onnx").toString(), "--method", "tnt", "--grouping", "row");
        assertTrue(wrongFormat.exitCode() != 0 && wrongFormat.err().contains("a safetensors input is written as .safetensors (or .gguf)"), wrongFormat.err());
        assertFalse(Files.exists(dir.resolve("o.onnx")));
        CliRun noGrouping = CliRun.of("quantize", in.toString(), "-o", dir.resolve("o.safetensors").toString(), "--method", "tnt");
        // required except for GGUF output, so checked by the command, and reported as picocli reports a missing option
        assertEquals(Errors.USAGE, noGrouping.exitCode(), noGrouping.err());
        assertEquals("ternary4j: missing required option '--grouping'; see 'ternary4j quantize --help'", noGrouping.err().strip());
    }
}
