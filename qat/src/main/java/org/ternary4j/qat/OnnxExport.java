package org.ternary4j.qat;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
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
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.ternary4j.formats.AtomicOutput;
import shade.com.google.protobuf.ByteString;

/**
 * Writes a network as an ONNX model (opset 13) straight from its {@link Layer} description and
 * parameter values: input "input" [N, 1, 28, 28] float, output "logits" [N, 10]. Batch norms are
 * in inference form (running statistics); ternarized layers carry their dequantized weights.
 */
public final class OnnxExport {
    public static final String INPUT = "input";
    public static final String OUTPUT = "logits";
    static final int OPSET = 13;

    private final Map<String, FloatTensor> params;
    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("ternary4j");
    private int counter;

    private OnnxExport(Map<String, FloatTensor> params) {
        this.params = params;
    }

    /** Parameter names: {@code <layer>.weight}, {@code <layer>.bias}, {@code <bn>.gamma|beta|mean|var}. */
    public static ModelProto model(List<Layer> layers, Map<String, FloatTensor> params, Map<String, String> metadata) {
        OnnxExport e = new OnnxExport(params);
        String out = e.emit(layers, INPUT);
        // Rename the final tensor so every model exposes the same output name.
        int last = e.graph.getNodeCount() - 1;
        if (!e.graph.getNode(last).getOutput(0).equals(out)) throw new IllegalStateException("the last node does not produce the output");
        e.graph.setNode(last, e.graph.getNode(last).toBuilder().setOutput(0, OUTPUT));
        e.graph.addInput(valueInfo(INPUT, "N", 1, FashionMnist.SIDE, FashionMnist.SIDE));
        e.graph.addOutput(valueInfo(OUTPUT, "N", FashionMnist.CLASSES));
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(7).setProducerName("ternary4j").setProducerVersion("0.1.0")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET)).setGraph(e.graph);
        metadata.forEach((k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return m.build();
    }

    /** Writes atomically (temporary file, fsync, rename); refuses to overwrite an input. */
    public static void write(ModelProto model, Path out, Path... inputs) throws IOException {
        try (AtomicOutput o = AtomicOutput.open(out, inputs)) {
            ByteBuffer bytes = ByteBuffer.wrap(model.toByteArray());
            while (bytes.hasRemaining()) o.channel().write(bytes);
            o.commit();
        }
    }

    private String emit(List<Layer> layers, String x) {
        for (Layer l : layers) x = emit(l, x);
        return x;
    }

    private String emit(Layer l, String x) {
        return switch (l) {
            case Layer.Conv c -> node("Conv", withBias(c, x),
                    ints("kernel_shape", c.kernel(), c.kernel()), ints("strides", c.stride(), c.stride()),
                    ints("pads", c.pad(), c.pad(), c.pad(), c.pad()));
            case Layer.Dense d -> node("Gemm", withBias(d, x), intAttr("transB", 1));
            case Layer.BatchNorm b -> node("BatchNormalization", List.of(x, init(b.name() + ".gamma"), init(b.name() + ".beta"),
                    init(b.name() + ".mean"), init(b.name() + ".var")), floatAttr("epsilon", Layer.BN_EPSILON));
            case Layer.Relu r -> node("Relu", List.of(x));
            case Layer.MaxPool p -> node("MaxPool", List.of(x), ints("kernel_shape", p.size(), p.size()), ints("strides", p.size(), p.size()));
            case Layer.Flatten f -> node("Flatten", List.of(x), intAttr("axis", 1));
            case Layer.GlobalAvgPool g -> node("GlobalAveragePool", List.of(x));
            case Layer.Residual r -> node("Add", List.of(emit(r.main(), x), r.shortcut().isEmpty() ? x : emit(r.shortcut(), x)));
        };
    }

    private List<String> withBias(Layer.Weighted w, String x) {
        return w.bias() ? List.of(x, init(w.name() + ".weight"), init(w.name() + ".bias")) : List.of(x, init(w.name() + ".weight"));
    }

    /** Adds the named parameter as an initializer and returns its name. */
    private String init(String name) {
        FloatTensor t = params.get(name);
        if (t == null) throw new IllegalArgumentException("export: no values for parameter " + name);
        ByteBuffer raw = ByteBuffer.allocate(t.data().length * 4).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(t.data());
        TensorProto.Builder p = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(raw.array()));
        for (int d : t.shape()) p.addDims(d);
        graph.addInitializer(p);
        return name;
    }

    private String node(String op, List<String> inputs, AttributeProto... attrs) {
        String out = "t" + counter++;
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(op.toLowerCase() + "_" + out).addAllInput(inputs).addOutput(out);
        for (AttributeProto a : attrs) n.addAttribute(a);
        graph.addNode(n);
        return out;
    }

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    private static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(v).build();
    }

    private static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOAT).setF(v).build();
    }

    private static ValueInfoProto valueInfo(String name, String batch, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(batch));
        for (long d : dims) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                        .setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s))).build();
    }
}
