package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ternary4j.formats.AtomicOutput;

/**
 * The data file written beside an output model: every tensor that was external in the input is
 * external here too, in file order, each aligned to {@value #ALIGN} bytes. The output never
 * points into the input's data files, so the output model is self-contained with its own file.
 */
final class ExternalOutput implements AutoCloseable {
    static final int ALIGN = 64;
    private final AtomicOutput out;
    private final String location;

    ExternalOutput(AtomicOutput out, String location) {
        this.out = out;
        this.location = location;
    }

    FileChannel channel() {
        return out.channel();
    }

    /** Pads to the next aligned offset and returns it. */
    long align() throws IOException {
        FileChannel c = out.channel();
        long pos = c.position();
        long pad = (ALIGN - pos % ALIGN) % ALIGN;
        if (pad > 0) {
            ByteBuffer zeros = ByteBuffer.allocate((int) pad);
            while (zeros.hasRemaining()) c.write(zeros);
        }
        return c.position();
    }

    /** Points a tensor at [offset, current position); other entries survive, a now-stale checksum does not. */
    void point(TensorProto.Builder t, long offset) throws IOException {
        long length = out.channel().position() - offset;
        List<StringStringEntryProto> kept = new ArrayList<>();
        for (StringStringEntryProto e : t.getExternalDataList()) {
            if (!List.of("location", "offset", "length", "checksum").contains(e.getKey())) kept.add(e);
        }
        t.clearExternalData();
        t.addExternalData(entry("location", location));
        t.addExternalData(entry("offset", Long.toString(offset)));
        t.addExternalData(entry("length", Long.toString(length)));
        t.addAllExternalData(kept);
    }

    private static StringStringEntryProto entry(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    Path target() {
        return out.target();
    }

    void commit() throws IOException {
        out.commit();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
