package org.ternary4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.ternary4j.formats.onnx.OnnxModel;

/**
 * The checks every command makes on the paths it reads and writes, before it reads or writes
 * anything: every input exists and is a regular file (a folder only where a folder is meant; a FIFO
 * would block the reader forever), every ONNX model passes the model layer's read and graph check
 * (ONNX Runtime accepts some invalid graphs and runs them), no output is an input (same path,
 * symbolic or hard link) or another output, and an output that exists is a regular file (a FIFO or
 * a device would be replaced by the rename, or block). Data specs that are not files
 * (fashion-mnist, random:N) are simply not inputs.
 */
final class PathGuard {
    private final List<Path> inputs = new ArrayList<>();
    private final List<Path> folders = new ArrayList<>();
    private final List<Path> models = new ArrayList<>();
    private final List<Path> outputs = new ArrayList<>();

    PathGuard input(Path p) {
        if (p != null) inputs.add(p);
        return this;
    }

    /** An input that may be a file or a folder (e.g. a folder of safetensors shards). */
    PathGuard fileOrFolder(Path p) {
        return p != null && Files.isDirectory(p) ? folder(p) : input(p);
    }

    /** An ONNX model: a regular file that the model layer reads and checks. */
    PathGuard model(Path p) {
        if (p != null) models.add(p);
        return input(p);
    }

    /** An input that is a folder (its files are the reader's to check). */
    PathGuard folder(Path p) {
        if (p != null) folders.add(p);
        return this;
    }

    /** A data spec: a file (optionally with a ":N" count suffix) is an input, anything else is not. */
    PathGuard data(String spec) {
        if (spec == null) return this;
        Path p = Path.of(spec);
        if (!Files.exists(p) && spec.lastIndexOf(':') > 0) p = Path.of(spec.substring(0, spec.lastIndexOf(':')));
        if (Files.isDirectory(p)) return folder(p);
        return Files.exists(p) || spec.contains("/") || spec.contains(".") ? input(p) : this;
    }

    PathGuard output(Path p) {
        if (p != null) outputs.add(p);
        return this;
    }

    void check() throws IOException {
        for (Path in : inputs) {
            if (!Files.exists(in)) throw new IOException(in + ": no such file");
            if (!Files.isRegularFile(in)) throw new IOException(in + (Files.isDirectory(in) ? ": a folder, not a file" : ": not a regular file"));
        }
        for (Path f : folders) {
            if (!Files.isDirectory(f)) throw new IOException(f + (Files.exists(f) ? ": not a folder" : ": no such folder"));
        }
        for (int i = 0; i < outputs.size(); i++) {
            Path out = outputs.get(i);
            if (Files.exists(out) && !Files.isRegularFile(out)) throw new IOException(out + ": output exists and is not a regular file");
            for (Path in : inputs) {
                if (same(out, in)) throw new IOException(out + ": output would overwrite the input file " + in);
            }
            for (int j = 0; j < i; j++) {
                if (same(out, outputs.get(j))) throw new IOException(out + ": names the same file as another output");
            }
            Path parent = out.toAbsolutePath().normalize().getParent();
            if (parent == null || !Files.isDirectory(parent)) throw new IOException(out + ": output folder does not exist");
        }
        for (Path m : models) {
            try (OnnxModel ignored = OnnxModel.read(m)) {
                // read and checked: that is all
            }
        }
    }

    private static boolean same(Path a, Path b) throws IOException {
        if (Objects.equals(a.toAbsolutePath().normalize(), b.toAbsolutePath().normalize())) return true;
        return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    }
}
