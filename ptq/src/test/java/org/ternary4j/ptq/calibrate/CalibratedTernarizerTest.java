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

    private static ValueInfoProto value(String name, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof String s) shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(s));
            else shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }

    private static TensorProto tensor(String name, Random rnd, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        long n = 1;
        for (long d : dims) {
            t.addDims(d);
            n *= d;
        }
        for (int i = 0; i < n; i++) t.addFloatData((float) (rnd.nextGaussian() * 0.5));
        return t.build();
    }

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    private static NodeProto node(String op, List<String> in, String out, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(op + "_" + out).addOutput(out).addAllInput(in);
        for (AttributeProto a : attrs) n.addAttribute(a);
        return n.build();
    }
}
