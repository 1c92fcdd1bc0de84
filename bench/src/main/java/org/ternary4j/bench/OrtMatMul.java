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
import org.ternary4j.formats.onnx.NBitsBlocks;
import shade.com.google.protobuf.ByteString;

/**
 * ONNX Runtime baselines, one-node models built in memory: FP32 MatMul y = x · W (W [k, rows]),
 * and 2-bit {@code com.microsoft.MatMulNBits} on the same ternary codes (zero point 1) with the
 * table-lookup kernel ({@code mlas.use_lut_gemm=1}), ONNX Runtime's own low-bit path.
 */
final class OrtMatMul implements AutoCloseable {
    /** The session configuration entry that selects MLAS's table-lookup kernel for 2-bit MatMulNBits. */
    static final Map<String, String> LUT_GEMM = Map.of("mlas.use_lut_gemm", "1");

    static {
        useBundledNativesUnlessPrepared();
    }

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final OnnxTensor input;

    /** w is [rows, k] row-major (a Linear layer's layout); the model stores its transpose as ONNX MatMul expects. */
    OrtMatMul(float[] w, int rows, int k, float[] x, int batch, int threads) throws OrtException {
        this(model(w, rows, k), Map.of(), k, x, batch, threads);
    }

    private OrtMatMul(byte[] model, Map<String, String> config, int k, float[] x, int batch, int threads) throws OrtException {
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            for (Map.Entry<String, String> e : config.entrySet()) opts.addConfigEntry(e.getKey(), e.getValue());
            session = env.createSession(model, opts);
        }
        input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x, 0, batch * k), new long[] {batch, k});
    }

    /** 2-bit MatMulNBits on these blocks with the table-lookup kernel. */
    static OrtMatMul nBits(NBitsBlocks b, float[] x, int batch, int threads) throws OrtException {
        return new OrtMatMul(nBitsModel(b), LUT_GEMM, b.k(), x, batch, threads);
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

    /** y = MatMulNBits(x, B, scales, zero points) with bits=2: the codes as ONNX Runtime's own 2-bit kernel reads them. */
    static byte[] nBitsModel(NBitsBlocks b) {
        ByteBuffer scales = ByteBuffer.allocate(b.scales().length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : b.scales()) scales.putFloat(v);
        OnnxMl.GraphProto graph = OnnxMl.GraphProto.newBuilder().setName("matmulnbits")
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("MatMulNBits").setDomain("com.microsoft")
                        .addInput("x").addInput("q").addInput("scales").addInput("zp").addOutput("y")
                        .addAttribute(intAttr("K", b.k())).addAttribute(intAttr("N", b.n()))
                        .addAttribute(intAttr("bits", 2)).addAttribute(intAttr("block_size", b.blockSize())))
                .addInitializer(raw("q", OnnxMl.TensorProto.DataType.UINT8, b.codes(), b.n(), b.blocks(), b.blockSize() / 4))
                .addInitializer(raw("scales", OnnxMl.TensorProto.DataType.FLOAT, scales.array(), b.scales().length))
                .addInitializer(raw("zp", OnnxMl.TensorProto.DataType.UINT8, b.zeroPoints(), b.zeroPoints().length))
                .addInput(valueInfo("x", -1, b.k()))
                .addOutput(valueInfo("y", -1, b.n()))
                .build();
        return OnnxMl.ModelProto.newBuilder().setIrVersion(7).setProducerName("ternary4j-bench")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1))
                .setGraph(graph).build().toByteArray();
    }

    private static OnnxMl.TensorProto raw(String name, OnnxMl.TensorProto.DataType type, byte[] bytes, long... dims) {
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(type.getNumber()).setRawData(ByteString.copyFrom(bytes));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    private static OnnxMl.AttributeProto intAttr(String name, long v) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INT).setI(v).build();
    }

    /** The output of one run, for checks. */
    float[] output() throws OrtException {
        try (OrtSession.Result r = session.run(Map.of("x", input))) {
            FloatBuffer y = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] out = new float[y.remaining()];
            y.get(out);
            return out;
        }
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
