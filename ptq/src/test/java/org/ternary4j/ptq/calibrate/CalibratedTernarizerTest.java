package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.TwoScale;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpyWriter;
import org.ternary4j.formats.data.NpzWriter;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.onnx.OnnxTernarizer;

/** Calibrated ternarization of a small Conv → Gemm → Gemm network, run in ONNX Runtime. */
class CalibratedTernarizerTest {
    @TempDir
    Path dir;

    /** x [N,1,4,4] → Conv 3@3×3 pad 1 (c1) → Relu → Flatten → Gemm 48→6 transB=1 (g2) → Relu → Gemm 6→4 transB=0 (y). */
    static Path network(Path file) throws IOException {
        Random rnd = new Random(42);
        GraphProto g = GraphProto.newBuilder().setName("net")
                .addInput(value("x", "N", 1, 4, 4))
                .addInitializer(tensor("W1", rnd, 3, 1, 3, 3)).addInitializer(tensor("B1", rnd, 3))
                .addInitializer(tensor("W2", rnd, 6, 48)).addInitializer(tensor("B2", rnd, 6))
                .addInitializer(tensor("W3", rnd, 6, 4)).addInitializer(tensor("B3", rnd, 4))
                .addNode(node("Conv", List.of("x", "W1", "B1"), "c1", ints("pads", 1, 1, 1, 1), ints("kernel_shape", 3, 3)))
                .addNode(node("Relu", List.of("c1"), "r1"))
                .addNode(node("Flatten", List.of("r1"), "f1"))
                .addNode(node("Gemm", List.of("f1", "W2", "B2"), "g2", AttributeProto.newBuilder().setName("transB").setType(AttributeProto.AttributeType.INT).setI(1).build()))
                .addNode(node("Relu", List.of("g2"), "r2"))
                .addNode(node("Gemm", List.of("r2", "W3", "B3"), "y"))
                .addOutput(value("y", "N", 4))
                .build();
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("ternary4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build();
        return Files.write(file, m.toByteArray());
    }

    static Path calibrationFile(Path file, int n) throws IOException {
        Random rnd = new Random(1);
        float[] v = new float[n * 16];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextFloat();
        NpyWriter.writeFloats(file, new NdArray(new int[] {n, 1, 4, 4}, v));
        return file;
    }

    private static OnnxOptions allLayers(int threads) {
        return OnnxOptions.of(new TwoScale(), new Grouping.Row()).withAllLayers(true).withThreads(threads);
    }

    @Test
    void biasCorrectionMakesEveryLayersMeanOutputErrorZeroOnTheCalibrationSet() throws IOException {
        Path model = network(dir.resolve("net.onnx"));
        CalibrationInputs data = CalibrationInputs.load(calibrationFile(dir.resolve("calib.npy"), 64).toString());
        Path out = dir.resolve("out.onnx");
        CalibratedTernarizer.run(model, out, allLayers(1), data, Steps.ALL, r -> { }, c -> { });
        Map<String, double[]> fp = means(model, data);
        Map<String, double[]> tern = means(out, data);
        for (String name : List.of("c1", "g2", "y")) {
            double[] a = fp.get(name), b = tern.get(name);
            for (int c = 0; c < a.length; c++) assertEquals(a[c], b[c], 1e-4 * Math.max(1, Math.abs(a[c])), name + " channel " + c);
        }
        // And the weights really are ternary with the row's two scales.
        Map<String, double[]> uncorrected = means(plain(model, dir.resolve("plain.onnx")), data);
        assertFalse(java.util.Arrays.equals(uncorrected.get("y"), fp.get("y")), "without correction the means differ (the test would be vacuous)");
    }

    @Test
    void sameBytesTwiceAndWithTwoThreads() throws IOException {
        Path model = network(dir.resolve("net.onnx"));
        CalibrationInputs data = CalibrationInputs.load(calibrationFile(dir.resolve("calib.npy"), 40).toString());
        Path a = dir.resolve("a.onnx"), b = dir.resolve("b.onnx"), c = dir.resolve("c.onnx");
        CalibratedTernarizer.run(model, a, allLayers(1), data, Steps.ALL, r -> { }, x -> { });
        CalibratedTernarizer.run(model, b, allLayers(1), data, Steps.ALL, r -> { }, x -> { });
        CalibratedTernarizer.run(model, c, allLayers(2), data, Steps.ALL, r -> { }, x -> { });
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(c));
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"row", "tensor", "kernel"})
    void noStepsGivesExactlyThePlainTernarizersModel(String grouping) throws IOException {
        Path model = network(dir.resolve("net.onnx"));
        CalibrationInputs data = CalibrationInputs.load(calibrationFile(dir.resolve("calib.npy"), 16).toString());
        Path cal = dir.resolve("cal.onnx"), plain = dir.resolve("plain.onnx");
        OnnxOptions options = allLayers(1).withMethod(new TwoScale(), Grouping.parse(grouping));
        var outcome = CalibratedTernarizer.run(model, cal, options, data, Steps.NONE, r -> { }, x -> { });
        assertEquals(3, outcome.calibration().layers().size());
        OnnxTernarizer.run(model, plain, options);
        assertArrayEquals(Files.readAllBytes(plain), Files.readAllBytes(cal));
    }

    @Test
    void calibrationLowersEveryLayersOutputError() throws IOException {
        Path model = network(dir.resolve("net.onnx"));
        CalibrationInputs data = CalibrationInputs.load(calibrationFile(dir.resolve("calib.npy"), 64).toString());
        var outcome = CalibratedTernarizer.run(model, dir.resolve("o.onnx"), allLayers(1), data, Steps.ALL, r -> { }, x -> { });
        for (Calibrator.LayerReport l : outcome.calibration().layers()) {
            assertTrue(l.calibratedError() <= l.plainError(), l.toString());
            assertTrue(l.biasCorrected());
        }
    }

    /** x [N,3,4,4] → depthwise Conv 3@3×3 group 3 pad 1 (d1) → Relu → Conv 4@1×1 (y). */
    static Path depthwise(Path file) throws IOException {
        Random rnd = new Random(7);
        GraphProto g = GraphProto.newBuilder().setName("dw")
                .addInput(value("x", "N", 3, 4, 4))
                .addInitializer(tensor("W1", rnd, 3, 1, 3, 3)).addInitializer(tensor("B1", rnd, 3))
                .addInitializer(tensor("W2", rnd, 4, 3, 1, 1)).addInitializer(tensor("B2", rnd, 4))
                .addNode(node("Conv", List.of("x", "W1", "B1"), "d1", ints("pads", 1, 1, 1, 1), ints("kernel_shape", 3, 3),
                        AttributeProto.newBuilder().setName("group").setType(AttributeProto.AttributeType.INT).setI(3).build()))
                .addNode(node("Relu", List.of("d1"), "r1"))
                .addNode(node("Conv", List.of("r1", "W2", "B2"), "y"))
                .addOutput(value("y", "N", 4, 4, 4))
                .build();
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("ternary4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build();
        return Files.write(file, m.toByteArray());
    }

    @Test
    void depthwiseConvolutionsAreCalibratedOneGroupAtATime() throws IOException {
        Path model = depthwise(dir.resolve("dw.onnx"));
        Random rnd = new Random(3);
        float[] v = new float[48 * 48];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextFloat();
        NpyWriter.writeFloats(dir.resolve("x.npy"), new NdArray(new int[] {48, 3, 4, 4}, v));
        CalibrationInputs data = CalibrationInputs.load(dir.resolve("x.npy").toString());
        OnnxOptions options = OnnxOptions.of(new TwoScale(), new Grouping.Row()).withAllLayers(true);
        // Without steps the per-group solutions reassemble into exactly the plain ternarizer's weights.
        Path cal = dir.resolve("none.onnx"), plain = dir.resolve("plain.onnx");
        CalibratedTernarizer.run(model, cal, options, data, Steps.NONE, r -> { }, x -> { });
        OnnxTernarizer.run(model, plain, options);
        assertArrayEquals(Files.readAllBytes(plain), Files.readAllBytes(cal));
        // With them the depthwise layer is calibrated (not skipped) and its output error does not grow.
        var outcome = CalibratedTernarizer.run(model, dir.resolve("all.onnx"), options, data, Steps.ALL, r -> { }, x -> { });
        Calibrator.LayerReport d1 = outcome.calibration().layers().stream().filter(l -> l.weight().equals("W1")).findFirst().orElseThrow();
        assertEquals(9, d1.inputs(), "one input channel's 3×3 patch per group");
        assertTrue(d1.calibratedError() <= d1.plainError() && d1.biasCorrected(), d1.toString());
    }

    /**
     * Transformer layers: MatMul weights stored [in, out] on activations of rank 3 (tokens) and 4,
     * every leading dimension a row (rows of padded tokens left out). With bias correction the mean
     * of each corrected output channel over the rows counted equals full precision's, as ONNX
     * Runtime computes both.
     */
    @Test
    void matMulsOnThreeAndFourDimensionalActivationsAreCalibratedOverEveryRow() throws IOException {
        Path tokens = IntermediateRunnerTest.tokenModel(dir.resolve("tokens.onnx"));
        CalibrationInputs ids = CalibrationInputs.load(IntermediateRunnerTest.tokens(dir.resolve("ids.npz"), 48).toString());
        Path out = dir.resolve("tokens-cal.onnx");
        var outcome = CalibratedTernarizer.run(tokens, out, allLayers(1), ids, Steps.ALL, r -> { }, c -> { });
        assertEquals(List.of("W1", "W2"), outcome.calibration().layers().stream().map(Calibrator.LayerReport::weight).toList());
        TokenMask mask = TokenMask.of(ids.inputs());
        assertTrue(mask.realCount() < 48L * IntermediateRunnerTest.SEQ, "the examples have padding");
        for (Calibrator.LayerReport l : outcome.calibration().layers()) assertEquals(mask.realCount(), l.samples(), l.toString());
        assertTrue(outcome.calibration().layers().get(0).biasCorrected());
        assertMeansEqual(channelMeans(tokens, ids, "b1", mask), channelMeans(out, ids, "b1", mask));

        // x [N, 2, 3, 4] → MatMul W [4, 5] → Add B (y): channels are the last axis, not axis 1 as for a conv.
        Random rnd = new Random(9);
        GraphProto g = GraphProto.newBuilder().setName("rank4")
                .addInput(value("x", "N", 2, 3, 4))
                .addInitializer(tensor("W", rnd, 4, 5)).addInitializer(tensor("B", rnd, 5))
                .addNode(node("MatMul", List.of("x", "W"), "a"))
                .addNode(node("Add", List.of("a", "B"), "y"))
                .addOutput(value("y", "N", 2, 3, 5))
                .build();
        Path rank4 = Files.write(dir.resolve("rank4.onnx"), ModelProto.newBuilder().setIrVersion(8).setProducerName("ternary4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build().toByteArray());
        float[] v = new float[40 * 24];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextFloat() + (i % 4); // unequal channel means
        NpyWriter.writeFloats(dir.resolve("x4.npy"), new NdArray(new int[] {40, 2, 3, 4}, v));
        CalibrationInputs x = CalibrationInputs.load(dir.resolve("x4.npy").toString());
        Path out4 = dir.resolve("rank4-cal.onnx");
        var o4 = CalibratedTernarizer.run(rank4, out4, allLayers(1), x, Steps.ALL, r -> { }, c -> { });
        assertEquals(40L * 6, o4.calibration().layers().get(0).samples());
        assertMeansEqual(channelMeans(rank4, x, "y", null), channelMeans(out4, x, "y", null));
        assertFalse(java.util.Arrays.equals(channelMeans(rank4, x, "y", null), channelMeans(plain(rank4, dir.resolve("p4.onnx")), x, "y", null)),
                "without correction the means differ (the test would be vacuous)");
    }

    /** Whether row {@code row} of the whole calibration set (example·tokens + position) is a real token. */
    private static boolean keeps(TokenMask mask, long row) {
        return mask.keeps((int) (row / mask.tokens()), row % mask.tokens());
    }

    /** Mean of each channel (last axis) over the rows, those of padded tokens left out when {@code mask} is given. */
    private static double[] channelMeans(Path model, CalibrationInputs data, String output, TokenMask mask) throws IOException {
        double[][] acc = new double[1][];
        long[] rows = new long[2]; // rows seen, rows counted
        try (OnnxModel m = OnnxModel.read(model); IntermediateRunner r = IntermediateRunner.open(m.withOutputs(List.of(output)).toBytes(), "test")) {
            r.run(data.inputs(), Set.of(output), batch -> {
                IntermediateRunner.Tensor t = batch.get(output);
                int c = (int) t.shape()[t.shape().length - 1];
                if (acc[0] == null) acc[0] = new double[c];
                for (int i = 0; i < t.values().length; i++) {
                    if (mask == null || keeps(mask, rows[0] + i / c)) acc[0][i % c] += t.values()[i];
                }
                for (long row = rows[0]; row < rows[0] + t.values().length / c; row++) if (mask == null || keeps(mask, row)) rows[1]++;
                rows[0] += t.values().length / c;
            });
        }
        for (int i = 0; i < acc[0].length; i++) acc[0][i] /= rows[1];
        return acc[0];
    }

    /**
     * Rows of padded tokens never reach the statistics: the same texts padded with other token ids
     * (whose rows the model computes, unmasked, into every layer's input) calibrate to the same
     * weights and biases, and have the same sensitivities under a budget.
     */
    @Test
    void paddedTokensDoNotChangeTheCalibration() throws IOException {
        int seq = IntermediateRunnerTest.SEQ, n = 40;
        Random rnd = new Random(21);
        GraphProto g = GraphProto.newBuilder().setName("unmasked")
                .addInput(IntermediateRunnerTest.value("input_ids", TensorProto.DataType.INT64_VALUE, "N", seq))
                .addInput(IntermediateRunnerTest.value("attention_mask", TensorProto.DataType.INT64_VALUE, "N", seq))
                .addInitializer(tensor("E", rnd, IntermediateRunnerTest.VOCAB, 4)).addInitializer(tensor("W1", rnd, 4, 6))
                .addInitializer(tensor("B1", rnd, 6)).addInitializer(tensor("W2", rnd, 6, 3))
                .addNode(node("Gather", List.of("E", "input_ids"), "h"))
                .addNode(node("MatMul", List.of("h", "W1"), "a1"))
                .addNode(node("Add", List.of("a1", "B1"), "b1"))
                .addNode(node("Relu", List.of("b1"), "r1"))
                .addNode(node("MatMul", List.of("r1", "W2"), "y"))
                .addOutput(IntermediateRunnerTest.value("y", TensorProto.DataType.FLOAT_VALUE, "N", seq, 3))
                .build();
        Path model = Files.write(dir.resolve("unmasked.onnx"), ModelProto.newBuilder().setIrVersion(8).setProducerName("ternary4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build().toByteArray());
        long[] ids = new long[n * seq], other = new long[n * seq], mask = new long[n * seq];
        for (int i = 0; i < n; i++) {
            int length = 1 + rnd.nextInt(seq);
            for (int t = 0; t < seq; t++) {
                boolean real = t < length;
                ids[i * seq + t] = real ? rnd.nextInt(IntermediateRunnerTest.VOCAB) : 0;
                other[i * seq + t] = real ? ids[i * seq + t] : 1 + rnd.nextInt(IntermediateRunnerTest.VOCAB - 1);
                mask[i * seq + t] = real ? 1 : 0;
            }
        }
        List<float[]> results = new ArrayList<>();
        List<Map<String, Double>> sensitivities = new ArrayList<>();
        for (long[] v : List.of(ids, other)) {
            Path npz = dir.resolve("pad" + results.size() + ".npz"), out = dir.resolve("pad" + results.size() + ".onnx");
            NpzWriter.write(npz, List.of(new NpzWriter.Longs("input_ids", new int[] {n, seq}, v), new NpzWriter.Longs("attention_mask", new int[] {n, seq}, mask)));
            CalibratedTernarizer.run(model, out, allLayers(1), CalibrationInputs.load(npz.toString()), Steps.ALL, r -> { }, c -> { });
            // Under a budget, the layers' sensitivities (the model's output error) leave the padded rows out too.
            var budgeted = CalibratedTernarizer.run(model, dir.resolve("budget.onnx"), allLayers(1).withEmbeddings(true), CalibrationInputs.load(npz.toString()),
                    Steps.ALL, 2.5, r -> { }, c -> { });
            Map<String, Double> s = new java.util.TreeMap<>();
            budgeted.calibration().budget().decisions().forEach((w, d) -> s.put(w, d.sensitivity()));
            sensitivities.add(s);
            try (OnnxModel m = OnnxModel.read(out)) {
                var init = m.graph().initializers();
                float[] w1 = init.get("W1").floats(), b1 = init.get("B1").floats(), w2 = init.get("W2").floats();
                float[] all = java.util.Arrays.copyOf(w1, w1.length + b1.length + w2.length);
                System.arraycopy(b1, 0, all, w1.length, b1.length);
                System.arraycopy(w2, 0, all, w1.length + b1.length, w2.length);
                results.add(all);
            }
        }
        assertArrayEquals(results.get(0), results.get(1));
        assertEquals(Set.of("E", "W1", "W2"), sensitivities.get(0).keySet());
        assertEquals(sensitivities.get(0), sensitivities.get(1));
    }

    private static void assertMeansEqual(double[] fp, double[] calibrated) {
        for (int c = 0; c < fp.length; c++) assertEquals(fp[c], calibrated[c], 1e-4 * Math.max(1, Math.abs(fp[c])), "channel " + c);
    }

    private static Path plain(Path model, Path out) throws IOException {
        OnnxTernarizer.run(model, out, allLayers(1));
        return out;
    }

    /** Mean over examples (and positions) of c1, g2 and y per channel. */
    private static Map<String, double[]> means(Path model, CalibrationInputs data) throws IOException {
        Map<String, double[]> sums = new java.util.LinkedHashMap<>();
        try (OnnxModel m = OnnxModel.read(model); IntermediateRunner r = IntermediateRunner.open(m.withOutputs(List.of("c1", "g2", "y")).toBytes(), "test")) {
            r.run(data.inputs(), Set.of("c1", "g2", "y"), batch -> {
                for (var e : batch.entrySet()) {
                    long[] s = e.getValue().shape();
                    int c = (int) s[1], inner = s.length == 4 ? (int) (s[2] * s[3]) : 1;
                    double[] acc = sums.computeIfAbsent(e.getKey(), k -> new double[c]);
                    float[] v = e.getValue().values();
                    for (int i = 0; i < v.length; i++) acc[(i / inner) % c] += v[i] / (double) (data.inputs().count() * inner);
                }
            });
        }
        return sums;
    }

    static ValueInfoProto value(String name, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof String s) shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(s));
            else shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }

    static TensorProto tensor(String name, Random rnd, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        long n = 1;
        for (long d : dims) {
            t.addDims(d);
            n *= d;
        }
        for (int i = 0; i < n; i++) t.addFloatData((float) (rnd.nextGaussian() * 0.5));
        return t.build();
    }

    static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    static NodeProto node(String op, List<String> in, String out, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(op + "_" + out).addOutput(out).addAllInput(in);
        for (AttributeProto a : attrs) n.addAttribute(a);
        return n.build();
    }
}
