package org.ternary4j.qat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import shade.com.google.protobuf.InvalidProtocolBufferException;

/** Reads the float initializers of an ONNX model, by name: the weights {@code --init} starts from. */
public final class OnnxWeights {
    private OnnxWeights() {}

    public static Map<String, FloatTensor> read(Path file) throws IOException {
        ModelProto m;
        try (InputStream in = Files.newInputStream(file)) {
            m = ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new IOException(file + ": not an ONNX model (" + e.getMessage() + ")", e);
        }
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        for (TensorProto t : m.getGraph().getInitializerList()) {
            if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) continue;
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                throw new IOException(file + ": initializer " + t.getName() + " uses external data, which --init does not read");
            }
            int[] shape = t.getDimsList().stream().mapToInt(Math::toIntExact).toArray();
            float[] v;
            if (!t.getRawData().isEmpty()) {
                ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                if (b.remaining() % 4 != 0) throw new IOException(file + ": initializer " + t.getName() + " has a truncated raw_data");
                v = new float[b.remaining() / 4];
                b.asFloatBuffer().get(v);
            } else {
                v = new float[t.getFloatDataCount()];
                for (int i = 0; i < v.length; i++) v[i] = t.getFloatData(i);
            }
            try {
                out.put(t.getName(), new FloatTensor(shape, v));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": initializer " + t.getName() + ": " + e.getMessage(), e);
            }
        }
        return out;
    }
}
