package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingBenchCommandTest {
    @TempDir Path dir;

    /** The real child: this CLI's quantize in a small-heap JVM, measured, its files gone afterwards. */
    @Test
    void runsQuantizeInAChildJvm() throws Exception {
        CliRun run = CliRun.of("bench", "streaming", "--size", "2M", "--rows", "64", "--cols", "256", "--xmx", "128m", "--threads", "1",
                "--dir", dir.toString());
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("quantize --method tnt --grouping row --threads 1, child JVM -Xmx128m: exit 0"), run.out());
        assertTrue(run.out().matches("(?s).*peak RSS \\(VmHWM\\) [1-9]\\d* MB.*"), run.out());
        try (var s = Files.list(dir)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void aBadSizeIsOneLine() {
        CliRun run = CliRun.of("bench", "streaming", "--size", "4X", "--dir", dir.toString());
        assertEquals(Errors.BAD_INPUT, run.exitCode());
        assertEquals("ternary4j: size '4X': expected a number with K, M or G\n", run.err());
    }
}
