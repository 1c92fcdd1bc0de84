package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.formats.packed.PackedReader;
import shade.com.google.protobuf.ByteString;

/** {@code quantize} on .onnx inputs: the ONNX options, the shared table/report/packed outputs, errors. */
class QuantizeOnnxTest {
    @TempDir Path dir;

    static TensorProto tensor(String name, long seed, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        Random r = new Random(seed);
        ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) b.putFloat((float) (seed < 0 ? Math.abs(r.nextGaussian()) + 0.3 : r.nextGaussian()));
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1).setRawData(ByteString.copyFrom(b.array()));
        for (int d : shape) t.addDims(d);
        return t.build();
    }

    static NodeProto node(String op, String name, List<String> in, String out, AttributeProto... attrs) {
        return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(in).addOutput(out).addAllAttribute(Arrays.asList(attrs)).build();
    }

    /** X → Conv(c1.w) → BN → Relu → Conv(c2.w) → BN → Flatten → Gemm(fc.w [16, 5], transB=0) → MatMul(out.w [5, 3]). */
    static Path model(Path file) throws Exception {
        GraphProto.Builder g = GraphProto.newBuilder().setName("net");
        g.addInitializer(tensor("c1.w", 1, 4, 2, 3, 3)).addInitializer(tensor("c2.w", 2, 4, 4, 3, 3));
        g.addInitializer(tensor("fc.w", 3, 16, 5)).addInitializer(tensor("out.w", 4, 5, 3));
        for (String bn : List.of("bn1", "bn2")) {
            g.addInitializer(tensor(bn + ".g", 5, 4)).addInitializer(tensor(bn + ".b", 6, 4))
                    .addInitializer(tensor(bn + ".m", 7, 4)).addInitializer(tensor(bn + ".v", -8, 4));
        }
        g.addNode(node("Conv", "conv1", List.of("X", "c1.w"), "a"));
        g.addNode(node("BatchNormalization", "bn1", List.of("a", "bn1.g", "bn1.b", "bn1.m", "bn1.v"), "b"));
        g.addNode(node("Relu", "relu", List.of("b"), "c"));
        g.addNode(node("Conv", "conv2", List.of("c", "c2.w"), "d"));
        g.addNode(node("BatchNormalization", "bn2", List.of("d", "bn2.g", "bn2.b", "bn2.m", "bn2.v"), "e"));
        g.addNode(node("Flatten", "flat", List.of("e"), "f"));
        g.addNode(node("Gemm", "fc", List.of("f", "fc.w"), "h"));
        g.addNode(node("MatMul", "out", List.of("h", "out.w"), "Y"));
        // Declared, as a valid graph must: every command reads models through the model layer's graph check first.
        TypeProto floats = TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1)).build();
        g.addInput(ValueInfoProto.newBuilder().setName("X").setType(floats)).addOutput(ValueInfoProto.newBuilder().setName("Y").setType(floats));
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g).build();
        Files.write(file, m.toByteArray());
        return file;
    }

    static CliRun quantize(String... args) {
        List<String> a = new ArrayList<>(List.of("quantize"));
        a.addAll(List.of(args));
        return CliRun.of(a.toArray(String[]::new));
    }

    @Test
    void defaultRunKeepsFirstAndLastAndSaysSo() throws Exception {
        Path in = model(dir.resolve("net.onnx")), out = dir.resolve("out.onnx");
        CliRun run = quantize(in.toString(), "-o", out.toString(), "--method", "tnt", "--grouping", "row", "--threads", "1");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.exists(out));
        assertTrue(run.out().contains("c2.w") && run.out().contains("fc.w"), run.out());
        assertTrue(run.out().contains("kept  c1.w (Conv, layer 0): first layer"), run.out());
        assertTrue(run.out().contains("kept  out.w (MatMul, layer 3): last layer"), run.out());
    }

    @Test
    void scalesOptionErrors() throws Exception {
        Path in = model(dir.resolve("net.onnx"));
        CliRun bad = quantize(in.toString(), "-o", dir.resolve("o.onnx").toString(), "--method", "tnt", "--grouping", "row", "--scales", "f64");
        assertNotEquals(0, bad.exitCode());
        assertEquals("ternary4j: --scales 'f64': one of f32, f16\n", bad.err());
        assertFalse(Files.exists(dir.resolve("o.onnx")));
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"f32", "f16"})
    void foldBnAllLayersWithReportAndPackedFileThatAgreeWithTheModel(String scales) throws Exception {
        Path in = model(dir.resolve("net.onnx")), out = dir.resolve("out.onnx"), rep = dir.resolve("r.json"), packed = dir.resolve("p.safetensors");
        CliRun run = quantize(in.toString(), "-o", out.toString(), "--method", "two-scale", "--grouping", "tensor", "--all-layers",
                "--fold-bn", "--exclude", "re:nothing,out", "--report", rep.toString(), "--packed", packed.toString(), "--packing", "2bit",
                "--scales", scales);
        assertEquals(0, run.exitCode(), run.err());
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(out));
        assertTrue(m.getGraph().getNodeList().stream().noneMatch(n -> n.getOpType().equals("BatchNormalization")));

        JsonNode report = new ObjectMapper().readTree(rep.toFile());
        List<String> names = new ArrayList<>();
        report.get("tensors").forEach(t -> names.add(t.get("name").asText()));
        assertEquals(List.of("c1.w", "c2.w", "fc.w"), names);
        assertEquals("Gemm", report.get("tensors").get(2).get("op").asText());
        assertEquals(2, report.get("tensors").get(2).get("layerIndex").asInt());
        assertEquals(80, report.get("tensors").get(2).get("params").asLong());
        assertEquals("tensor→row +bn (per-channel scales)", report.get("tensors").get(0).get("grouping").asText());
        assertTrue(report.get("tensors").get(0).get("batchNormFolded").asBoolean());
        assertFalse(report.get("tensors").get(2).get("batchNormFolded").asBoolean(), "no BatchNorm after the Gemm");

        try (PackedReader p = PackedReader.open(packed)) {
            for (String name : names) {
                TensorProto t = m.getGraph().getInitializerList().stream().filter(x -> x.getName().equals(name)).findFirst().orElseThrow();
                ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                float[] stored = new float[raw.remaining() / 4];
                raw.asFloatBuffer().get(stored);
                TernaryTensor tt = p.read(name);
                // the report's applied grouping is the one the packed scales follow
                assertEquals(tt.grouping().spec(), report.get("tensors").get(names.indexOf(name)).get("groupingApplied").asText(), name);
                // f16: the BatchNorm-folded scales were rounded last, so the model holds the F16 values too
                assertEquals(scales.equals("f16"), p.halfScales(name), name);
                assertEquals(scales.equals("f16"), tt.halfScales(), name);
                float[] canonical = tt.dequantize();
                // Gemm transB=0 stores [in, out]; the packed tensor is canonical [out, in].
                boolean transposed = name.equals("fc.w");
                assertArrayEquals(transposed ? new int[] {5, 16} : new int[] {(int) t.getDims(0), (int) t.getDims(1), 3, 3}, tt.shape());
                for (int i = 0; i < stored.length; i++) {
                    int c = transposed ? (i % 5) * 16 + i / 5 : i;
                    assertEquals(stored[i], canonical[c], 0f, name + " element " + i);
                }
            }
        }
    }

    @Test
    void onnxOptionsOnSafetensorsAndBadOnnxFilesAreOneLineErrors() throws Exception {
        TestModels.Model st = TestModels.standard(dir.resolve("in.safetensors"));
        CliRun run = quantize(st.file().toString(), "-o", dir.resolve("o.safetensors").toString(), "--method", "tnt", "--grouping", "row", "--fold-bn");
        assertEquals(1, run.exitCode());
        assertEquals("ternary4j: --all-layers, --fold-bn, --embeddings, --calibrate and --eval apply to .onnx inputs only\n", run.err());

        byte[] bytes = Files.readAllBytes(model(dir.resolve("net.onnx")));
        Path half = Files.write(dir.resolve("half.onnx"), Arrays.copyOf(bytes, bytes.length / 2));
        run = quantize(half.toString(), "-o", dir.resolve("o.onnx").toString(), "--method", "tnt", "--grouping", "row");
        assertEquals(1, run.exitCode());
        assertEquals("ternary4j: " + half + ": not a complete ONNX model (the file is truncated)\n", run.err());
        assertFalse(Files.exists(dir.resolve("o.onnx")));

        run = quantize(dir.resolve("net.onnx").toString(), "-o", dir.resolve("o.onnx").toString(), "--method", "tnt", "--grouping", "row",
                "--all-tensors");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("--all-tensors applies to safetensors inputs"), run.err());
    }

    /** Outputs are staged and moved into place together: the external data arrives beside the model, under the name the model gives it. */
    @Test
    void externalDataArrivesBesideTheOutputAndNothingStagedIsLeft() throws Exception {
        ModelProto lenet = ModelProto.parseFrom(Files.readAllBytes(TaskCommandsTest.LENET));
        GraphProto.Builder g = lenet.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            TensorProto t = g.getInitializer(i);
            if (!t.getName().equals("conv2.weight")) continue;
            Files.write(dir.resolve("m.onnx.data"), t.getRawData().toByteArray());
            g.setInitializer(i, t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(entry("location", "m.onnx.data")).addExternalData(entry("offset", "0"))
                    .addExternalData(entry("length", Long.toString(t.getRawData().size()))));
        }
        Path in = Files.write(dir.resolve("m.onnx"), lenet.toBuilder().setGraph(g).build().toByteArray());
        Path outDir = Files.createDirectory(dir.resolve("out")), out = outDir.resolve("q.onnx"), packed = outDir.resolve("q.packed.safetensors");
        CliRun run = quantize(in.toString(), "-o", out.toString(), "--method", "tnt", "--grouping", "row", "--packed", packed.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("external data written to " + outDir.resolve("q.onnx.data") + "\n"), run.out());
        try (var files = Files.list(outDir)) {
            assertEquals(List.of("q.onnx", "q.onnx.data", "q.packed.safetensors"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        CliRun eval = CliRun.of("eval", out.toString(), "--compare", in.toString(), "--data", "random:4:1", "--json");
        assertEquals(0, eval.exitCode(), eval.err());
        assertTrue(new ObjectMapper().readTree(eval.out()).get("compare").get("meanCosine").asDouble() > 0.5, eval.out());
    }

    private static ai.onnx.proto.OnnxMl.StringStringEntryProto entry(String k, String v) {
        return ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }
}
