package org.ternary4j.formats.data;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Reads a whole file, transparently gunzipping it when it starts with the gzip magic bytes. */
final class FileBytes {
    private FileBytes() {}

    /** The most bytes one data file (after decompression) may hold: the largest Java array. */
    static final int MAX_BYTES = Integer.MAX_VALUE - 8;

    static byte[] read(Path file) throws IOException {
        return read(file, MAX_BYTES);
    }

    /** As {@link #read(Path)}, refusing files (or gzip streams) of more than {@code maxBytes} with a clear error, never an OutOfMemoryError. */
    static byte[] read(Path file, int maxBytes) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + (Files.exists(file) ? ": not a regular file" : ": no such file"));
        }
        long size = Files.size(file);
        if (size > maxBytes) throw new IOException(file + ": " + size + " bytes, more than the " + maxBytes + "-byte limit for one data file");
        return gunzipped(Files.readAllBytes(file), maxBytes, file.toString());
    }

    /** The bytes themselves, or their decompression when they are a gzip stream. */
    static byte[] gunzipped(byte[] raw, int maxBytes, String file) throws IOException {
        if (raw.length < 2 || (raw[0] & 0xff) != 0x1f || (raw[1] & 0xff) != 0x8b) return raw;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(raw), 1 << 16)) {
            return bounded(in, maxBytes, file + ": gzip stream");
        } catch (EOFException e) {
            throw new IOException(file + ": truncated gzip stream");
        } catch (ZipException e) {
            throw new IOException(file + ": corrupt gzip stream (" + e.getMessage() + ")");
        }
    }

    /** Reads {@code in} to its end; a stream longer than {@code maxBytes} (a decompression bomb, say) is an error naming {@code what}. */
    static byte[] bounded(InputStream in, int maxBytes, String what) throws IOException {
        byte[] b = in.readNBytes(maxBytes);
        if (b.length == maxBytes && in.read() >= 0) throw new IOException(what + " holds more than " + maxBytes + " bytes, the limit for one data file");
        return b;
    }
}
