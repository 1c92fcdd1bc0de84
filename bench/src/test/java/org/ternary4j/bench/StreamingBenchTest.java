package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingBenchTest {
    @TempDir Path dir;

    /** A tiny run: the child JVM starts, quantizes, is measured, and the temporary files are gone. */
    @Test
    void runsQuantizeInAChildJvmAndCleansUp() throws IOException {
        CliRun run = CliRun.of("bench", "streaming", "--size", "2M", "--rows", "64", "--cols", "256", "--xmx", "128m", "--threads", "1",
                "--dir", dir.toString());
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("input: ") && run.out().contains(" F32 tensors of 64x256"), run.out());
        assertTrue(run.out().contains("exit 0"), run.out());
        assertTrue(run.out().matches("(?s).*peak RSS \\(VmHWM\\) [1-9]\\d* MB.*"), run.out());
        assertTrue(run.out().contains("quantize / copy = "), run.out());
        try (var s = Files.list(dir)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void sizes() {
        assertEquals(4L << 30, StreamingBench.parseSize("4G"));
        assertEquals(512L << 20, StreamingBench.parseSize("512m"));
        assertEquals(1000, StreamingBench.parseSize("1000"));
    }
}
