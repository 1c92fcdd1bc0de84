package org.ternary4j.formats.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The IDX format of MNIST and Fashion-MNIST: two zero bytes, a type code, the number of
 * dimensions, the dimensions as big-endian int32, then the values big-endian in C order.
 * Files may be gzipped (detected from their first bytes, not their name).
 */
public final class IdxReader {
    private IdxReader() {}

    /** The element types IDX defines: code and size in bytes. */
    private enum Type {
        UBYTE(0x08, 1), BYTE(0x09, 1), SHORT(0x0B, 2), INT(0x0C, 4), FLOAT(0x0D, 4), DOUBLE(0x0E, 8);

        final int code, size;

        Type(int code, int size) {
            this.code = code;
            this.size = size;
        }

        static Type of(int code) {
            for (Type t : values()) if (t.code == code) return t;
            return null;
        }
    }

    /** Reads the values as floats, unscaled (a pixel byte 255 becomes 255.0f). */
    public static NdArray read(Path file) throws IOException {
        return parse(FileBytes.read(file), file.toString());
    }

    /** Parses IDX bytes (already decompressed); {@code file} names them in errors. */
    static NdArray parse(byte[] b, String file) throws IOException {
        if (b.length < 4) throw new IOException(file + ": truncated IDX header (" + b.length + " bytes)");
        Type type = Type.of(b[2] & 0xff);
        if (b[0] != 0 || b[1] != 0 || type == null) {
            throw new IOException(file + ": not an IDX file (bad magic " + String.format("%02x %02x %02x %02x", b[0], b[1], b[2], b[3]) + ")");
        }
        int rank = b[3] & 0xff;
        if (rank == 0) throw new IOException(file + ": IDX file with zero dimensions");
        int header = 4 + 4 * rank;
        if (b.length < header) throw new IOException(file + ": truncated IDX header (" + rank + " dimensions need " + header + " bytes, file has " + b.length + ")");
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN);
        int[] shape = new int[rank];
        for (int i = 0; i < rank; i++) {
            int d = buf.getInt(4 + 4 * i);
            if (d < 0) throw new IOException(file + ": dimension " + i + " is " + Integer.toUnsignedString(d) + ", too large");
            shape[i] = d;
        }
        long n;
        try {
            n = NdArray.elementCount(shape, file);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IOException(file + ": dimensions " + Arrays.toString(shape) + " hold more values than an array can");
        }
        long expected = header + n * type.size;
        if (b.length < expected) throw new IOException(file + ": truncated: shape " + Arrays.toString(shape) + " needs " + expected + " bytes, file has " + b.length);
        if (b.length > expected) throw new IOException(file + ": " + (b.length - expected) + " unexpected bytes after the data");
        float[] out = new float[(int) n];
        buf.position(header);
        switch (type) {
            case UBYTE -> { for (int i = 0; i < out.length; i++) out[i] = b[header + i] & 0xff; }
            case BYTE -> { for (int i = 0; i < out.length; i++) out[i] = b[header + i]; }
            case SHORT -> { for (int i = 0; i < out.length; i++) out[i] = buf.getShort(); }
            case INT -> { for (int i = 0; i < out.length; i++) out[i] = buf.getInt(); }
            case FLOAT -> { for (int i = 0; i < out.length; i++) out[i] = buf.getFloat(); }
            case DOUBLE -> { for (int i = 0; i < out.length; i++) out[i] = (float) buf.getDouble(); }
        }
        return new NdArray(shape, out);
    }
}
