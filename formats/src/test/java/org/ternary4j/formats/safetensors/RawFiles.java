package org.ternary4j.formats.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds safetensors files byte by byte, independently of the writer under test. */
public final class RawFiles {
    private RawFiles() {}

    /** 8-byte little-endian header length, the header JSON, then the data bytes. */
    public static Path write(Path file, String headerJson, byte[] data) throws IOException {
        byte[] json = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json).put(data);
        Files.write(file, b.array());
        return file;
    }

    /** Bytes from hex pairs, e.g. "00 00 80 3f". */
    public static byte[] hex(String s) {
        String[] parts = s.trim().split("\\s+");
        byte[] out = new byte[parts.length];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(parts[i], 16);
        return out;
    }
}
