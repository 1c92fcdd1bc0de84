package org.ternary4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Turns any failure into one line on stderr and a non-zero exit code. Users of a command-line
 * tool want the file and the problem, not a stack trace; {@code T4J_DEBUG=1} shows the trace.
 */
final class Errors {
    static final int BAD_INPUT = 1;
    static final int INTERNAL = 3;

    private Errors() {}

    static int report(Exception e, CommandLine cli, ParseResult parsed) {
        if (System.getenv("T4J_DEBUG") != null) e.printStackTrace(cli.getErr());
        cli.getErr().println("ternary4j: " + message(e));
        cli.getErr().flush();
        return e instanceof IllegalArgumentException || e instanceof IOException || e instanceof UncheckedIOException ? BAD_INPUT : INTERNAL;
    }

    static String message(Throwable e) {
        if (e instanceof UncheckedIOException u) e = u.getCause();
        if (e instanceof NoSuchFileException n) return n.getFile() + ": no such file";
        if (e instanceof AccessDeniedException a) return a.getFile() + ": permission denied";
        if (e instanceof IllegalArgumentException || e instanceof IOException) {
            return e.getMessage() != null ? e.getMessage() : e.toString();
        }
        return "internal error: " + e + " (run with T4J_DEBUG=1 for the stack trace)";
    }
}
