package org.ternary4j.formats.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * Reads a safetensors file one tensor at a time, with positional reads of a megabyte at a time
 * (offsets beyond 2 GB work): heap and resident memory stay bounded by the largest tensor,
 * whatever the file size. Reads, not mappings: see {@link #read}.
 */
public final class SafetensorsReader implements AutoCloseable {
    public static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final SafetensorsHeader header;

    private SafetensorsReader(Path file, FileChannel channel, long dataStart, SafetensorsHeader header) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.header = header;
    }

    /** Opens and validates {@code file} under the {@link ReadLimits#DEFAULT default limits}. */
    public static SafetensorsReader open(Path file) throws IOException {
        return open(file, ReadLimits.DEFAULT);
    }

    /** Opens and validates {@code file}; every problem, a limit exceeded included, is one {@link IOException} line naming it. */
    public static SafetensorsReader open(Path file, ReadLimits limits) throws IOException {
        if (Files.isDirectory(file)) throw new IOException(file + ": is a folder, not a safetensors file");
        // A FIFO or device would block or never end: only regular files are read.
        if (Files.exists(file) && !Files.isRegularFile(file)) throw new IOException(file + ": not a regular file");
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = channel.size();
            if (size < 8) throw new IOException(file + ": " + size + " bytes, too short for a safetensors file (8-byte header length missing)");
            if (size > limits.maxFileBytes()) {
                throw new IOException(file + ": " + size + " bytes exceeds the file size limit of " + limits.maxFileBytes() + " bytes");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, len, 0);
            long headerLength = len.getLong(0);
            if (headerLength < 0 || headerLength > SafetensorsHeader.MAX_HEADER_BYTES) {
                throw new IOException(file + ": not a safetensors file (its first 8 bytes give a header length of " + Long.toUnsignedString(headerLength)
                        + " bytes, beyond the " + SafetensorsHeader.MAX_HEADER_BYTES + "-byte limit)");
            }
            if (headerLength > size - 8) {
                throw new IOException(file + ": header length " + headerLength + " runs past the end of the file (" + size + " bytes); truncated?");
            }
            ByteBuffer json = ByteBuffer.allocate((int) headerLength);
            readFully(channel, json, 8);
            SafetensorsHeader header = SafetensorsHeader.parse(file.toString(), json.array(), size - 8 - headerLength, limits);
            return new SafetensorsReader(file, channel, 8 + headerLength, header);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf, position + buf.position()) < 0) throw new IOException("unexpected end of file");
        }
    }

    public Path file() {
        return file;
    }

    public SafetensorsHeader header() {
        return header;
    }

    /** In header order. */
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** The tensor of that name, or a clear error. */
    public TensorInfo tensor(String name) throws IOException {
        for (TensorInfo t : header.tensors()) if (t.name().equals(name)) return t;
        throw new IOException(file + ": no tensor '" + name + "'");
    }

    /** The values of an F32, F16 or BF16 tensor. */
    public float[] readFloats(TensorInfo t) throws IOException {
        if (!t.dtype().isFloat()) throw new IOException(file + ": tensor '" + t.name() + "' is " + t.dtype() + ", not a float tensor");
        if (t.dtype() != DType.F32) {
            short[] half = readShorts(t);
            float[] out = new float[half.length];
            if (t.dtype() == DType.F16) for (int i = 0; i < out.length; i++) out[i] = Float.float16ToFloat(half[i]);
            else for (int i = 0; i < out.length; i++) out[i] = HalfFloats.bf16ToFloat(half[i]);
            return out;
        }
        float[] out = new float[arrayLength(t, t.spec().elements(), "elements")];
        inChunks(t, (piece, offset) -> MemorySegment.copy(piece, F32_LE, 0, out, (int) (offset / 4), (int) (piece.byteSize() / 4)));
        return out;
    }

    /** The raw bits of a 16-bit tensor (F16, BF16, I16, U16), little-endian in the file. */
    public short[] readShorts(TensorInfo t) throws IOException {
        if (t.dtype().bits() != 16) throw new IOException(file + ": tensor '" + t.name() + "' is " + t.dtype() + ", not a 16-bit tensor");
        short[] out = new short[arrayLength(t, t.spec().elements(), "elements")];
        inChunks(t, (piece, offset) -> MemorySegment.copy(piece, I16_LE, 0, out, (int) (offset / 2), (int) (piece.byteSize() / 2)));
        return out;
    }

    /** The raw little-endian bytes of a tensor smaller than 2 GB. */
    public byte[] readBytes(TensorInfo t) throws IOException {
        byte[] out = new byte[arrayLength(t, t.byteSize(), "bytes")];
        inChunks(t, (piece, offset) -> MemorySegment.copy(piece, ValueLayout.JAVA_BYTE, 0, out, (int) offset, (int) piece.byteSize()));
        return out;
    }

    /** Bytes per read of a whole tensor: a multiple of every element size, so no element straddles two. */
    static final int CHUNK = 1 << 20;

    /** Told each piece of a tensor read in order, and its byte offset in the tensor; must not keep {@code piece}. */
    @FunctionalInterface
    interface ChunkUser {
        void accept(MemorySegment piece, long offset) throws IOException;
    }

    /** Reads the whole tensor into one reused native buffer, {@link #CHUNK} bytes at a time. */
    void inChunks(TensorInfo t, ChunkUser use) throws IOException {
        if (t.byteSize() == 0) return;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.min(CHUNK, t.byteSize()), 64);
            for (long offset = 0; offset < t.byteSize(); offset += CHUNK) {
                MemorySegment piece = buffer.asSlice(0, Math.min(CHUNK, t.byteSize() - offset));
                read(t, offset, piece);
                use.accept(piece, offset);
            }
        }
    }

    /** Hands the tensor's mapped bytes to {@code use}; they are unmapped when it returns. */
    public void withBytes(TensorInfo t, SegmentUser use) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            use.accept(map(t, arena));
        }
    }

    @FunctionalInterface
    public interface SegmentUser {
        void accept(MemorySegment bytes) throws IOException;
    }

    /**
     * Copies {@code dst.byteSize()} bytes of tensor {@code t}, from byte {@code offset} of its
     * data, into {@code dst}; several threads may read at once. For native {@code dst} this is one
     * copy by the kernel from its page cache: reading a mapping instead costs a page fault per few
     * pages and page-table work to set up and tear down, which measured here (a virtual machine)
     * at about five times the CPU time of the read.
     */
    public void read(TensorInfo t, long offset, MemorySegment dst) throws IOException {
        if (offset < 0 || offset > t.byteSize() - dst.byteSize()) {
            throw new IllegalArgumentException("bytes " + offset + "+" + dst.byteSize() + " are outside tensor '" + t.name() + "' (" + t.byteSize() + " bytes)");
        }
        ByteBuffer buf = dst.asByteBuffer();
        long position = dataStart + t.begin() + offset;
        while (buf.hasRemaining()) {
            if (channel.read(buf, position + buf.position()) < 0) throw new IOException(file + ": tensor '" + t.name() + "': unexpected end of file; truncated while being read?");
        }
    }

    /** The tensor's bytes, mapped read-only for as long as {@code arena} lives (a shared one lets worker threads read them). */
    public MemorySegment map(TensorInfo t, Arena arena) throws IOException {
        if (t.byteSize() == 0) return MemorySegment.NULL.reinterpret(0);
        return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.byteSize(), arena);
    }

    private int arrayLength(TensorInfo t, long n, String unit) throws IOException {
        if (n > Integer.MAX_VALUE - 8) throw new IOException(file + ": tensor '" + t.name() + "' has " + n + " " + unit + ", more than one array can hold");
        return (int) n;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
