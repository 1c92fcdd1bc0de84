package org.ternary4j.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The llama.cpp/ggml peer: an external program, built outside this repository, run as
 * {@code <program> <rows> <cols> <threads>}. It must print one line per kernel, {@code <type>
 * <median microseconds>} (for example {@code tq2_0 205.1} and {@code f32 2104.7}), for a GEMV
 * y = W·x with W [rows, cols] streamed from memory; other lines are ignored.
 */
final class LlamaPeer {
    private LlamaPeer() {}

    static Map<String, Double> run(Path program, int rows, int cols, int threads) throws IOException, InterruptedException {
        if (!Files.isExecutable(program)) throw new IOException(program + ": peer program not found or not executable");
        Process p = new ProcessBuilder(List.of(program.toString(), Integer.toString(rows), Integer.toString(cols), Integer.toString(threads)))
                .redirectErrorStream(true).start();
        Map<String, Double> out = new LinkedHashMap<>();
        StringBuilder text = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                text.append(line).append('\n');
                String[] f = line.trim().split("\\s+");
                if (f.length == 2 && f[0].matches("[a-z0-9_]+")) {
                    try {
                        out.put(f[0], Double.parseDouble(f[1]));
                    } catch (NumberFormatException ignored) {
                        // not a result line
                    }
                }
            }
        }
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException(program + ": peer did not finish in 10 minutes");
        }
        if (p.exitValue() != 0 || out.isEmpty()) {
            throw new IOException(program + ": peer exited with " + p.exitValue() + " and printed no '<type> <µs>' line: " + text.toString().strip());
        }
        return out;
    }
}
