package org.ternary4j.formats.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.ternary4j.formats.AtomicOutput;

/** Writes .npy version 1.0 files (little-endian float32 or int64, C order), atomically. */
public final class NpyWriter {
    private NpyWriter() {}

    public static void writeFloats(Path file, NdArray array) throws IOException {
        ByteBuffer body = ByteBuffer.allocate(array.data().length * 4).order(ByteOrder.LITTLE_ENDIAN);
        body.asFloatBuffer().put(array.data());
        write(file, "<f4", array.shape(), body);
    }

    public static void writeLongs(Path file, int[] shape, long[] values) throws IOException {
        if (NdArray.elementCount(shape, file.toString()) != values.length) {
            throw new IllegalArgumentException(file + ": " + values.length + " values for shape " + Arrays.toString(shape));
        }
        ByteBuffer body = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        body.asLongBuffer().put(values);
        write(file, "<i8", shape, body);
    }

    /** The header bytes NumPy itself writes: magic, version 1.0, dict padded with spaces to 64 bytes. */
    static byte[] header(String descr, int[] shape) {
        StringBuilder dims = new StringBuilder();
        for (int d : shape) dims.append(d).append(shape.length == 1 ? "," : ", ");
        String tuple = shape.length <= 1 ? dims.toString() : dims.substring(0, dims.length() - 2);
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + tuple + "), }";
        int unpadded = 10 + dict.length() + 1;
        int total = (unpadded + 63) / 64 * 64;
        String text = dict + " ".repeat(total - unpadded) + "\n";
        ByteBuffer h = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        h.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        h.putShort((short) text.length());
        h.put(text.getBytes(StandardCharsets.ISO_8859_1));
        return h.array();
    }

    /** A whole .npy file in memory (for an .npz entry). */
    static byte[] floatsBytes(NdArray array) {
        ByteBuffer b = ByteBuffer.allocate(array.data().length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(array.data());
        return concat(header("<f4", array.shape()), b.array());
    }

    static byte[] longsBytes(int[] shape, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return concat(header("<i8", shape), b.array());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void write(Path file, String descr, int[] shape, ByteBuffer body) throws IOException {
        try (AtomicOutput out = AtomicOutput.open(file)) {
            out.channel().write(ByteBuffer.wrap(header(descr, shape)));
            body.rewind();
            while (body.hasRemaining()) out.channel().write(body);
            out.commit();
        }
    }
}
