package org.ternary4j.formats.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.formats.AtomicOutput;
import org.ternary4j.formats.Appender;

/**
 * Writes a safetensors file in one pass. The header is fixed up front from the tensors'
 * names, dtypes and shapes; then each tensor's data is written, in the declared order. The file
 * appears only on {@link #commit()} (temporary file, fsync, atomic rename); closing without a
 * commit leaves nothing behind.
 */
public final class SafetensorsWriter implements AutoCloseable {
    private static final int CHUNK = 1 << 20;
    private static final JsonFactory JSON = new JsonFactory();

    private final AtomicOutput out;
    private final Appender appender;
    private final List<TensorSpec> tensors;
    private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    private int next;
    /** Bytes still due from pieces of the current tensor; −1 when no tensor is being written in pieces. */
    private long pieceLeft = -1;

    private SafetensorsWriter(AtomicOutput out, List<TensorSpec> tensors, Appender appender) {
        this.out = out;
        this.tensors = tensors;
        this.appender = appender;
    }

    /**
     * Starts {@code target} with this header; refuses to write over any of {@code inputs}.
     * Data will follow in the order of {@code tensors}.
     */
    public static SafetensorsWriter open(Path target, List<TensorSpec> tensors, Map<String, String> metadata, Path... inputs) throws IOException {
        return open(target, tensors, metadata, Appender.DIRECT_FROM, inputs);
    }

    /** {@link #open(Path, List, Map, Path...)}, with direct I/O for outputs of at least {@code directFrom} bytes. */
    static SafetensorsWriter open(Path target, List<TensorSpec> tensors, Map<String, String> metadata, long directFrom, Path... inputs) throws IOException {
        byte[] header = header(tensors, metadata);
        long total = 8L + header.length + tensors.stream().mapToLong(TensorSpec::byteSize).sum();
        AtomicOutput out = AtomicOutput.open(target, inputs);
        SafetensorsWriter w = new SafetensorsWriter(out, List.copyOf(tensors), Appender.open(out, total, directFrom));
        try {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            w.writeFully(len);
            w.writeFully(ByteBuffer.wrap(header));
            return w;
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /**
     * The header JSON: {@code __metadata__} first, then the tensors in order with consecutive
     * offsets, padded with spaces to a multiple of 8 bytes so that the data starts aligned.
     */
    static byte[] header(List<TensorSpec> tensors, Map<String, String> metadata) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(bytes)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(SafetensorsHeader.METADATA_KEY);
                for (Map.Entry<String, String> e : metadata.entrySet()) g.writeStringField(e.getKey(), e.getValue());
                g.writeEndObject();
            }
            long offset = 0;
            Set<String> names = new HashSet<>();
            for (TensorSpec t : tensors) {
                if (!names.add(t.name()) || t.name().equals(SafetensorsHeader.METADATA_KEY)) {
                    throw new IllegalArgumentException("tensor name '" + t.name() + "' used twice or reserved");
                }
                long size = t.byteSize();
                if (size < 0) throw new IllegalArgumentException("tensor '" + t.name() + "': shape " + t.shapeString() + " of " + t.dtype() + " does not fill whole bytes");
                g.writeObjectFieldStart(t.name());
                g.writeStringField("dtype", t.dtype().name());
                g.writeArrayFieldStart("shape");
                for (long d : t.shape()) g.writeNumber(d);
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(offset + size);
                g.writeEndArray();
                g.writeEndObject();
                offset += size;
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        while (bytes.size() % 8 != 0) bytes.write(' ');
        return bytes.toByteArray();
    }

    /** Writes the next tensor from floats, converted to its dtype (F32, F16 or BF16; rounding to nearest even). */
    public void writeFloats(String name, float[] values) throws IOException {
        TensorSpec t = expect(name, values.length);
        if (!t.dtype().isFloat()) throw new IllegalArgumentException("tensor '" + name + "' is " + t.dtype() + ", not a float tensor");
        MemorySegment chunk = MemorySegment.ofArray(buffer.array());
        int width = t.dtype() == DType.F32 ? 4 : 2;
        short[] half = width == 2 ? new short[CHUNK / 2] : null;
        for (int from = 0; from < values.length; from += CHUNK / width) {
            int n = Math.min(CHUNK / width, values.length - from);
            if (width == 4) {
                MemorySegment.copy(values, from, chunk, SafetensorsReader.F32_LE, 0, n);
            } else {
                for (int i = 0; i < n; i++) {
                    float v = values[from + i];
                    half[i] = t.dtype() == DType.F16 ? Float.floatToFloat16(v) : HalfFloats.floatToBf16(v);
                }
                MemorySegment.copy(half, 0, chunk, SafetensorsReader.I16_LE, 0, n);
            }
            buffer.clear().position(n * width);
            flush();
        }
        tensorDone();
    }

    /** Writes the next tensor's raw 16-bit values (F16 or BF16 bits, I16, U16) little-endian. */
    public void writeShorts(String name, short[] values) throws IOException {
        MemorySegment bytes = MemorySegment.ofArray(new byte[values.length * 2]);
        MemorySegment.copy(values, 0, bytes, SafetensorsReader.I16_LE, 0, values.length);
        writeSegment(name, bytes);
    }

    /** Writes the next tensor's raw little-endian bytes. */
    public void writeBytes(String name, byte[] bytes) throws IOException {
        writeSegment(name, MemorySegment.ofArray(bytes));
    }

    /** Writes the next tensor's raw little-endian bytes from a segment (a mapped input tensor, say). */
    public void writeSegment(String name, MemorySegment bytes) throws IOException {
        if (pieceLeft >= 0) throw new IllegalStateException("tensor '" + tensors.get(next).name() + "' is still being written");
        if (next >= tensors.size() || !tensors.get(next).name().equals(name)) throw outOfOrder(name);
        TensorSpec t = tensors.get(next);
        if (bytes.byteSize() != t.byteSize()) {
            throw new IllegalArgumentException("tensor '" + name + "': " + bytes.byteSize() + " bytes for a header that declares " + t.byteSize());
        }
        for (long off = 0; off < bytes.byteSize(); off += CHUNK) {
            writeFully(bytes.asSlice(off, Math.min(CHUNK, bytes.byteSize() - off)).asByteBuffer());
        }
        tensorDone();
    }

    /**
     * Writes the next tensor as a copy of tensor {@code t} of {@code from} (same byte size), read
     * a megabyte at a time ({@link SafetensorsReader#read}: no mapping of its bytes).
     */
    public void copyTensor(String name, SafetensorsReader from, TensorInfo t) throws IOException {
        beginPieces(name);
        if (pieceLeft != t.byteSize()) {
            pieceLeft = -1;
            throw new IllegalArgumentException("tensor '" + name + "': " + t.byteSize() + " bytes for a header that declares " + tensors.get(next).byteSize());
        }
        from.inChunks(t, (piece, offset) -> writePiece(piece));
        endPieces();
    }

    /**
     * Starts the next tensor, whose raw little-endian bytes then come in pieces, in order,
     * through {@link #writePiece}; {@link #endPieces} checks that they filled it.
     */
    public void beginPieces(String name) {
        if (pieceLeft >= 0) throw new IllegalStateException("tensor '" + tensors.get(next).name() + "' is still being written");
        if (next >= tensors.size() || !tensors.get(next).name().equals(name)) throw outOfOrder(name);
        pieceLeft = tensors.get(next).byteSize();
    }

    public void writePiece(byte[] bytes, int offset, int length) throws IOException {
        if (pieceLeft < length) throw new IllegalArgumentException("tensor '" + tensors.get(next).name() + "': pieces exceed the size its header declares");
        writeFully(ByteBuffer.wrap(bytes, offset, length));
        pieceLeft -= length;
    }

    /** {@link #writePiece(byte[], int, int)} from a segment; a native one goes to the file without a copy on the heap side. */
    public void writePiece(MemorySegment bytes) throws IOException {
        if (pieceLeft < bytes.byteSize()) throw new IllegalArgumentException("tensor '" + tensors.get(next).name() + "': pieces exceed the size its header declares");
        for (long off = 0; off < bytes.byteSize(); off += CHUNK) {
            writeFully(bytes.asSlice(off, Math.min(CHUNK, bytes.byteSize() - off)).asByteBuffer());
        }
        pieceLeft -= bytes.byteSize();
    }

    public void endPieces() throws IOException {
        if (pieceLeft != 0) throw new IllegalStateException("tensor '" + tensors.get(next).name() + "': pieces left " + pieceLeft + " bytes of it unwritten");
        pieceLeft = -1;
        tensorDone();
    }

    /**
     * Counts a finished tensor; after the last, the appender is finished at once, releasing what it
     * holds (a sharded output keeps every shard's writer open until the commit).
     */
    private void tensorDone() throws IOException {
        next++;
        if (next == tensors.size()) appender.finish();
    }

    private TensorSpec expect(String name, long elements) {
        if (pieceLeft >= 0) throw new IllegalStateException("tensor '" + tensors.get(next).name() + "' is still being written");
        if (next >= tensors.size() || !tensors.get(next).name().equals(name)) throw outOfOrder(name);
        TensorSpec t = tensors.get(next);
        if (t.elements() != elements) {
            throw new IllegalArgumentException("tensor '" + name + "': " + elements + " values for shape " + t.shapeString());
        }
        return t;
    }

    private IllegalStateException outOfOrder(String name) {
        String expected = next < tensors.size() ? "'" + tensors.get(next).name() + "'" : "no more tensors";
        return new IllegalStateException("tensor '" + name + "' written out of order; expected " + expected);
    }

    private void flush() throws IOException {
        buffer.flip();
        writeFully(buffer);
        buffer.clear();
    }

    private void writeFully(ByteBuffer b) throws IOException {
        appender.write(b);
    }

    /** Makes the file visible; every declared tensor must have been written. */
    public void commit() throws IOException {
        if (next != tensors.size()) throw new IllegalStateException("only " + next + " of " + tensors.size() + " tensors written");
        appender.finish();
        out.commit();
    }

    @Override
    public void close() throws IOException {
        try {
            appender.close();
        } finally {
            out.close();
        }
    }
}
