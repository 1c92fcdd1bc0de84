package org.ternary4j.formats.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.formats.AtomicOutput;
import org.ternary4j.formats.Appender;

/**
 * Writes a GGUF v3 file in one pass: header, metadata, tensor infos (offsets fixed up front from
 * the declared types and shapes), then each tensor's bytes in declared order, every tensor padded
 * to the alignment as ggml's reader expects. The file appears only on {@link #commit()}.
 */
public final class GgufWriter implements AutoCloseable {
    public static final int DEFAULT_ALIGNMENT = 32;
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    static final int VERSION = 3;

    private final AtomicOutput out;
    private final Appender appender;
    private final List<GgufTensor> tensors;
    private final int alignment;
    private long position;
    private long tensorStart;
    private int next;

    private GgufWriter(AtomicOutput out, Appender appender, List<GgufTensor> tensors, int alignment) {
        this.out = out;
        this.appender = appender;
        this.tensors = tensors;
        this.alignment = alignment;
    }

    /** What goes before the data: metadata in order, the tensors in data order, the alignment. */
    public record Layout(Map<String, GgufValue> metadata, List<GgufTensor> tensors, int alignment) {
        public Layout {
            metadata = new LinkedHashMap<>(metadata);
            tensors = List.copyOf(tensors);
            if (alignment < 1 || Integer.bitCount(alignment) != 1) throw new IllegalArgumentException("GGUF alignment " + alignment + " is not a power of two");
            if (metadata.containsKey("general.alignment")) throw new IllegalArgumentException("general.alignment is written from the layout's alignment");
            Set<String> names = new HashSet<>();
            for (GgufTensor t : tensors) if (!names.add(t.name())) throw new IllegalArgumentException("tensor name '" + t.name() + "' used twice");
        }

        public Layout(Map<String, GgufValue> metadata, List<GgufTensor> tensors) {
            this(metadata, tensors, DEFAULT_ALIGNMENT);
        }
    }

    /** Starts {@code target}; refuses to write over any of {@code inputs}. */
    public static GgufWriter open(Path target, Layout layout, Path... inputs) throws IOException {
        return open(target, layout, Appender.DIRECT_FROM, inputs);
    }

    /** {@link #open(Path, Layout, Path...)}, with direct I/O for files of at least {@code directFrom} bytes. */
    static GgufWriter open(Path target, Layout layout, long directFrom, Path... inputs) throws IOException {
        byte[] head = header(layout);
        long total = head.length;
        for (GgufTensor t : layout.tensors()) total += pad(t.byteSize(), layout.alignment());
        AtomicOutput out = AtomicOutput.open(target, inputs);
        GgufWriter w = new GgufWriter(out, Appender.open(out, total, directFrom), layout.tensors(), layout.alignment());
        try {
            w.write(ByteBuffer.wrap(head));
            w.tensorStart = w.position;
            return w;
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
    }

    static byte[] header(Layout layout) {
        Sink s = new Sink();
        Map<String, GgufValue> kv = new LinkedHashMap<>(layout.metadata());
        if (layout.alignment() != DEFAULT_ALIGNMENT) kv.put("general.alignment", new GgufValue.U32(layout.alignment()));
        s.u32(MAGIC);
        s.u32(VERSION);
        s.u64(layout.tensors().size());
        s.u64(kv.size());
        for (Map.Entry<String, GgufValue> e : kv.entrySet()) {
            s.str(e.getKey());
            s.u32(e.getValue().typeId());
            value(s, e.getValue());
        }
        long offset = 0;
        for (GgufTensor t : layout.tensors()) {
            s.str(t.name());
            long[] shape = t.shape();
            s.u32(shape.length);
            for (int i = shape.length - 1; i >= 0; i--) s.u64(shape[i]);
            s.u32(t.type().id);
            s.u64(offset);
            offset = pad(offset + t.byteSize(), layout.alignment());
        }
        while (s.size() % layout.alignment() != 0) s.write(0);
        return s.toByteArray();
    }

    private static void value(Sink s, GgufValue v) {
        switch (v) {
            case GgufValue.U32 x -> s.u32(x.value());
            case GgufValue.I32 x -> s.u32(x.value());
            case GgufValue.F32 x -> s.u32(Float.floatToRawIntBits(x.value()));
            case GgufValue.Bool x -> s.write(x.value() ? 1 : 0);
            case GgufValue.Str x -> s.str(x.value());
            case GgufValue.U64 x -> s.u64(x.value());
            case GgufValue.StrArray x -> {
                s.u32(new GgufValue.Str("").typeId());
                s.u64(x.values().size());
                for (String e : x.values()) s.str(e);
            }
            case GgufValue.I32Array x -> {
                s.u32(new GgufValue.I32(0).typeId());
                int[] values = x.values();
                s.u64(values.length);
                for (int e : values) s.u32(e);
            }
        }
    }

    static long pad(long n, int alignment) {
        return (n + alignment - 1) / alignment * alignment;
    }

    /** The tensor whose bytes come next, or null when all are written. */
    public GgufTensor nextTensor() {
        return next < tensors.size() ? tensors.get(next) : null;
    }

    /**
     * Writes the next tensor's bytes, in one or more calls ({@code last} on the final one); the
     * parts together must be exactly the tensor's {@link GgufTensor#byteSize() size}.
     */
    public void writeTensor(ByteBuffer part, boolean last) throws IOException {
        GgufTensor t = nextTensor();
        if (t == null) throw new IllegalStateException("all " + tensors.size() + " tensors are already written");
        long start = tensorStart;
        write(part);
        long written = position - start;
        if (written > t.byteSize() || (last && written != t.byteSize())) {
            throw new IllegalStateException("tensor '" + t.name() + "': " + written + " bytes given, " + t.byteSize() + " declared");
        }
        if (last) {
            ByteBuffer zeros = ByteBuffer.allocate((int) (pad(position, alignment) - position));
            write(zeros);
            next++;
            tensorStart = position;
        }
    }

    private void write(ByteBuffer b) throws IOException {
        position += b.remaining();
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

    /** Little-endian byte sink for the header. */
    private static final class Sink extends ByteArrayOutputStream {
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        void u32(int v) {
            write(scratch.putInt(0, v).array(), 0, 4);
        }

        void u64(long v) {
            write(scratch.putLong(0, v).array(), 0, 8);
        }

        void str(String v) {
            byte[] b = v.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            write(b, 0, b.length);
        }
    }
}
