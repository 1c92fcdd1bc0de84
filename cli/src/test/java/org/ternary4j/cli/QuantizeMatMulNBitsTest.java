package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quantize --format matmulnbits}: ONNX Runtime runs the packed model like the dequantized one. */
class QuantizeMatMulNBitsTest {
    @TempDir Path dir;

    private static ValueInfoProto value(String name, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))).build();
    }

    private static AttributeProto attr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static AttributeProto attr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    /**
     * X [48, 3] → Gemm(transA=1, W1 [40, 48] transB=1, C [40], alpha 0.5, beta 2) → Relu → Gemm(W2 [40, 24] transB=0)
     * → MatMul(W3 [24, 10]) → Y [3, 10]: every Gemm attribute the rewrite handles, K = 48, 40 and 24 (padded blocks).
     */
    private Path model() throws Exception {
        GraphProto.Builder g = GraphProto.newBuilder().setName("gemms");
        g.addInitializer(QuantizeOnnxTest.tensor("w1", 11, 40, 48)).addInitializer(QuantizeOnnxTest.tensor("c1", 12, 40))
                .addInitializer(QuantizeOnnxTest.tensor("w2", 13, 40, 24)).addInitializer(QuantizeOnnxTest.tensor("w3", 14, 24, 10));
        g.addNode(QuantizeOnnxTest.node("Gemm", "g1", List.of("X", "w1", "c1"), "a", attr("transA", 1L), attr("transB", 1L),
                attr("alpha", 0.5f), attr("beta", 2f)));
        g.addNode(QuantizeOnnxTest.node("Relu", "relu", List.of("a"), "b"));
        g.addNode(QuantizeOnnxTest.node("Gemm", "g2", List.of("b", "w2"), "c"));
        g.addNode(QuantizeOnnxTest.node("MatMul", "m3", List.of("c", "w3"), "Y"));
        g.addInput(value("X", 48, 3)).addOutput(value("Y", 3, 10));
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g).build();
        Path file = dir.resolve("gemms.onnx");
        Files.write(file, m.toByteArray());
        return file;
    }

    private static float[] run(Path model, float[] x) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model.toString(), new OrtSession.SessionOptions());
             OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {48, 3});
             OrtSession.Result r = s.run(Map.of("X", in))) {
            return ((float[][]) r.get(0).getValue())[2];
        }
    }

    @Test
    void gemmAttributesAndMatMulRunInOnnxRuntimeLikeTheDequantizedModel() throws Exception {
        Path in = model(), dq = dir.resolve("dq.onnx"), nb = dir.resolve("nb.onnx");
        CliRun a = QuantizeOnnxTest.quantize(in.toString(), "-o", dq.toString(), "--method", "tnt", "--grouping", "row", "--all-layers");
        CliRun b = QuantizeOnnxTest.quantize(in.toString(), "-o", nb.toString(), "--method", "tnt", "--grouping", "row", "--all-layers",
                "--format", "matmulnbits");
        assertEquals(0, a.exitCode(), a.err());
        assertEquals(0, b.exitCode(), b.err());
        assertTrue(b.out().contains("MatMulNBits: 3 weights packed as 2-bit codes"), b.out());
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(nb));
        assertEquals(3, m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("MatMulNBits")).count());
        assertTrue(m.getGraph().getInitializerList().stream().noneMatch(t -> t.getName().matches("w[123]")), "float weights are gone");
        float[] x = new float[48 * 3];
        Random r = new Random(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] want = run(dq, x), got = run(nb, x);
        double max = 0, diff = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(want[i]));
            diff = Math.max(diff, Math.abs(want[i] - got[i]));
        }
        assertTrue(diff <= 1e-5 * max, "max |Δ| " + diff + " of max |y| " + max);
    }

    @Test
    void evalRunsTheExportWithTheLutKernel() throws Exception {
        Path nb = dir.resolve("nb.onnx");
        assertEquals(0, QuantizeOnnxTest.quantize(Path.of("../models/mlp-fmnist.onnx").toString(), "-o", nb.toString(), "--method", "absmean",
                "--grouping", "tensor", "--format", "matmulnbits").exitCode());
        CliRun run = CliRun.of("eval", nb.toString(), "--data", "random:4", "--lut-gemm");
        assertEquals(0, run.exitCode(), run.err());
    }

    /**
     * A MatMulNBits weight whose last block is padded while K and the block are multiples of 32
     * (here VGG's K = 1568 exported in blocks of 32, relabelled blocks of 128) aborted the JVM
     * inside ONNX Runtime's table-lookup kernel: eval refuses it before ONNX Runtime sees it.
     */
    @Test
    void evalRefusesAWeightTheLutKernelWouldOverrun() throws Exception {
        Path nb = dir.resolve("nb.onnx"), padded = dir.resolve("padded.onnx");
        assertEquals(0, QuantizeOnnxTest.quantize(Path.of("../models/vgg-fmnist.onnx").toString(), "-o", nb.toString(), "--method", "tnt",
                "--grouping", "row", "--format", "matmulnbits").exitCode());
        ModelProto.Builder m = ModelProto.parseFrom(Files.readAllBytes(nb)).toBuilder();
        for (var node : m.getGraphBuilder().getNodeBuilderList()) {
            if (!node.getOpType().equals("MatMulNBits")) continue;
            for (var a : node.getAttributeBuilderList()) if (a.getName().equals("block_size")) a.setI(128);
        }
        Files.write(padded, m.build().toByteArray());
        CliRun run = CliRun.of("eval", padded.toString(), "--data", "random:4", "--lut-gemm");
        assertEquals(1, run.exitCode(), run.err());
        assertTrue(run.err().startsWith("ternary4j: " + padded) && run.err().contains("K=1568 in blocks of 128") && run.err().lines().count() == 1, run.err());
        CliRun ok = CliRun.of("eval", nb.toString(), "--data", "random:4", "--lut-gemm");
        assertEquals(0, ok.exitCode(), ok.err());
    }

    @Test
    void whatCannotMapIsAOneLineError() throws Exception {
        Path nb = dir.resolve("nb.onnx");
        CliRun run = QuantizeOnnxTest.quantize(model().toString(), "-o", nb.toString(), "--method", "two-scale", "--grouping", "row",
                "--format", "matmulnbits");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().startsWith("ternary4j: ") && run.err().contains("negative scales") && run.err().lines().count() == 1, run.err());
        assertFalse(Files.exists(nb));

        TestModels.Model st = TestModels.standard(dir.resolve("in.safetensors"));
        run = QuantizeOnnxTest.quantize(st.file().toString(), "-o", dir.resolve("o.safetensors").toString(), "--method", "tnt", "--grouping", "row",
                "--format", "matmulnbits");
        assertEquals("ternary4j: --format matmulnbits applies to .onnx inputs\n", run.err());
        run = QuantizeOnnxTest.quantize(model().toString(), "-o", nb.toString(), "--method", "tnt", "--grouping", "row", "--format", "int4");
        assertEquals("ternary4j: output format 'int4': unknown; one of dequantized, matmulnbits, bitnet\n", run.err());
    }
}
