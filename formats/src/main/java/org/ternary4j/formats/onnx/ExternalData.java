package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The external data files of one model ({@code data_location = EXTERNAL}). Locations are resolved
 * against the model's folder and refused when they leave it (absolute paths, {@code ..}, symlinks
 * pointing outside): a model file must not be able to make us read arbitrary files. Tensor bytes
 * are mapped per tensor, so data files and tensors over 2 GB never pass through one byte array.
 */
final class ExternalData implements Closeable {

    /** One tensor's byte range in a data file. */
    record Range(Path file, String location, long offset, long length) {}

    private final Path model;
    private final Path folder;
    private final Map<Path, FileChannel> open = new LinkedHashMap<>();

    ExternalData(Path model) throws IOException {
        this.model = model;
        Path parent = model.toAbsolutePath().getParent();
        this.folder = parent.toRealPath();
    }

    /** The validated byte range of an external tensor whose decoded size is {@code expectedBytes} (−1: unknown). */
    Range range(TensorProto t, long expectedBytes) throws IOException {
        String where = model + ": tensor '" + t.getName() + "'";
        String location = null;
        long offset = 0, length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = number(where, "offset", e.getValue());
                case "length" -> length = number(where, "length", e.getValue());
                default -> { }
            }
        }
        if (location == null || location.isEmpty()) throw new IOException(where + ": external data has no location");
        Path file = resolve(where, location);
        long size = Files.size(file);
        if (length < 0) length = expectedBytes >= 0 ? expectedBytes : size - offset;
        if (expectedBytes >= 0 && length != expectedBytes) {
            throw new IOException(where + ": external data length " + length + " does not match its shape and type (" + expectedBytes + " bytes)");
        }
        if (offset > size || length > size - offset) {
            throw new IOException(where + ": external data file '" + location + "' is truncated: needs bytes [" + offset + ", "
                    + (offset + length) + ") but has " + size);
        }
        return new Range(file, location, offset, length);
    }

    private Path resolve(String where, String location) throws IOException {
        Path rel;
        try {
            rel = Path.of(location);
        } catch (InvalidPathException e) {
            throw new IOException(where + ": external data location '" + location + "' is not a valid path");
        }
        String refusal = where + ": external data location '" + location + "' is outside the model's folder " + folder + "; refused";
        if (rel.isAbsolute() || rel.getRoot() != null) throw new IOException(refusal);
        for (Path part : rel) if (part.toString().equals("..")) throw new IOException(refusal);
        Path file = folder.resolve(rel);
        if (!Files.exists(file)) throw new IOException(where + ": external data file '" + location + "' not found next to the model");
        Path real = file.toRealPath();
        if (!real.startsWith(folder)) throw new IOException(refusal + " (a link points outside)");
        if (!Files.isRegularFile(real)) throw new IOException(where + ": external data location '" + location + "' is not a file");
        return real;
    }

    private static long number(String where, String key, String value) throws IOException {
        try {
            long v = Long.parseLong(value.trim());
            if (v < 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new IOException(where + ": external data " + key + " '" + value + "' is not a non-negative integer");
        }
    }

    FileChannel channel(Path file) throws IOException {
        FileChannel c = open.get(file);
        if (c == null) {
            c = FileChannel.open(file, StandardOpenOption.READ);
            open.put(file, c);
        }
        return c;
    }

    /** Maps a range for the lifetime of {@code arena}. */
    MemorySegment map(Range r, Arena arena) throws IOException {
        return channel(r.file).map(FileChannel.MapMode.READ_ONLY, r.offset, r.length, arena);
    }

    /** Copies a range into {@code out} at its current position, without holding it in memory. */
    void copy(Range r, FileChannel out) throws IOException {
        FileChannel in = channel(r.file);
        long done = 0;
        while (done < r.length) {
            long n = in.transferTo(r.offset + done, r.length - done, out);
            if (n <= 0) throw new IOException(model + ": external data file '" + r.location + "' ended while copying");
            done += n;
        }
    }

    Iterable<Path> files() {
        return open.keySet();
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (FileChannel c : open.values()) {
            try {
                c.close();
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        open.clear();
        if (first != null) throw first;
    }
}
