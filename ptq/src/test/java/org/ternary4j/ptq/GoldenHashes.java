package org.ternary4j.ptq;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The SHA-256s scripts/golden-outputs.sh recorded for the {@code ternary4j quantize} command's
 * outputs: what the command line wrote, for the Java API to match byte for byte.
 */
final class GoldenHashes {
    static final Path ROOT = Path.of("..");
    private static final Path FILE = ROOT.resolve("scripts/golden/expected.sha256");

    private GoldenHashes() {}

    /** The recorded hash of the output named {@code name} (as golden-outputs.sh names it). */
    static String of(String name) throws IOException {
        Map<String, String> hashes = new LinkedHashMap<>();
        for (String line : Files.readAllLines(FILE)) {
            String[] parts = line.trim().split("\\s+");
            hashes.put(parts[1].replaceFirst("^\\./", ""), parts[0]);
        }
        String h = hashes.get(name);
        if (h == null) throw new IllegalStateException(FILE + " has no hash for " + name);
        return h;
    }

    static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
