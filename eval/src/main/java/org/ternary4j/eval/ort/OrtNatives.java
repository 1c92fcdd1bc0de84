package org.ternary4j.eval.ort;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * ONNX Runtime's Java binding extracts its native libraries into java.io.tmpdir on every start
 * unless {@code -Donnxruntime.native.path=DIR} names a folder that already holds them. This
 * fills that folder once from the jar (keyed by the jar's commit id, so an upgrade re-extracts),
 * which lets the launcher point it at a project cache.
 */
public final class OrtNatives {
    private static final String[] LIBRARIES = {"onnxruntime", "onnxruntime4j_jni"};
    private static boolean prepared;

    private OrtNatives() {}

    public static synchronized void prepare() throws IOException {
        if (prepared) return;
        String dir = System.getProperty("onnxruntime.native.path");
        if (dir != null && !dir.isBlank()) extractInto(Path.of(dir));
        prepared = true;
    }

    private static void extractInto(Path dir) throws IOException {
        String platform = platform();
        if (platform == null) return; // let ONNX Runtime report the unsupported platform itself
        String commit = resourceText("/GIT_COMMIT_ID");
        Path stamp = dir.resolve("ort-commit.txt");
        boolean fresh = Files.isRegularFile(stamp) && Files.readString(stamp, StandardCharsets.UTF_8).equals(commit);
        if (fresh) {
            boolean all = true;
            for (String lib : LIBRARIES) all &= Files.isRegularFile(dir.resolve(System.mapLibraryName(lib)));
            if (all) return;
        }
        Files.createDirectories(dir);
        for (String lib : LIBRARIES) {
            String file = System.mapLibraryName(lib);
            try (InputStream in = OrtNatives.class.getResourceAsStream("/ai/onnxruntime/native/" + platform + "/" + file)) {
                if (in == null) throw new IOException("onnxruntime jar has no " + platform + "/" + file);
                // Temporary file + atomic rename: a concurrent JVM never loads a half-written library.
                Path tmp = Files.createTempFile(dir, "." + file, ".part");
                try {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, dir.resolve(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
        }
        Path tmp = Files.createTempFile(dir, ".ort-commit", ".part");
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        Files.move(tmp, stamp, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String resourceText(String name) throws IOException {
        try (InputStream in = OrtNatives.class.getResourceAsStream(name)) {
            return in == null ? "unknown" : new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }

    private static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String a = arch.equals("amd64") || arch.equals("x86_64") ? "x64" : arch.equals("aarch64") ? "aarch64" : null;
        if (a == null) return null;
        if (os.contains("linux")) return "linux-" + a;
        if (os.contains("win")) return "win-" + a;
        if (os.contains("mac") || os.contains("darwin")) return "osx-" + a;
        return null;
    }
}
