package org.ternary4j.eval.ort;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small ONNX models built with the protobuf classes, whose outputs the tests can work out by hand. */
public final class TinyModels {
    private TinyModels() {}

    /** A dimension: a String is a symbolic (dynamic) name, a Number a fixed size. */
    static ValueInfoProto value(String name, int elemType, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder b = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof String s) b.setDimParam(s);
            else b.setDimValue(((Number) d).longValue());
            shape.addDim(b);
        }
        TypeProto.Tensor t = TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(t)).build();
    }

    static TensorProto tensor(String name, long[] dims, float[] values) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        for (long d : dims) t.addDims(d);
        for (float v : values) t.addFloatData(v);
        return t.build();
    }

    static NodeProto node(String op, String[] inputs, String output, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).addOutput(output);
        for (String i : inputs) n.addInput(i);
        for (AttributeProto a : attrs) n.addAttribute(a);
        return n.build();
    }

    static Path save(Path file, GraphProto graph) throws IOException {
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("ternary4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(graph).build();
        return Files.write(file, m.toByteArray());
    }

    /**
     * y = x·W + b with x [batch, in], W given as [in][out] initializers (PyTorch's MatMul layout).
     * {@code batch} is a String for a dynamic batch or an Integer for a fixed one.
     */
    public static Path linear(Path file, float[][] w, float[] b, Object batch) throws IOException {
        int in = w.length, out = w[0].length;
        float[] flat = new float[in * out];
        for (int i = 0; i < in; i++) System.arraycopy(w[i], 0, flat, i * out, out);
        GraphProto g = GraphProto.newBuilder().setName("linear")
                .addInput(value("x", TensorProto.DataType.FLOAT_VALUE, batch, in))
                .addInitializer(tensor("W", new long[] {in, out}, flat))
                .addInitializer(tensor("B", new long[] {out}, b))
                .addNode(node("MatMul", new String[] {"x", "W"}, "h"))
                .addNode(node("Add", new String[] {"h", "B"}, "y"))
                .addOutput(value("y", TensorProto.DataType.FLOAT_VALUE, batch, out))
                .build();
        return save(file, g);
    }

    /** y = k·x with k in a Constant node; x of shape [N, dims...], output the same shape (a "sequence"). */
    public static Path scale(Path file, float k, Object... dims) throws IOException {
        Object[] full = new Object[dims.length + 1];
        full[0] = "N";
        System.arraycopy(dims, 0, full, 1, dims.length);
        return withConstant(file, "Mul", tensor("k", new long[0], new float[] {k}), full);
    }

    /** y = x + c with c a Constant of shape dims (broadcast over the batch); x of shape [N, dims...]. */
    public static Path addConstant(Path file, float[] c, int... dims) throws IOException {
        Object[] full = new Object[dims.length + 1];
        long[] cdims = new long[dims.length];
        full[0] = "N";
        for (int i = 0; i < dims.length; i++) {
            full[i + 1] = dims[i];
            cdims[i] = dims[i];
        }
        return withConstant(file, "Add", tensor("c", cdims, c), full);
    }

    /** y = OP(x, c) with c a Constant node; x and y float of shape {@code dims}. */
    private static Path withConstant(Path file, String op, TensorProto c, Object[] dims) throws IOException {
        AttributeProto value = AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(c).build();
        GraphProto g = GraphProto.newBuilder().setName(op)
                .addInput(value("x", TensorProto.DataType.FLOAT_VALUE, dims))
                .addNode(node("Constant", new String[0], c.getName(), value))
                .addNode(node(op, new String[] {"x", c.getName()}, "y"))
                .addOutput(value("y", TensorProto.DataType.FLOAT_VALUE, dims))
                .build();
        return save(file, g);
    }

    /** Token-like model: ids int64 [N, S] and mask int64 [N, S]; y = float(ids) · float(mask). */
    public static Path tokens(Path file) throws IOException {
        AttributeProto toFloat = AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT)
                .setI(TensorProto.DataType.FLOAT_VALUE).build();
        GraphProto g = GraphProto.newBuilder().setName("tokens")
                .addInput(value("input_ids", TensorProto.DataType.INT64_VALUE, "N", "S"))
                .addInput(value("attention_mask", TensorProto.DataType.INT64_VALUE, "N", "S"))
                .addNode(node("Cast", new String[] {"input_ids"}, "a", toFloat))
                .addNode(node("Cast", new String[] {"attention_mask"}, "m", toFloat))
                .addNode(node("Mul", new String[] {"a", "m"}, "y"))
                .addOutput(value("y", TensorProto.DataType.FLOAT_VALUE, "N", "S"))
                .build();
        return save(file, g);
    }
}
