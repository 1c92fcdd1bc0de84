package org.ternary4j.bench;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import shade.com.google.protobuf.ByteString;

/** ONNX Runtime's FP32 MatMul as a baseline: a one-node model y = x · W with W [k, rows] built in memory. */
final class OrtMatMul implements AutoCloseable {
    static {
        useBundledNativesUnlessPrepared();
    }

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final OnnxTensor input;

    /** w is [rows, k] row-major (a Linear layer's layout); the model stores its transpose as ONNX MatMul expects. */
    OrtMatMul(float[] w, int rows, int k, float[] x, int batch, int threads) throws OrtException {
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(model(w, rows, k), opts);
        }
        input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x, 0, batch * k), new long[] {batch, k});
    }

    /**
     * The launcher points {@code onnxruntime.native.path} at a project cache that the eval module
     * fills; if nothing filled it yet, let ONNX Runtime extract its natives from its jar instead.
     */
    static void useBundledNativesUnlessPrepared() {
        String dir = System.getProperty("onnxruntime.native.path");
        if (dir != null && !java.nio.file.Files.isRegularFile(java.nio.file.Path.of(dir, System.mapLibraryName("onnxruntime")))) {
            System.clearProperty("onnxruntime.native.path");
        }
    }

    void run() throws OrtException {
        try (OrtSession.Result r = session.run(Map.of("x", input))) {
            if (r.size() != 1) throw new IllegalStateException("MatMul model returned " + r.size() + " outputs");
        }
    }

    static byte[] model(float[] w, int rows, int k) {
        ByteBuffer raw = ByteBuffer.allocate(w.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < k; i++) for (int r = 0; r < rows; r++) raw.putFloat(w[r * k + i]);
        raw.flip();
        OnnxMl.TensorProto weight = OnnxMl.TensorProto.newBuilder().setName("w")
                .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).addDims(k).addDims(rows)
                .setRawData(ByteString.copyFrom(raw)).build();
        OnnxMl.GraphProto graph = OnnxMl.GraphProto.newBuilder().setName("matmul")
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("MatMul").addInput("x").addInput("w").addOutput("y"))
                .addInitializer(weight)
                .addInput(valueInfo("x", -1, k))
                .addOutput(valueInfo("y", -1, rows))
                .build();
        return OnnxMl.ModelProto.newBuilder().setIrVersion(7).setProducerName("ternary4j-bench")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(graph).build().toByteArray();
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, int rows, int cols) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        shape.addDim(rows < 0 ? OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch")
                : OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(rows));
        shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(cols));
        return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setShape(shape)))
                .build();
    }

    @Override
    public void close() throws OrtException {
        input.close();
        session.close();
    }
}
