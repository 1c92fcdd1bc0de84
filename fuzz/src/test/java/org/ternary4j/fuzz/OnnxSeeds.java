package org.ternary4j.fuzz;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import shade.com.google.protobuf.ByteString;

/** Small ONNX models for the ONNX fuzz target's seeds: every place weights live, kept tiny. */
final class OnnxSeeds {
    private OnnxSeeds() {}

    private static float[] values(int n, int seed) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) Math.sin(seed * 31 + i * 1.3) * 0.5f;
        return f;
    }

    private static TensorProto raw(String name, float[] v, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(java.util.Arrays.stream(dims).boxed().toList()).setRawData(ByteString.copyFrom(b.array())).build();
    }

    private static TensorProto typed(String name, float[] v, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(java.util.Arrays.stream(dims).boxed().toList());
        for (float x : v) t.addFloatData(x);
        return t.build();
    }

    private static ValueInfoProto value(String name, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s))).build();
    }

    private static NodeProto node(String op, String name, List<String> in, List<String> out, AttributeProto... attrs) {
        return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(in).addAllOutput(out).addAllAttribute(List.of(attrs)).build();
    }

    private static ModelProto model(GraphProto g) {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("ternary4j-fuzz-seeds").setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).build();
    }

    /** Conv → BatchNormalization → Relu → Flatten → Gemm (typed float_data, transB) → MatMul with a Constant weight. */
    static byte[] cnn() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("cnn").addInput(value("X", 1, 1, 3, 3)).addOutput(value("Y", 1, 2));
        g.addInitializer(raw("W1", values(18, 1), 2, 1, 3, 3));
        g.addInitializer(raw("bn_scale", values(2, 2), 2)).addInitializer(raw("bn_bias", values(2, 3), 2))
                .addInitializer(raw("bn_mean", values(2, 4), 2)).addInitializer(raw("bn_var", new float[] {1, 2}, 2));
        g.addInitializer(typed("G", values(6, 5), 3, 2));
        g.addNode(node("Conv", "conv", List.of("X", "W1"), List.of("c")));
        g.addNode(node("BatchNormalization", "bn", List.of("c", "bn_scale", "bn_bias", "bn_mean", "bn_var"), List.of("b")));
        g.addNode(node("Relu", "relu", List.of("b"), List.of("r")));
        g.addNode(node("Flatten", "flat", List.of("r"), List.of("f")));
        g.addNode(node("Gemm", "gemm", List.of("f", "G"), List.of("h"),
                AttributeProto.newBuilder().setName("transB").setType(AttributeProto.AttributeType.INT).setI(1).build()));
        g.addNode(node("Constant", "const", List.of(), List.of("M"),
                AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(raw("", values(6, 6), 3, 2)).build()));
        g.addNode(node("MatMul", "mm", List.of("h", "M"), List.of("Y")));
        return model(g.build()).toByteArray();
    }

    /** An If whose branches hold their own weights, and a Gather embedding table. */
    static byte[] subgraphsAndEmbedding() {
        GraphProto.Builder then = GraphProto.newBuilder().setName("then").addOutput(value("t", 2, 2));
        then.addInitializer(raw("Wt", values(4, 7), 2, 2)).addNode(node("MatMul", "mt", List.of("x", "Wt"), List.of("t")));
        GraphProto.Builder other = GraphProto.newBuilder().setName("else").addOutput(value("e", 2, 2));
        other.addInitializer(raw("We", values(4, 8), 2, 2)).addNode(node("MatMul", "me", List.of("x", "We"), List.of("e")));
        GraphProto.Builder g = GraphProto.newBuilder().setName("branches").addInput(value("C")).addInput(value("I", 2)).addOutput(value("Z", 2, 2));
        g.addInitializer(raw("E", values(8, 9), 4, 2));
        g.addNode(node("Gather", "embed", List.of("E", "I"), List.of("x")));
        g.addNode(node("If", "if", List.of("C"), List.of("Z"),
                AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH).setG(then).build(),
                AttributeProto.newBuilder().setName("else_branch").setType(AttributeProto.AttributeType.GRAPH).setG(other).build()));
        return model(g.build()).toByteArray();
    }

    /** A weight in an external data file next to the model (absent in the fuzz folder: a clear error, and the path logic runs). */
    static byte[] externalData() {
        TensorProto w = TensorProto.newBuilder().setName("W").setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(2).addDims(2)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin"))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("0"))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("16")).build();
        GraphProto g = GraphProto.newBuilder().setName("ext").addInput(value("X", 2, 2)).addOutput(value("Y", 2, 2)).addInitializer(w)
                .addNode(node("MatMul", "mm", List.of("X", "W"), List.of("Y"))).build();
        return model(g).toByteArray();
    }

    /** The model with its first raw_data initializer four bytes shorter than its dims say. */
    static byte[] shortRawData(byte[] model) throws java.io.IOException {
        ModelProto m = ModelProto.parseFrom(model);
        GraphProto.Builder g = m.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            ByteString raw = g.getInitializer(i).getRawData();
            if (raw.size() < 4) continue;
            g.setInitializer(i, g.getInitializer(i).toBuilder().setRawData(raw.substring(0, raw.size() - 4)));
            return m.toBuilder().setGraph(g).build().toByteArray();
        }
        throw new IllegalArgumentException("no raw_data initializer to shorten");
    }
}
