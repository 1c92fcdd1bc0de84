package org.ternary4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The checks every command makes on the paths it will write, before it reads or writes anything:
 * no output may be an input (same path, symbolic or hard link) or another output, and an output
 * that exists must be a regular file (a FIFO or a device would be replaced by the rename, or block).
 * Data specs that are not files (fashion-mnist, random:N) are simply not inputs.
 */
final class PathGuard {
    private final List<Path> inputs = new ArrayList<>();
    private final List<Path> outputs = new ArrayList<>();

    PathGuard input(Path p) {
        if (p != null) inputs.add(p);
        return this;
    }

    /** A data spec: a file (optionally with a ":N" count suffix) is an input, anything else is not. */
    PathGuard data(String spec) {
        if (spec == null) return this;
        Path p = Path.of(spec);
        if (!Files.exists(p) && spec.lastIndexOf(':') > 0) p = Path.of(spec.substring(0, spec.lastIndexOf(':')));
        return Files.exists(p) ? input(p) : this;
    }

    PathGuard output(Path p) {
        if (p != null) outputs.add(p);
        return this;
    }

    void check() throws IOException {
        for (int i = 0; i < outputs.size(); i++) {
            Path out = outputs.get(i);
            if (Files.exists(out) && !Files.isRegularFile(out)) throw new IOException(out + ": output exists and is not a regular file");
            for (Path in : inputs) {
                if (same(out, in)) throw new IOException(out + ": output would overwrite the input file " + in);
            }
            for (int j = 0; j < i; j++) {
                if (same(out, outputs.get(j))) throw new IOException(out + ": names the same file as another output");
            }
        }
    }

    private static boolean same(Path a, Path b) throws IOException {
        if (Objects.equals(a.toAbsolutePath().normalize(), b.toAbsolutePath().normalize())) return true;
        return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    }
}
