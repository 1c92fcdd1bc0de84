package org.ternary4j.ptq;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.ternary4j.formats.AtomicOutput;

/** Writing a finished JSON report through {@link AtomicOutput}. */
final class JsonFiles {
    private JsonFiles() {}

    /** Writes {@code bytes} to the open output (committing is the caller's). */
    static void write(AtomicOutput out, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) out.channel().write(b);
    }

    /** Writes {@code bytes} to {@code file} and commits; {@code inputs} are guarded against being overwritten. */
    static void write(Path file, byte[] bytes, Path... inputs) throws IOException {
        try (AtomicOutput out = AtomicOutput.open(file, inputs)) {
            write(out, bytes);
            out.commit();
        }
    }
}
