package org.ternary4j.runtime.graph;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ternary4j.formats.onnx.OnnxModel;
import shade.com.google.protobuf.ByteString;

/** Test helpers: build small ONNX models in memory and run them in ONNX Runtime (the oracle). */
final class Onnx {
    private Onnx() {}

    static OnnxMl.TensorProto floats(String name, int[] shape, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        b.flip();
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber());
        for (int d : shape) t.addDims(d);
        return t.setRawData(ByteString.copyFrom(b)).build();
    }

    static OnnxMl.TensorProto longs(String name, int[] shape, long... v) {
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber());
        for (int d : shape) t.addDims(d);
        for (long l : v) t.addInt64Data(l);
        return t.build();
    }

    static OnnxMl.AttributeProto ints(String name, long... v) {
        OnnxMl.AttributeProto.Builder a = OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INTS);
        for (long l : v) a.addInts(l);
        return a.build();
    }

    static OnnxMl.AttributeProto i(String name, long v) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INT).setI(v).build();
    }

    static OnnxMl.AttributeProto f(String name, float v) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    static OnnxMl.AttributeProto s(String name, String v) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(v)).build();
    }

    static OnnxMl.NodeProto node(String op, String[] in, String[] out, OnnxMl.AttributeProto... attrs) {
        OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(op).setName(op.toLowerCase() + "_" + out[0]);
        for (String s : in) n.addInput(s);
        for (String s : out) n.addOutput(s);
        for (OnnxMl.AttributeProto a : attrs) n.addAttribute(a);
        return n.build();
    }

    static OnnxMl.ValueInfoProto value(String name, OnnxMl.TensorProto.DataType type) {
        return OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(type.getNumber()))).build();
    }

    /** A model: float graph inputs, outputs (float unless listed in longOutputs), nodes and initializers. */
    static OnnxMl.ModelProto model(int opset, String[] inputs, String[] outputs, java.util.List<OnnxMl.NodeProto> nodes,
                                   java.util.List<OnnxMl.TensorProto> inits, String... longOutputs) {
        OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("test").addAllNode(nodes).addAllInitializer(inits);
        for (String s : inputs) g.addInput(value(s, OnnxMl.TensorProto.DataType.FLOAT));
        for (String s : outputs) {
            g.addOutput(value(s, Arrays.asList(longOutputs).contains(s) ? OnnxMl.TensorProto.DataType.INT64 : OnnxMl.TensorProto.DataType.FLOAT));
        }
        return OnnxMl.ModelProto.newBuilder().setIrVersion(7)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(g).build();
    }

    /**
     * The model with its graph input or output {@code name} declared as {@code type} of shape
     * {@code dims}: a String is a symbolic dimension, an Integer a fixed one.
     */
    static OnnxMl.ModelProto declare(OnnxMl.ModelProto model, String name, OnnxMl.TensorProto.DataType type, Object... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (Object d : dims) {
            shape.addDim(d instanceof String sym ? OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam(sym)
                    : OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue((Integer) d));
        }
        OnnxMl.ValueInfoProto v = OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape))).build();
        OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getInputCount(); i++) if (g.getInput(i).getName().equals(name)) g.setInput(i, v);
        for (int i = 0; i < g.getOutputCount(); i++) if (g.getOutput(i).getName().equals(name)) g.setOutput(i, v);
        return model.toBuilder().setGraph(g).build();
    }

    /** The model as the runtime loads it: written to a temporary file and read back through {@link OnnxModel}. */
    static OnnxModel read(OnnxMl.ModelProto model) throws java.io.IOException {
        Path f = Files.createTempFile("t4j-runtime-", ".onnx");
        try {
            Files.write(f, model.toByteArray());
            return OnnxModel.read(f);
        } finally {
            Files.delete(f);
        }
    }

    /** Runs the model in ONNX Runtime; float or int64 outputs come back as {@link Tensor}s. */
    static Map<String, Tensor> ort(OnnxMl.ModelProto model, Map<String, Tensor> inputs) throws OrtException {
        return ort(model.toByteArray(), inputs);
    }

    /** As above for a serialized model; int64 inputs stay int64. */
    static Map<String, Tensor> ort(byte[] model, Map<String, Tensor> inputs) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(model, o)) {
                Map<String, OnnxTensor> in = new HashMap<>();
                try {
                    for (var e : inputs.entrySet()) {
                        long[] shape = Arrays.stream(e.getValue().shape()).asLongStream().toArray();
                        in.put(e.getKey(), e.getValue() instanceof Tensor.I64 l ? OnnxTensor.createTensor(env, LongBuffer.wrap(l.data()), shape)
                                : OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue().floats()), shape));
                    }
                    Map<String, Tensor> out = new LinkedHashMap<>();
                    try (OrtSession.Result r = s.run(in)) {
                        for (var e : r) {
                            OnnxTensor t = (OnnxTensor) e.getValue();
                            int[] shape = Arrays.stream(t.getInfo().getShape()).mapToInt(Math::toIntExact).toArray();
                            if (t.getInfo().type == ai.onnxruntime.OnnxJavaType.INT64) {
                                LongBuffer lb = t.getLongBuffer();
                                long[] v = new long[lb.remaining()];
                                lb.get(v);
                                out.put(e.getKey(), new Tensor.I64(shape, v));
                            } else {
                                FloatBuffer fb = t.getFloatBuffer();
                                float[] v = new float[fb.remaining()];
                                fb.get(v);
                                out.put(e.getKey(), new Tensor.F32(shape, v));
                            }
                        }
                    }
                    return out;
                } finally {
                    for (OnnxTensor t : in.values()) t.close();
                }
            }
        }
    }
}
