package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.ternary4j.formats.AtomicOutput;
import shade.com.google.protobuf.CodedInputStream;
import shade.com.google.protobuf.CodedOutputStream;
import shade.com.google.protobuf.InvalidProtocolBufferException;

/** Reads and writes the protobuf part of an ONNX model, with one-line errors for bad files. */
public final class OnnxModelFile {
    /**
     * Messages nested deeper than this are refused. Real models nest a few If/Loop levels, each
     * costing three messages (node, attribute, graph); a hostile file could otherwise nest until
     * the parser's stack overflows.
     */
    public static final int RECURSION_LIMIT = 100;

    private OnnxModelFile() {}

    public static ModelProto read(Path file) throws IOException {
        if (Files.exists(file) && !Files.isRegularFile(file)) throw new IOException(file + ": not a regular file");
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new IOException(file + ": " + size + " bytes; an ONNX protobuf cannot exceed 2 GB (larger models keep weights in external data files)");
            }
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            CodedInputStream in = CodedInputStream.newInstance(buf);
            in.setRecursionLimit(RECURSION_LIMIT);
            in.setSizeLimit(Integer.MAX_VALUE);
            ModelProto m;
            try {
                m = ModelProto.parseFrom(in);
            } catch (InvalidProtocolBufferException e) {
                String msg = String.valueOf(e.getMessage());
                if (msg.contains("levels of nesting") || msg.contains("recursion")) {
                    throw new IOException(file + ": messages nested more than " + RECURSION_LIMIT + " deep; refused (a nesting bomb or a corrupt file)");
                }
                if (msg.contains("ended unexpectedly") || msg.contains("truncated")) {
                    throw new IOException(file + ": not a complete ONNX model (the file is truncated)");
                }
                throw new IOException(file + ": not a valid ONNX model (" + msg + ")");
            } catch (StackOverflowError e) {
                throw new IOException(file + ": messages nested too deep; refused");
            }
            if (!m.hasGraph() || m.getOpsetImportCount() == 0) {
                throw new IOException(file + ": not a complete ONNX model (" + (m.hasGraph() ? "no opset_import" : "no graph")
                        + "; truncated, or not an ONNX file)");
            }
            return m;
        }
    }

    /** Serializes the model into an atomic output (the caller commits). */
    static void write(ModelProto model, AtomicOutput out) throws IOException {
        OutputStream os = Channels.newOutputStream(out.channel());
        CodedOutputStream cos = CodedOutputStream.newInstance(os, 1 << 16);
        model.writeTo(cos);
        cos.flush();
        os.flush();
    }
}
