package org.ternary4j.formats.onnx;

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
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import shade.com.google.protobuf.ByteString;

/** Builders for the small ONNX models the tests make. */
final class Onnx {
    private Onnx() {}

    static long[] dims(int... d) {
        long[] l = new long[d.length];
        for (int i = 0; i < d.length; i++) l[i] = d[i];
        return l;
    }

    static float[] random(long seed, int n) {
        Random r = new Random(seed);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (r.nextGaussian() * 0.5);
        return f;
    }

    static int size(int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** A FLOAT tensor in raw_data. */
    static TensorProto raw(String name, int[] shape, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1).setRawData(ByteString.copyFrom(b.array()));
        for (int d : shape) t.addDims(d);
        return t.build();
    }

    /** A FLOAT tensor in float_data. */
    static TensorProto typed(String name, int[] shape, float[] v) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1);
        for (float f : v) t.addFloatData(f);
        for (int d : shape) t.addDims(d);
        return t.build();
    }

    /** A half-width tensor (10 = FLOAT16, 16 = BFLOAT16), in raw_data or int32_data. */
    static TensorProto half(String name, int type, int[] shape, float[] v, boolean raw) {
        FloatType ft = FloatType.of(type).orElseThrow();
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type);
        for (int d : shape) t.addDims(d);
        if (raw) {
            ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : v) b.putShort(ft.toBits16(f));
            t.setRawData(ByteString.copyFrom(b.array()));
        } else {
            for (float f : v) t.addInt32Data(ft.toBits16(f) & 0xFFFF);
        }
        return t.build();
    }

    static TensorProto external(String name, int[] shape, String location, long offset, long length) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(entry("location", location))
                .addExternalData(entry("offset", Long.toString(offset)))
                .addExternalData(entry("length", Long.toString(length)));
        for (int d : shape) t.addDims(d);
        return t.build();
    }

    static StringStringEntryProto entry(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    static NodeProto node(String op, String name, String[] in, String[] out, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).setDocString("doc of " + name);
        for (String s : in) n.addInput(s);
        for (String s : out) n.addOutput(s);
        for (AttributeProto a : attrs) n.addAttribute(a);
        return n.build();
    }

    static String[] in(String... s) {
        return s;
    }

    static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    static AttributeProto intsAttr(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    static AttributeProto graphAttr(String name, GraphProto g) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.GRAPH).setG(g).build();
    }

    static NodeProto constant(String name, TensorProto value) {
        AttributeProto v = AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(value).build();
        return node("Constant", name + "_const", in(), in(name), v);
    }

    static ValueInfoProto typedValue(String name, int elemType, int... shape) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (int d : shape) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s))).build();
    }

    static ValueInfoProto value(String name, int... shape) {
        return typedValue(name, 1, shape);
    }

    static ModelProto model(GraphProto g) {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("ternary4j-test").setProducerVersion("1")
                .setDocString("a test model").addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .addMetadataProps(entry("author", "tests")).setGraph(g).build();
    }

    static Path save(ModelProto m, Path file) throws IOException {
        Files.write(file, m.toByteArray());
        return file;
    }

    /** Values of a FLOAT/FLOAT16/BFLOAT16 tensor held in the model (embedded). */
    static float[] values(TensorProto t) throws IOException {
        return TensorCodec.decode(t, FloatType.of(t.getDataType()).orElseThrow(), null, "test");
    }

    static TensorProto initializer(GraphProto g, String name) {
        return g.getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no " + name));
    }
}
