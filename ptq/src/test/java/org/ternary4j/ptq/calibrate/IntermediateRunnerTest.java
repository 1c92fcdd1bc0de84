package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.ptq.calibrate.CalibratedTernarizerTest.node;
import static org.ternary4j.ptq.calibrate.CalibratedTernarizerTest.tensor;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpzWriter;
import org.ternary4j.formats.onnx.OnnxModel;

/** Feeding calibration data to models with several inputs of their own element types. */
class IntermediateRunnerTest {
    static final int VOCAB = 10, SEQ = 5, HIDDEN = 4;

    @TempDir
    Path dir;

    /**
     * A transformer-shaped toy: input_ids, attention_mask int64 [N, 5] → Gather(E [10, 4]) × mask
     * (h, [N, 5, 4]) → MatMul W1 [4, 6] (stored [in, out]) → Add(B1, ·) (b1) → Relu → MatMul W2 [6, 3] (y).
     */
    static Path tokenModel(Path file) throws IOException {
        Random rnd = new Random(11);
        TensorProto axes = TensorProto.newBuilder().setName("axes").setDataType(TensorProto.DataType.INT64_VALUE).addDims(1).addInt64Data(-1).build();
        GraphProto g = GraphProto.newBuilder().setName("tokens")
                .addInput(value("input_ids", TensorProto.DataType.INT64_VALUE, "N", SEQ))
                .addInput(value("attention_mask", TensorProto.DataType.INT64_VALUE, "N", SEQ))
                .addInitializer(tensor("E", rnd, VOCAB, HIDDEN)).addInitializer(axes)
                .addInitializer(tensor("W1", rnd, HIDDEN, 6)).addInitializer(tensor("B1", rnd, 6))
                .addInitializer(tensor("W2", rnd, 6, 3))
                .addNode(node("Gather", List.of("E", "input_ids"), "emb"))
                .addNode(node("Cast", List.of("attention_mask"), "mf", AttributeProto.newBuilder().setName("to")
                        .setType(AttributeProto.AttributeType.INT).setI(TensorProto.DataType.FLOAT_VALUE).build()))
                .addNode(node("Unsqueeze", List.of("mf", "axes"), "m3"))
                .addNode(node("Mul", List.of("emb", "m3"), "h"))
                .addNode(node("MatMul", List.of("h", "W1"), "a1"))
                .addNode(node("Add", List.of("B1", "a1"), "b1"))
                .addNode(node("Relu", List.of("b1"), "r1"))
                .addNode(node("MatMul", List.of("r1", "W2"), "y"))
                .addOutput(value("y", TensorProto.DataType.FLOAT_VALUE, "N", SEQ, 3))
                .build();
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("ternary4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build();
        return Files.write(file, m.toByteArray());
    }

    /** Token ids and masks for {@link #tokenModel}: ids in [0, 10), each example's tail masked out. */
    static Path tokens(Path file, int n) throws IOException {
        Random rnd = new Random(5);
        long[] ids = new long[n * SEQ], mask = new long[n * SEQ];
        for (int i = 0; i < n; i++) {
            int length = 2 + rnd.nextInt(SEQ - 1);
            for (int t = 0; t < SEQ; t++) {
                ids[i * SEQ + t] = t < length ? rnd.nextInt(VOCAB) : 0;
                mask[i * SEQ + t] = t < length ? 1 : 0;
            }
        }
        NpzWriter.write(file, List.of(new NpzWriter.Longs("input_ids", new int[] {n, SEQ}, ids),
                new NpzWriter.Longs("attention_mask", new int[] {n, SEQ}, mask)));
        return file;
    }

    static ValueInfoProto value(String name, int type, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof String s) shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(s));
            else shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape))).build();
    }

    private List<IntermediateRunner.Tensor> fetch(Path model, CalibrationInputs data, String output) throws IOException {
        List<IntermediateRunner.Tensor> got = new ArrayList<>();
        try (OnnxModel m = OnnxModel.read(model); IntermediateRunner r = IntermediateRunner.open(m.withOutputs(List.of(output)).toBytes(), model.toString())) {
            r.run(data.inputs(), Set.of(output), batch -> got.add(batch.get(output)));
        }
        return got;
    }

    @Test
    void namedInt64ArraysFeedTheInputsOfTheirNames() throws IOException {
        Path model = tokenModel(dir.resolve("tokens.onnx"));
        int n = IntermediateRunner.BATCH + 3; // two batches
        CalibrationInputs data = CalibrationInputs.load(tokens(dir.resolve("calib.npz"), n).toString());
        float[] e;
        try (OnnxModel m = OnnxModel.read(model)) {
            e = m.graph().initializers().get("E").floats();
        }
        List<IntermediateRunner.Tensor> h = fetch(model, data, "h");
        assertEquals(2, h.size());
        NdArray ids = array(data, "input_ids"), mask = array(data, "attention_mask");
        int first = 0; // the batch's first example
        for (IntermediateRunner.Tensor t : h) {
            int rows = (int) t.shape()[0];
            assertEquals(List.of((long) rows, (long) SEQ, (long) HIDDEN), List.of(t.shape()[0], t.shape()[1], t.shape()[2]));
            for (int i = 0; i < rows * SEQ; i++) {
                int token = first * SEQ + i, id = (int) ids.data()[token];
                for (int j = 0; j < HIDDEN; j++) {
                    assertEquals(e[id * HIDDEN + j] * mask.data()[token], t.values()[i * HIDDEN + j], 0f, "token " + token);
                }
            }
            first += rows;
        }
        assertEquals(n, first);
    }

    private static NdArray array(CalibrationInputs data, String name) {
        return data.inputs().inputs().stream().filter(a -> name.equals(a.name())).findFirst().orElseThrow().array();
    }

    @Test
    void integersFeedAFloatInputAsTheSameValues() throws IOException {
        Path model = CalibratedTernarizerTest.network(dir.resolve("net.onnx"));
        Random rnd = new Random(2);
        long[] v = new long[3 * 16];
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = v[i] = rnd.nextInt(7) - 3;
        NpzWriter.write(dir.resolve("ints.npz"), List.of(new NpzWriter.Longs("x", new int[] {3, 1, 4, 4}, v)));
        NpzWriter.write(dir.resolve("floats.npz"), List.of(new NpzWriter.Floats("x", new NdArray(new int[] {3, 1, 4, 4}, f))));
        float[] fromInts = fetch(model, CalibrationInputs.load(dir.resolve("ints.npz").toString()), "y").get(0).values();
        float[] fromFloats = fetch(model, CalibrationInputs.load(dir.resolve("floats.npz").toString()), "y").get(0).values();
        assertTrue(java.util.Arrays.equals(fromFloats, fromInts));
    }

    /** Each bad calibration file gives one line that names the file and the array. */
    @Test
    void badArraysAreRefusedNamingTheFileAndTheArray() throws IOException {
        Path model = tokenModel(dir.resolve("tokens.onnx"));
        long[] ids = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0}, ones = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        int[] shape = {2, SEQ};
        List<Map.Entry<String, List<NpzWriter.Entry>>> cases = List.of(
                Map.entry("attention_mask", List.of(new NpzWriter.Longs("input_ids", shape, ids))),
                Map.entry("token_type_ids", List.of(new NpzWriter.Longs("input_ids", shape, ids), new NpzWriter.Longs("attention_mask", shape, ones),
                        new NpzWriter.Longs("token_type_ids", shape, ones))),
                Map.entry("input_ids", List.of(new NpzWriter.Floats("input_ids", new NdArray(shape, new float[] {1, 2.5f, 3, 4, 5, 6, 7, 8, 9, 0})),
                        new NpzWriter.Longs("attention_mask", shape, ones))),
                Map.entry("attention_mask", List.of(new NpzWriter.Longs("input_ids", shape, ids),
                        new NpzWriter.Longs("attention_mask", new int[] {2, SEQ - 1}, new long[2 * (SEQ - 1)]))));
        int k = 0;
        for (var c : cases) {
            Path f = dir.resolve("bad" + k++ + ".npz");
            NpzWriter.write(f, c.getValue());
            CalibrationInputs data = CalibrationInputs.load(f.toString());
            IOException e = assertThrows(IOException.class, () -> fetch(model, data, "y"), c.toString());
            String m = e.getMessage();
            assertTrue(m.startsWith(f + ":") && m.contains("'" + c.getKey() + "'") && m.lines().count() == 1, m);
        }
        // One unnamed array for a model with two inputs.
        Path x = dir.resolve("x.npz");
        NpzWriter.write(x, List.of(new NpzWriter.Longs("x", shape, ids)));
        String m = assertThrows(IOException.class, () -> fetch(model, CalibrationInputs.load(x.toString()), "y")).getMessage();
        assertTrue(m.startsWith(x + ":") && m.contains("'x'") && m.contains("'attention_mask'"), m);
    }
}
