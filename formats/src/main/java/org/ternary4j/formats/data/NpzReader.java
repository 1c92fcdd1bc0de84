package org.ternary4j.formats.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/** NumPy's .npz: a zip (stored or deflated) of .npy files, one per named array. */
public final class NpzReader {
    private NpzReader() {}

    /** Parsed arrays by name (".npy" stripped), in the archive's order. */
    static Map<String, NpyReader.Npy> readAll(Path file) throws IOException {
        return readAll(file, FileBytes.MAX_BYTES);
    }

    /** As {@link #readAll(Path)}; an entry inflating to more than {@code maxEntryBytes} (a zip bomb) is refused. */
    static Map<String, NpyReader.Npy> readAll(Path file, int maxEntryBytes) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such file");
        Map<String, NpyReader.Npy> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (ZipEntry e : Collections.list(zip.entries())) {
                if (e.isDirectory()) continue;
                String name = e.getName();
                if (!name.endsWith(".npy")) throw new IOException(file + ": entry " + name + " is not a .npy array");
                name = name.substring(0, name.length() - 4);
                // Names select model inputs; a path-like or repeated name could only select the wrong one.
                if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals("..")) {
                    throw new IOException(file + ": entry '" + e.getName() + "' is not a plain array name");
                }
                if (out.containsKey(name)) throw new IOException(file + ": two entries named '" + e.getName() + "'");
                byte[] bytes;
                try (InputStream in = zip.getInputStream(e)) {
                    bytes = FileBytes.bounded(in, maxEntryBytes, file + ": entry " + e.getName());
                } catch (ZipException | java.io.EOFException ex) {
                    throw new IOException(file + ": entry " + e.getName() + " is corrupt or truncated");
                }
                out.put(name, NpyReader.parse(bytes, file + "[" + name + "]"));
            }
        } catch (ZipException | java.io.EOFException e) {
            // ZipFile itself throws a bare EOFException when the end-of-central-directory record is cut off.
            throw new IOException(file + ": not a valid .npz (zip) file (" + (e.getMessage() == null ? "truncated" : e.getMessage()) + ")");
        }
        if (out.isEmpty()) throw new IOException(file + ": .npz archive holds no arrays");
        return out;
    }

    /** Every array as floats, by name. */
    public static Map<String, NdArray> read(Path file) throws IOException {
        Map<String, NdArray> out = new LinkedHashMap<>();
        for (var e : readAll(file).entrySet()) out.put(e.getKey(), e.getValue().toFloats());
        return out;
    }
}
