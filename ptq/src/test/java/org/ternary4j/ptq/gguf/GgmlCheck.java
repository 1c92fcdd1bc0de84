package org.ternary4j.ptq.gguf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs bench/peer/gguf_check.c (built by scripts/build-gguf-check.sh): ggml's own GGUF reader and
 * dequantizers. Found at $T4J_GGUF_CHECK or ~/.cache/ternary4j-ggml-peer/gguf_check.
 */
final class GgmlCheck {
    /** What ggml read: its header line, kv and tensor lines, and every tensor's dequantized values. */
    record Output(String header, List<String> kv, List<String> tensors, Map<String, float[]> values) {}

    static Optional<Path> program() {
        String env = System.getenv("T4J_GGUF_CHECK");
        Path p = env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "ternary4j-ggml-peer", "gguf_check");
        return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }

    static Output run(Path program, Path gguf) throws IOException, InterruptedException {
        Path err = Files.createTempFile("gguf_check", ".err");
        try {
            Process p = new ProcessBuilder(program.toString(), "--dump", gguf.toString()).redirectError(err.toFile()).start();
            List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("gguf_check failed on " + gguf + ": " + Files.readString(err));
            }
            List<String> kv = new ArrayList<>(), tensors = new ArrayList<>();
            Map<String, float[]> values = new LinkedHashMap<>();
            for (String l : lines) {
                if (l.startsWith("kv ")) kv.add(l);
                else if (l.startsWith("tensor ")) tensors.add(l);
                else if (l.startsWith("values ")) {
                    String[] f = l.split(" ");
                    float[] v = new float[f.length - 2];
                    for (int i = 0; i < v.length; i++) v[i] = Float.intBitsToFloat(Integer.parseUnsignedInt(f[i + 2], 16));
                    values.put(f[1], v);
                }
            }
            return new Output(lines.getFirst(), kv, tensors, values);
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
