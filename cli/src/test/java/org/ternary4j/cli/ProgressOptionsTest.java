package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import picocli.CommandLine;

@ResourceLock("system-properties")
class ProgressOptionsTest {

    private static ProgressOptions parse(String... args) {
        ProgressOptions p = new ProgressOptions();
        new CommandLine(p).parseArgs(args);
        return p;
    }

    private static void withStderrTerminal(String value, Runnable check) {
        String old = System.getProperty(ProgressOptions.STDERR_TERMINAL);
        System.setProperty(ProgressOptions.STDERR_TERMINAL, value);
        try {
            check.run();
        } finally {
            if (old == null) System.clearProperty(ProgressOptions.STDERR_TERMINAL);
            else System.setProperty(ProgressOptions.STDERR_TERMINAL, old);
        }
    }

    @Test
    void aBarOnlyOnATerminalAndNothingWithNoProgress() {
        withStderrTerminal("true", () -> {
            assertTrue(parse().bar());
            assertTrue(parse().lines());
            assertFalse(parse("--no-progress").bar());
            assertFalse(parse("--no-progress").lines());
        });
        withStderrTerminal("false", () -> {
            assertFalse(parse().bar(), "redirected stderr: no carriage returns or ANSI codes");
            assertTrue(parse().lines(), "plain lines are fine in a log");
        });
    }

    private static String stderrOf(Runnable r) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        return err.toString(StandardCharsets.UTF_8);
    }

    private static void quantizeLike(boolean shown) {
        try (Progress p = new Progress("quantize", shown)) {
            p.start(1L << 40, 1_000_000);
            p.done(1L << 39);
        }
    }

    @Test
    void quantizeBarIsDrawnOnlyWhenShown() {
        assertTrue(stderrOf(() -> quantizeLike(true)).contains("quantize"), "the bar is there to be turned off");
        assertEquals("", stderrOf(() -> quantizeLike(false)));
        withStderrTerminal("false", () -> assertEquals("", stderrOf(() -> {
            try (Progress p = new Progress("quantize", ProgressOptions.stderrIsTerminal())) {
                p.start(1L << 40, 1_000_000);
                p.done(1L << 39);
            }
        })));
    }
}
