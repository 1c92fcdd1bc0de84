package org.ternary4j.qat.graph;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import shade.com.google.protobuf.ByteString;

/** Test helpers: small ONNX graphs built in memory, and ONNX Runtime (the oracle) to run them. */
public final class TinyGraphs {
    private TinyGraphs() {}

    /** A float array and its shape. */
    public record Tensor(int[] shape, float[] data) {
        public static Tensor random(Random r, int... shape) {
            float[] v = new float[Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
            return new Tensor(shape, v);
        }
    }

    public static OnnxMl.TensorProto floats(String name, Tensor t) {
        ByteBuffer b = ByteBuffer.allocate(t.data().length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : t.data()) b.putFloat(f);
        b.flip();
        OnnxMl.TensorProto.Builder p = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber());
        for (int d : t.shape()) p.addDims(d);
        return p.setRawData(ByteString.copyFrom(b)).build();
    }

    public static OnnxMl.TensorProto longs(String name, long... v) {
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber());
        t.addDims(v.length);
        for (long l : v) t.addInt64Data(l);
        return t.build();
    }

    public static OnnxMl.AttributeProto ints(String name, long... v) {
        OnnxMl.AttributeProto.Builder a = OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INTS);
        for (long l : v) a.addInts(l);
        return a.build();
    }

    public static OnnxMl.AttributeProto i(String name, long v) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INT).setI(v).build();
    }

    public static OnnxMl.AttributeProto f(String name, float v) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    /** A Constant node holding {@code t} under the name {@code out}. */
    public static OnnxMl.NodeProto constant(String out, OnnxMl.TensorProto t) {
        return OnnxMl.NodeProto.newBuilder().setOpType("Constant").setName("const_" + out).addOutput(out)
                .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("value").setType(OnnxMl.AttributeProto.AttributeType.TENSOR).setT(t)).build();
    }

    public static OnnxMl.NodeProto node(String op, List<String> in, String out, OnnxMl.AttributeProto... attrs) {
        OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(op).setName(op.toLowerCase() + "_" + out).addAllInput(in).addOutput(out);
        for (OnnxMl.AttributeProto a : attrs) n.addAttribute(a);
        return n.build();
    }

    private static OnnxMl.ValueInfoProto value(String name) {
        return OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()))).build();
    }

    /** A model with float inputs and outputs. */
    public static OnnxMl.ModelProto model(int opset, List<String> inputs, List<String> outputs, List<OnnxMl.NodeProto> nodes, List<OnnxMl.TensorProto> inits) {
        OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("tiny").addAllNode(nodes).addAllInitializer(inits);
        inputs.forEach(s -> g.addInput(value(s)));
        outputs.forEach(s -> g.addOutput(value(s)));
        return OnnxMl.ModelProto.newBuilder().setIrVersion(7)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(g).build();
    }

    public static Path write(Path dir, String name, OnnxMl.ModelProto m) throws java.io.IOException {
        Path f = dir.resolve(name + ".onnx");
        Files.write(f, m.toByteArray());
        return f;
    }

    /** Runs a model file in ONNX Runtime on float inputs; float outputs by name. */
    public static Map<String, Tensor> ort(Path model, Map<String, Tensor> inputs) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(Files.readAllBytes(model), o)) {
                Map<String, OnnxTensor> in = new HashMap<>();
                try {
                    for (var e : inputs.entrySet()) {
                        in.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue().data()), Arrays.stream(e.getValue().shape()).asLongStream().toArray()));
                    }
                    Map<String, Tensor> out = new LinkedHashMap<>();
                    try (OrtSession.Result r = s.run(in)) {
                        for (var e : r) {
                            OnnxTensor t = (OnnxTensor) e.getValue();
                            FloatBuffer fb = t.getFloatBuffer();
                            float[] v = new float[fb.remaining()];
                            fb.get(v);
                            out.put(e.getKey(), new Tensor(Arrays.stream(t.getInfo().getShape()).mapToInt(Math::toIntExact).toArray(), v));
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
