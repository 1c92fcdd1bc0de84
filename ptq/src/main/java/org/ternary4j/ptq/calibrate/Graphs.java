package org.ternary4j.ptq.calibrate;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;

/** Small reads and edits of a top-level ONNX graph's FLOAT initializers and attributes. */
final class Graphs {
    private Graphs() {}

    static Optional<TensorProto> initializer(GraphProto.Builder g, String name) {
        for (TensorProto t : g.getInitializerList()) if (t.getName().equals(name)) return Optional.of(t);
        return Optional.empty();
    }

    static int initializerIndex(GraphProto.Builder g, String name) {
        for (int i = 0; i < g.getInitializerCount(); i++) if (g.getInitializer(i).getName().equals(name)) return i;
        return -1;
    }

    /** An embedded FLOAT tensor's values, or empty when the tensor is of another type or stored externally. */
    static Optional<float[]> floats(TensorProto t) {
        if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE || t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) return Optional.empty();
        long n = 1;
        for (long d : t.getDimsList()) n *= d;
        float[] v = new float[(int) n];
        if (!t.getRawData().isEmpty()) {
            if (t.getRawData().size() != n * 4) return Optional.empty();
            ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().get(v);
        } else {
            if (t.getFloatDataCount() != n) return Optional.empty();
            for (int i = 0; i < n; i++) v[i] = t.getFloatData(i);
        }
        return Optional.of(v);
    }

    /** Replaces the values of the initializer {@code name} (same shape), stored as raw little-endian FLOAT. */
    static void setFloats(GraphProto.Builder g, String name, float[] values) {
        int i = initializerIndex(g, name);
        if (i < 0) throw new IllegalStateException("no initializer '" + name + "'");
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        g.setInitializer(i, g.getInitializer(i).toBuilder().clearFloatData()
                .setRawData(shade.com.google.protobuf.ByteString.copyFrom(b.array())).build());
    }

    static TensorProto newFloat(String name, long[] dims, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(shade.com.google.protobuf.ByteString.copyFrom(b.array()));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    /** Declares {@code name} a FLOAT graph output (shape left to the runtime) unless it already is one. */
    static void exposeOutput(GraphProto.Builder g, String name) {
        for (ValueInfoProto v : g.getOutputList()) if (v.getName().equals(name)) return;
        g.addOutput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
    }

    static Optional<AttributeProto> attribute(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) if (a.getName().equals(name)) return Optional.of(a);
        return Optional.empty();
    }

    static long intAttr(NodeProto n, String name, long dflt) {
        return attribute(n, name).map(AttributeProto::getI).orElse(dflt);
    }

    static float floatAttr(NodeProto n, String name, float dflt) {
        return attribute(n, name).map(AttributeProto::getF).orElse(dflt);
    }

    static List<Long> intsAttr(NodeProto n, String name) {
        return attribute(n, name).map(AttributeProto::getIntsList).orElse(List.of());
    }

    static String stringAttr(NodeProto n, String name, String dflt) {
        return attribute(n, name).map(a -> a.getS().toStringUtf8()).orElse(dflt);
    }
}
