package org.ternary4j.cli;

import java.io.Console;
import picocli.CommandLine.Option;

/**
 * {@code --no-progress}, for commands that run long. A redrawn bar (carriage returns, ANSI
 * codes) is drawn only on a terminal: in a redirected stderr it would fill a log with garbage.
 * Plain progress lines, one per finished step, are fine anywhere.
 */
final class ProgressOptions {
    /** Set by the launcher from {@code [ -t 2 ]}: the JVM itself cannot tell whether stderr is a terminal. */
    static final String STDERR_TERMINAL = "t4j.stderr.terminal";

    @Option(names = "--no-progress", description = "No progress on stderr (a progress bar is only ever drawn on a terminal).")
    boolean off;

    /** Plain lines, one per finished step. */
    boolean lines() {
        return !off;
    }

    /** A redrawn bar: only when stderr is a terminal. */
    boolean bar() {
        return !off && stderrIsTerminal();
    }

    static boolean stderrIsTerminal() {
        String told = System.getProperty(STDERR_TERMINAL);
        if (told != null) return Boolean.parseBoolean(told);
        // Without the launcher's word: the console, which is there only when stdin and stdout are terminals.
        Console c = System.console();
        return c != null && c.isTerminal();
    }
}
