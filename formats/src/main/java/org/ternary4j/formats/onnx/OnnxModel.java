package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import shade.com.google.protobuf.ByteString;

/**
 * An ONNX model as the rest of ternary4j sees it: read with the hardened reader, checked
 * ({@link GraphCheck}), its graphs as {@link OnnxGraph}s of {@link OnnxNode}s whose tensors decode
 * through this package's one decoder. Protobuf never leaves this package. Small edits (new weight
 * values, extra outputs) give new models; {@link #toBytes()} serializes one for ONNX Runtime.
 * Close it to release the external data files it maps.
 */
public final class OnnxModel implements AutoCloseable {
    private final Path file;
    private final ModelProto proto;
    private final OnnxGraph graph;
    private ExternalData external;

    private OnnxModel(Path file, ModelProto proto) throws IOException {
        this.file = file;
        this.proto = proto;
        this.graph = OnnxGraph.of(proto.getGraph(), this);
        GraphCheck.check(graph, file.toString());
    }

    /** Reads and checks a model; every problem is an IOException whose message starts with the file. */
    public static OnnxModel read(Path file) throws IOException {
        return new OnnxModel(file, OnnxModelFile.read(file));
    }

    public Path file() {
        return file;
    }

    public OnnxGraph graph() {
        return graph;
    }

    /** The opset version imported for {@code domain} ("" for the standard operators), or −1. */
    public long opset(String domain) {
        for (OperatorSetIdProto o : proto.getOpsetImportList()) {
            boolean standard = domain.isEmpty() || domain.equals("ai.onnx");
            if (o.getDomain().equals(domain) || standard && (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))) return o.getVersion();
        }
        return -1;
    }

    /**
     * This model with the named main-graph FLOAT initializers given new values of the same size
     * (raw little-endian); the file and the other tensors stay as they are.
     */
    public OnnxModel withFloats(Map<String, float[]> values) throws IOException {
        GraphProto.Builder g = proto.getGraph().toBuilder();
        int replaced = 0;
        for (int i = 0; i < g.getInitializerCount(); i++) {
            TensorProto t = g.getInitializer(i);
            float[] v = values.get(t.getName());
            if (v == null) continue;
            if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE || TensorCodec.isExternal(t)) {
                throw new IOException(file + ": tensor '" + t.getName() + "' is not an embedded FLOAT initializer; cannot replace its values");
            }
            if (v.length != TensorCodec.count(TensorCodec.shape(t, file + ": tensor '" + t.getName() + "'"))) {
                throw new IllegalArgumentException("tensor '" + t.getName() + "': " + v.length + " values for shape " + t.getDimsList());
            }
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            g.setInitializer(i, t.toBuilder().clearFloatData().setRawData(ByteString.copyFrom(b.array())).build());
            replaced++;
        }
        if (replaced != values.size()) throw new IllegalArgumentException("some of " + values.keySet() + " are not initializers of " + file);
        return new OnnxModel(file, proto.toBuilder().setGraph(g).build());
    }

    /** This model with FLOAT main-graph outputs added for the named values (those already outputs stay as they are). */
    public OnnxModel withOutputs(List<String> names) throws IOException {
        GraphProto.Builder g = proto.getGraph().toBuilder();
        for (String name : names) {
            if (g.getOutputList().stream().anyMatch(v -> v.getName().equals(name))) continue;
            g.addOutput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                    .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
        }
        return new OnnxModel(file, proto.toBuilder().setGraph(g).build());
    }

    /** The serialized model (what ONNX Runtime takes); external data stays where the file points. */
    public byte[] toBytes() {
        return proto.toByteArray();
    }

    ModelProto proto() {
        return proto;
    }

    ExternalData externalData() throws IOException {
        if (external == null) external = new ExternalData(file);
        return external;
    }

    @Override
    public void close() throws IOException {
        if (external != null) external.close();
        external = null;
    }
}
