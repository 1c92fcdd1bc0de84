package org.ternary4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingBenchTest {
    @TempDir Path dir;

    /** The child under test here: copies its input to both outputs, as a quantizer writes two files. */
    public static final class CopyChild {
        public static void main(String[] args) throws IOException {
            Files.copy(Path.of(args[0]), Path.of(args[1]));
            Files.copy(Path.of(args[0]), Path.of(args[2]));
            if (Files.size(Path.of(args[1])) == 0) System.exit(4);
        }
    }

    private String run(String mainClass, int expectedExit) throws Exception {
        return run(mainClass, expectedExit, 1);
    }

    private String run(String mainClass, int expectedExit, int rounds) throws Exception {
        List<Path> seen = new ArrayList<>();
        StreamingBench.ChildCommand copy = (in, out, packed) -> {
            seen.add(in);
            List<String> cmd = new ArrayList<>(StreamingBench.java("64m", mainClass));
            cmd.addAll(List.of(in.toString(), out.toString(), packed.toString()));
            return cmd;
        };
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit = StreamingBench.run(new StreamingBench.Job(new StreamingBench.Input(2L << 20, 64, 256), dir, "copy", copy, null, rounds),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, exit, out);
        // 2 MiB of 64x256 tensors with a bias each: 2097152 / (65536 + 256) whole tensors.
        assertTrue(out.contains(" 31 F32 tensors of 64x256"), out);
        assertEquals(1, seen.size());
        try (var s = Files.list(dir)) {
            assertEquals(0, s.count(), "temporary files deleted");
        }
        return out;
    }

    /** A tiny run: the child JVM starts, is measured while it works, and the temporary files are gone. */
    @Test
    void measuresAChildJvmAndCleansUp() throws Exception {
        String out = run(CopyChild.class.getName(), 0);
        assertTrue(out.contains("copy: exit 0"), out);
        assertTrue(out.matches("(?s).*peak RSS \\(VmHWM\\) [1-9]\\d* MB.*"), out);
        assertTrue(out.contains("quantize / copy = "), out);
        assertTrue(out.contains("quantize / direct-I/O copy = "), out);
    }

    @Test
    void aFailingChildIsReportedWithItsExitCode() throws Exception {
        String out = run("no.such.MainClass", 1, 3);
        assertTrue(out.contains("copy: exit 1") && out.contains("child output:") && out.contains("(failed)"), out);
        assertTrue(!out.contains("round 2:"), "a failed round ends the run: " + out);
    }

    /** Rounds alternate copy and child, each child writing its outputs afresh; the medians are reported. */
    @Test
    void roundsReportMedians() throws Exception {
        String out = run(CopyChild.class.getName(), 0, 3);
        for (int r = 1; r <= 3; r++) assertTrue(out.contains("round " + r + ": copy "), out);
        assertTrue(out.contains("copy (median of 3 rounds: exit 0)"), out);
    }

    /** Checks a sharded input as quantize would read it: the index names every tensor, each in a shard that holds it. */
    public static final class ShardChild {
        public static void main(String[] args) throws IOException {
            Path in = Path.of(args[0]);
            var index = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in.resolve("model.safetensors.index.json").toFile());
            var names = new java.util.TreeSet<String>();
            index.get("weight_map").fields().forEachRemaining(e -> names.add(e.getKey()));
            var shards = new java.util.TreeSet<String>();
            index.get("weight_map").forEach(f -> shards.add(f.asText()));
            int tensors = 0;
            for (String shard : shards) {
                try (var r = org.ternary4j.formats.safetensors.SafetensorsReader.open(in.resolve(shard))) {
                    for (var t : r.tensors()) {
                        if (!shard.equals(index.get("weight_map").get(t.name()).asText()) || t.dtype() != org.ternary4j.formats.safetensors.DType.BF16) System.exit(5);
                        tensors++;
                    }
                }
            }
            System.exit(shards.size() == 3 && tensors == names.size() ? 0 : 6);
        }
    }

    @Test
    void aShardedBf16InputIsAHuggingFaceCheckpoint() throws Exception {
        StreamingBench.ChildCommand check = (in, out, packed) -> {
            List<String> cmd = new ArrayList<>(StreamingBench.java("64m", ShardChild.class.getName()));
            cmd.add(in.toString());
            return cmd;
        };
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit = StreamingBench.run(new StreamingBench.Job(new StreamingBench.Input(2L << 20, 64, 256, org.ternary4j.formats.safetensors.DType.BF16, 3),
                dir, "shards", check), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, out);
        // 2 MiB of BF16 64x256 tensors with a bias each: 2097152 / ((16384 + 64) * 2) whole tensors.
        assertTrue(out.contains("in 3 shards, 63 BF16 tensors of 64x256"), out);
    }

    @Test
    void sizes() {
        assertEquals(4L << 30, StreamingBench.parseSize("4G"));
        assertEquals(512L << 20, StreamingBench.parseSize("512m"));
        assertEquals(1000, StreamingBench.parseSize("1000"));
        assertEquals("size '4X': expected a number with K, M or G",
                assertThrows(IllegalArgumentException.class, () -> StreamingBench.parseSize("4X")).getMessage());
    }
}
