package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpzWriter;

/** {@code run}'s data: the spellings eval takes (an .npz per input name, random inputs, --dim), and no silent NaN for an empty set. */
class RunCommandTest {
    @TempDir static Path dir;
    static Path model, packed;

    @BeforeAll
    static void quantizeLenet() {
        model = dir.resolve("t.onnx");
        packed = dir.resolve("t.packed.safetensors");
        CliRun q = CliRun.of("quantize", TaskCommandsTest.LENET.toString(), "-o", model.toString(), "--method", "tnt", "--grouping", "row",
                "--packed", packed.toString());
        assertEquals(0, q.exitCode(), q.err());
    }

    @Test
    void randomInputsNeedNoLabelsToCompareWithOnnxRuntime() throws Exception {
        CliRun r = CliRun.of("run", model.toString(), "--packed", packed.toString(), "--data", "random:8:3", "--exact", "--compare-ort", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(8, j.get("n").asInt());
        assertTrue(j.get("top1").isNull(), "no labels, no accuracy");
        assertEquals(1.0, j.get("ort").get("agreement").asDouble(), "float activations: same predictions as ONNX Runtime");
        assertTrue(j.get("ort").get("maxAbsOutputDiff").asDouble() < 1e-3, r.out());
        assertTrue(j.get("ort").get("minOutputCosine").asDouble() > 0.99999, r.out());
    }

    /**
     * Packed codes on a graph that is not the one quantize wrote with them (here the full-precision
     * LeNet: its weights are not the codes' values) run, with a one-line warning naming both
     * files; on their own graph no warning. The oracle is the graph's weights themselves: the
     * dequantized output holds exactly the codes' values.
     */
    @Test
    void codesOnAnotherGraphRunWithAWarningNamingBothFiles() {
        CliRun own = CliRun.of("run", model.toString(), "--packed", packed.toString(), "--data", "random:4");
        assertEquals(0, own.exitCode(), own.err());
        assertFalse(own.err().contains("warning"), own.err());
        CliRun other = CliRun.of("run", TaskCommandsTest.LENET.toString(), "--packed", packed.toString(), "--data", "random:4");
        assertEquals(0, other.exitCode(), other.err());
        List<String> warnings = other.err().lines().filter(l -> l.contains("warning")).toList();
        assertEquals(1, warnings.size(), other.err());
        assertTrue(warnings.get(0).startsWith("ternary4j: warning: " + TaskCommandsTest.LENET + " is not the model quantize wrote with " + packed + ": 3 of its 3 weights"),
                warnings.get(0));
    }

    /**
     * --activations: auto by default (said in the JSON), float the same outputs as --exact (its
     * shorthand), and a misspelt value or a contradiction with --exact a one-line error.
     */
    @Test
    void activationsDefaultToAutoAndFloatIsExact() throws Exception {
        String[] common = {"run", model.toString(), "--packed", packed.toString(), "--data", "random:8:3", "--compare-ort", "--json"};
        CliRun auto = CliRun.of(common), exact = CliRun.of(concat(common, "--exact")), named = CliRun.of(concat(common, "--activations", "FLOAT"));
        for (CliRun r : List.of(auto, exact, named)) assertEquals(0, r.exitCode(), r.err());
        ObjectMapper json = new ObjectMapper();
        assertEquals("auto", json.readTree(auto.out()).get("activations").asText());
        JsonNode a = json.readTree(auto.out());
        assertEquals(0, a.get("int8Layers").asInt(), "LeNet's small layers are not in the lookup-table layout: " + auto.out());
        assertTrue(a.get("ternaryLayers").asInt() >= 3, auto.out());
        CliRun int8 = CliRun.of(concat(common, "--activations", "int8"));
        assertEquals(0, int8.exitCode(), int8.err());
        JsonNode q = json.readTree(int8.out());
        assertEquals(q.get("ternaryLayers").asInt(), q.get("int8Layers").asInt(), int8.out());
        JsonNode e = json.readTree(exact.out()), f = json.readTree(named.out());
        assertEquals("float", f.get("activations").asText());
        assertEquals(e.get("ort").get("maxAbsOutputDiff").asDouble(), f.get("ort").get("maxAbsOutputDiff").asDouble(), 0.0, "the same outputs");
        for (String[] bad : List.of(new String[] {"--activations", "int4"}, new String[] {"--exact", "--activations", "int8"})) {
            CliRun r = CliRun.of(concat(common, bad));
            assertEquals(2, r.exitCode(), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(bad[bad.length - 1]), r.err());
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** --profile: the graph's own nodes with their kernels, shares of the profiled time that add up to one, the slowest first. */
    @Test
    void profileListsTheModelsNodesSlowestFirst() throws Exception {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (NodeProto n : ModelProto.parseFrom(Files.readAllBytes(model)).getGraph().getNodeList()) names.add(n.getName());
        CliRun r = CliRun.of("run", model.toString(), "--packed", packed.toString(), "--data", "random:4:3", "--exact", "--profile", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode nodes = new ObjectMapper().readTree(r.out()).get("profile").get("nodes");
        assertTrue(nodes.size() > 3, r.out());
        double sum = 0, last = Double.MAX_VALUE;
        boolean ternary = false;
        for (JsonNode n : nodes) {
            assertTrue(names.contains(n.get("node").asText()), n + " names a node of " + model);
            assertTrue(n.get("op").isTextual() && n.get("inputShape").isArray(), n.toString());
            ternary |= n.path("kernel").asText().equals("TernaryConv") && n.get("op").asText().equals("Conv");
            double share = n.get("share").asDouble();
            assertTrue(share <= last, "slowest first: " + r.out());
            last = share;
            sum += share;
        }
        assertTrue(ternary, "the packed convs run their ternary kernel: " + r.out());
        assertEquals(1.0, sum, 1e-9);
        CliRun text = CliRun.of("run", model.toString(), "--packed", packed.toString(), "--data", "random:4:3", "--profile");
        assertEquals(0, text.exitCode(), text.err());
        assertTrue(text.out().contains("profile: ") && text.out().lines().filter(l -> l.matches(" +[0-9.]+ %  +[0-9.]+ ms  .*")).count() >= 3, text.out());
    }

    /** A mixed file (ternary layers plus INT8/FP16 kept ones, from --budget) runs in the runtime as the written model runs in ONNX Runtime. */
    @Test
    void mixedPrecisionFileRunsLikeOnnxRuntime() throws Exception {
        Path mixed = dir.resolve("mixed.onnx"), mixedPacked = dir.resolve("mixed.packed.safetensors");
        CliRun q = CliRun.of("quantize", TaskCommandsTest.LENET.toString(), "-o", mixed.toString(), "--method", "tnt", "--grouping", "row",
                "--calibrate", "fashion-mnist:256", "--budget", "2.6", "--packed", mixedPacked.toString());
        assertEquals(0, q.exitCode(), q.err());
        assertTrue(q.out().contains("kept at INT8 by mixed precision") || q.out().contains("kept at FP16 by mixed precision"), q.out());
        CliRun r = CliRun.of("run", mixed.toString(), "--packed", mixedPacked.toString(), "--data", "random:8:3", "--exact", "--compare-ort", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("kept").get("weights").asInt() > 0, r.out());
        assertEquals(1.0, j.get("ort").get("agreement").asDouble());
        assertTrue(j.get("ort").get("maxAbsOutputDiff").asDouble() < 1e-3, r.out());
    }

    @Test
    void packedWeightsOfAnotherModelAreRefusedNamingBothFiles() {
        Path otherPacked = dir.resolve("vgg.packed.safetensors");
        CliRun q = CliRun.of("quantize", TaskCommandsTest.LENET.resolveSibling("vgg-fmnist.onnx").toString(), "-o", dir.resolve("vgg.onnx").toString(),
                "--method", "tnt", "--grouping", "row", "--packed", otherPacked.toString());
        assertEquals(0, q.exitCode(), q.err());
        CliRun r = CliRun.of("run", model.toString(), "--packed", otherPacked.toString(), "--data", "random:2");
        assertEquals(1, r.exitCode(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("ternary4j: " + model + ": ") && r.err().contains("packed weights from " + otherPacked), r.err());
    }

    @Test
    void anEmptyDataSetIsRefusedByName() throws Exception {
        Path empty = dir.resolve("empty.npy");
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1, 28, 28), }";
        header += " ".repeat(118 - header.length()) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length()).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        Files.write(empty, b.array());
        CliRun r = CliRun.of("run", model.toString(), "--packed", packed.toString(), "--data", empty.toString());
        assertEquals(Errors.BAD_INPUT, r.exitCode(), r.err());
        assertEquals("ternary4j: " + empty + ": no examples\n", r.err());
        assertEquals("", r.out());
    }

    /** features float [N, 16] and mask int64 [N, 16] (BERT-style): y = (features · mask) W, W [16, 8] random and ternarized. */
    private static Path[] quantizedTwoInputModel() throws Exception {
        Path f = dir.resolve("two.fp32.onnx");
        Random rnd = new Random(5);
        TensorProto.Builder w = TensorProto.newBuilder().setName("W").setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(16).addDims(8);
        for (int i = 0; i < 16 * 8; i++) w.addFloatData((float) rnd.nextGaussian());
        GraphProto g = GraphProto.newBuilder().setName("two")
                .addInput(value("features", TensorProto.DataType.FLOAT_VALUE, "N", 16)).addInput(value("mask", TensorProto.DataType.INT64_VALUE, "N", 16))
                .addInitializer(w)
                .addNode(NodeProto.newBuilder().setOpType("Cast").addInput("mask").addOutput("m")
                        .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT).setI(TensorProto.DataType.FLOAT_VALUE)))
                .addNode(NodeProto.newBuilder().setOpType("Mul").addInput("features").addInput("m").addOutput("xm"))
                .addNode(NodeProto.newBuilder().setOpType("MatMul").addInput("xm").addInput("W").addOutput("y"))
                .addOutput(value("y", TensorProto.DataType.FLOAT_VALUE, "N", 8)).build();
        Files.write(f, ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(g).build().toByteArray());
        Path[] out = {dir.resolve("two.onnx"), dir.resolve("two.packed.safetensors")};
        CliRun q = CliRun.of("quantize", f.toString(), "-o", out[0].toString(), "--method", "tnt", "--grouping", "row", "--packed", out[1].toString());
        assertEquals(0, q.exitCode(), q.err());
        return out;
    }

    private static ValueInfoProto value(String name, int type, String... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (String d : dims) {
            shape.addDim(d.chars().allMatch(Character::isDigit) ? TensorShapeProto.Dimension.newBuilder().setDimValue(Long.parseLong(d))
                    : TensorShapeProto.Dimension.newBuilder().setDimParam(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape))).build();
    }

    private static ValueInfoProto value(String name, int type, String batch, int n) {
        return value(name, type, batch, Integer.toString(n));
    }

    @Test
    void anNpzFeedsEveryInputByName() throws Exception {
        Path[] m = quantizedTwoInputModel();
        Random rnd = new Random(6);
        int n = 5;
        float[] x = new float[n * 16];
        long[] mask = new long[n * 16];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
            mask[i] = i % 16 < 10 + i / 16 ? 1 : 0;
        }
        Path npz = dir.resolve("two.npz");
        NpzWriter.write(npz, List.of(new NpzWriter.Longs("mask", new int[] {n, 16}, mask), new NpzWriter.Floats("features", new NdArray(new int[] {n, 16}, x))));
        CliRun r = CliRun.of("run", m[0].toString(), "--packed", m[1].toString(), "--data", npz.toString(), "--exact", "--compare-ort", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(n, j.get("n").asInt());
        assertEquals(1.0, j.get("ort").get("agreement").asDouble(), r.out());
        assertTrue(j.get("ort").get("maxAbsOutputDiff").asDouble() < 1e-4, r.out());

        Path onlyX = dir.resolve("only-features.npz");
        NpzWriter.write(onlyX, List.of(new NpzWriter.Floats("features", new NdArray(new int[] {n, 16}, x))));
        CliRun bad = CliRun.of("run", m[0].toString(), "--packed", m[1].toString(), "--data", onlyX.toString());
        assertEquals(Errors.BAD_INPUT, bad.exitCode(), bad.err());
        assertEquals("ternary4j: " + onlyX + ": no array for model input 'mask' (arrays: [features])\n", bad.err());
    }

    /** A 17×17 conv over an image of symbolic height and width: random inputs need a side the model accepts (eval's 16 is too small). */
    @Test
    void randomInputsTakeSymbolicSizesTheModelAccepts() throws Exception {
        Path f = dir.resolve("big-kernel.fp32.onnx");
        Random rnd = new Random(8);
        TensorProto.Builder w = TensorProto.newBuilder().setName("K").setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(4).addDims(1).addDims(17).addDims(17);
        for (int i = 0; i < 4 * 17 * 17; i++) w.addFloatData((float) rnd.nextGaussian());
        GraphProto g = GraphProto.newBuilder().setName("big")
                .addInput(value("x", TensorProto.DataType.FLOAT_VALUE, "N", "1", "H", "W")).addInitializer(w)
                .addNode(NodeProto.newBuilder().setOpType("Conv").addInput("x").addInput("K").addOutput("c"))
                .addNode(NodeProto.newBuilder().setOpType("ReduceMean").addInput("c").addOutput("y")
                        .addAttribute(AttributeProto.newBuilder().setName("axes").setType(AttributeProto.AttributeType.INTS).addInts(2).addInts(3))
                        .addAttribute(AttributeProto.newBuilder().setName("keepdims").setType(AttributeProto.AttributeType.INT).setI(0)))
                .addOutput(value("y", TensorProto.DataType.FLOAT_VALUE, "N", 4)).build();
        Files.write(f, ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(g).build().toByteArray());
        Path q = dir.resolve("big-kernel.onnx"), p = dir.resolve("big-kernel.packed.safetensors");
        CliRun qr = CliRun.of("quantize", f.toString(), "-o", q.toString(), "--method", "tnt", "--grouping", "row", "--packed", p.toString());
        assertEquals(0, qr.exitCode(), qr.err());
        for (String[] dims : new String[][] {{}, {"--dim", "H=17", "--dim", "W=20"}}) {
            List<String> args = new java.util.ArrayList<>(List.of("run", q.toString(), "--packed", p.toString(), "--data", "random:3", "--exact", "--compare-ort", "--json"));
            args.addAll(List.of(dims));
            CliRun r = CliRun.of(args.toArray(String[]::new));
            assertEquals(0, r.exitCode(), r.err());
            JsonNode j = new ObjectMapper().readTree(r.out());
            assertEquals(3, j.get("n").asInt());
            assertTrue(j.get("ort").get("maxAbsOutputDiff").asDouble() < 1e-3, r.out());
        }
        CliRun small = CliRun.of("run", q.toString(), "--packed", p.toString(), "--data", "random:3", "--dim", "H=16");
        assertEquals(Errors.BAD_INPUT, small.exitCode(), small.err());
        // a name no input has (ONNX Runtime would ignore it): refused by run and by eval, naming the model and its symbolic dimensions
        String unknown = q + ": no input has a symbolic dimension named 'Hight' (the inputs' symbolic dimensions: N, H, W)";
        CliRun misspelt = CliRun.of("run", q.toString(), "--packed", p.toString(), "--data", "random:3", "--dim", "Hight=17");
        assertEquals("ternary4j: " + unknown, misspelt.err().strip());
        CliRun eval = CliRun.of("eval", q.toString(), "--data", "random:3", "--dim", "Hight=17");
        assertEquals("ternary4j: " + unknown, eval.err().strip());
        assertTrue(misspelt.exitCode() != 0 && eval.exitCode() != 0);
    }
}
