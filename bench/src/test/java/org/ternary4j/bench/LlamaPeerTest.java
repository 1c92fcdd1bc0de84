package org.ternary4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The peer protocol (arguments in, '<type> <µs>' lines out) with stand-in scripts; no benchmark runs here. */
class LlamaPeerTest {
    @TempDir
    Path dir;

    private Path script(String body) throws IOException {
        Path p = dir.resolve("peer.sh");
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    @Test
    void passesShapeAndThreadsAndParsesResultLines() throws Exception {
        Path p = script("echo \"loading $1 $2 $3\"; echo \"tq2_0 $(($1 / 10)).5\"; echo \"f32 $3\"");
        Map<String, Double> r = LlamaPeer.run(p, 4096, 4096, 2);
        assertEquals(Map.of("tq2_0", 409.5, "f32", 2.0), r);
    }

    @Test
    void failingOrSilentPeerIsAClearError() throws Exception {
        var e = assertThrows(IOException.class, () -> LlamaPeer.run(script("echo oops; exit 3"), 1, 1, 1));
        assertTrue(e.getMessage().contains("exited with 3") && e.getMessage().contains("oops"), e.getMessage());
        e = assertThrows(IOException.class, () -> LlamaPeer.run(dir.resolve("missing"), 1, 1, 1));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(2.0, Timing.median(new double[] {3, 1, 2}));
        assertEquals(2.5, Timing.median(new double[] {4, 1, 3, 2}));
    }
}
