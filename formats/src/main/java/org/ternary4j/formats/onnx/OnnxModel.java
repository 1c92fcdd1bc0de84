package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.ternary4j.formats.AtomicOutput;

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
        try {
            return new OnnxModel(file, OnnxModelFile.read(file));
        } catch (IOException e) {
            throw OneLine.of(e);
        }
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
     * This model with the named main-graph FLOAT constants (initializers or Constant nodes' values)
     * given new values of the same size (stored as raw little-endian data); the file and the other
     * tensors stay as they are.
     */
    public OnnxModel withFloats(Map<String, float[]> values) throws IOException {
        GraphProto.Builder g = proto.getGraph().toBuilder();
        java.util.Set<String> replaced = new java.util.HashSet<>();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            String name = g.getInitializer(i).getName();
            if (values.containsKey(name)) replace(g.getInitializerBuilder(i), name, values.get(name), replaced);
        }
        for (int j = 0; j < g.getNodeCount(); j++) {
            var n = g.getNodeBuilder(j);
            int k = GraphScan.constantValue(n.build());
            if (k < 0 || n.getOutputCount() != 1 || !values.containsKey(n.getOutput(0))) continue;
            replace(n.getAttributeBuilder(k).getTBuilder(), n.getOutput(0), values.get(n.getOutput(0)), replaced);
        }
        if (!replaced.equals(values.keySet())) {
            java.util.Set<String> missing = new java.util.TreeSet<>(values.keySet());
            missing.removeAll(replaced);
            throw new IllegalArgumentException(file + ": no main-graph constant named " + missing);
        }
        return new OnnxModel(file, proto.toBuilder().setGraph(g).build());
    }

    private void replace(TensorProto.Builder t, String name, float[] v, java.util.Set<String> replaced) throws IOException {
        String where = file + ": tensor '" + name + "'";
        if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE || TensorCodec.isExternal(t.build())) {
            throw new IOException(where + " is not an embedded FLOAT tensor; cannot replace its values");
        }
        if (v.length != TensorCodec.count(TensorCodec.shape(t.build(), where))) {
            throw new IllegalArgumentException(where + ": " + v.length + " values for shape " + t.getDimsList());
        }
        // Raw little-endian whatever the original used: what ONNX Runtime reads fastest, and what
        // calibration has always handed on to the ternarizer.
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        t.clearFloatData().setRawData(shade.com.google.protobuf.ByteString.copyFrom(b.array()));
        replaced.add(name);
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

    /** This model with each {@link InputScale} applied (a Mul node per scaled value; weights are not touched). */
    public OnnxModel withInputScales(List<InputScale> scales) throws IOException {
        return new OnnxModel(file, InputScaleEdit.apply(proto, scales, file.toString()));
    }

    /**
     * This model's main graph cut to the nodes that compute {@code outputs} from {@code inputs}
     * (values of the main graph, which become its inputs with the given element types) and the
     * constants they use: one stretch of the model that runs fed with values computed before it.
     */
    public OnnxModel slice(Map<String, ElementType> inputs, List<String> outputs) throws IOException {
        return new OnnxModel(file, GraphSlice.slice(proto, inputs, outputs, file.toString()));
    }

    /** Writes the model to {@code target} atomically; refused if it is one of {@code inputs}. External data stays where the file points. */
    public void write(Path target, Path... inputs) throws IOException {
        try (AtomicOutput out = AtomicOutput.open(target, inputs)) {
            OnnxModelFile.write(proto, out);
            out.commit();
        }
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
