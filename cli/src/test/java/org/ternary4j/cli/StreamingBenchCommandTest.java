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
    void theReferenceComparesOnlyWhatItImplements() {
        CliRun run = CliRun.of("bench", "streaming", "--reference", "--grouping", "tensor", "--dir", dir.toString());
        assertEquals(Errors.BAD_INPUT, run.exitCode());
        assertEquals("ternary4j: --reference compares --method tnt --grouping row on one file\n", run.err());
        CliRun bf16 = CliRun.of("bench", "streaming", "--dtype", "I32", "--dir", dir.toString());
        assertEquals(Errors.BAD_INPUT, bf16.exitCode());
        assertEquals("ternary4j: --dtype I32: expected F32, BF16 or F16\n", bf16.err());
    }

    @Test
    void aBadSizeIsOneLine() {
        CliRun run = CliRun.of("bench", "streaming", "--size", "4X", "--dir", dir.toString());
        assertEquals(Errors.BAD_INPUT, run.exitCode());
        assertEquals("ternary4j: size '4X': expected a number with K, M or G\n", run.err());
    }
}
