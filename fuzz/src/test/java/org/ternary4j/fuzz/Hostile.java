package org.ternary4j.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The contract every reader must keep on any bytes: succeed, or fail with an IOException or an
 * IllegalArgumentException whose message names the file. Anything else (an unchecked exception
 * of another kind, an Error such as OutOfMemoryError or StackOverflowError) escapes and Jazzer
 * reports it as a finding; a hang shows as a fuzz run that does not finish.
 */
final class Hostile {
    /** One scratch folder and input file per fork (Jazzer runs one target per JVM, inputs one after another). */
    private static final Path DIR;
    private static final Path FILE;

    static {
        try {
            DIR = Files.createTempDirectory("t4j-fuzz-");
            FILE = DIR.resolve("input.bin");
            DIR.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A path in the scratch folder for a target's outputs. */
    static Path scratch(String name) {
        return DIR.resolve(name);
    }

    @FunctionalInterface
    interface Reader {
        void read(Path file) throws IOException;
    }

    private Hostile() {}

    /** Writes {@code bytes} to the scratch file and runs {@code reader} on it under the contract. */
    static void check(byte[] bytes, Reader reader) throws IOException {
        Files.write(FILE, bytes);
        try {
            reader.read(FILE);
        } catch (IOException | IllegalArgumentException e) {
            String msg = e.getMessage();
            if (msg == null || !msg.contains(FILE.getFileName().toString())) {
                throw new AssertionError("error message does not name the file: " + e, e);
            }
        }
    }
}
