package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.ptq.calibrate.CalibratedTernarizerTest.node;
import static org.ternary4j.ptq.calibrate.CalibratedTernarizerTest.tensor;
import static org.ternary4j.ptq.calibrate.CalibratedTernarizerTest.value;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
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
import org.ternary4j.core.projection.Tnt;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpyWriter;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.onnx.OnnxTernarizer;

class EquivalentScalingTest {
    @TempDir
    Path dir;

    private static final int K = 16, N = 200;

    /**
     * x [N, 16] → MatMul Wa [16, 8] (a), MatMul Wb [16, 5] + Bb → Relu → MatMul Wc [5, 3] (y), and
     * Relu(x) (skip): x feeds two layers and one other node, which must keep reading x unscaled.
     */
    private Path network() throws IOException {
        Random rnd = new Random(7);
        GraphProto g = GraphProto.newBuilder().setName("scaled")
                .addInput(value("x", "N", K))
                .addInitializer(inverseToInputs("Wa", rnd, 8)).addInitializer(inverseToInputs("Wb", rnd, 5)).addInitializer(tensor("Bb", rnd, 5))
                .addInitializer(tensor("Wc", rnd, 5, 3))
                .addNode(node("MatMul", List.of("x", "Wa"), "a"))
                .addNode(node("MatMul", List.of("x", "Wb"), "m"))
                .addNode(node("Add", List.of("m", "Bb"), "b"))
                .addNode(node("Relu", List.of("b"), "r"))
                .addNode(node("MatMul", List.of("r", "Wc"), "y"))
                .addNode(node("Relu", List.of("x"), "skip"))
                .addOutput(value("a", "N", 8)).addOutput(value("y", "N", 3)).addOutput(value("skip", "N", K))
                .build();
        return Files.write(dir.resolve("net.onnx"), ModelProto.newBuilder().setIrVersion(8).setProducerName("ternary4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build().toByteArray());
    }

    /** Scale of input channel j: a few outlier channels, as LayerNorm outputs of transformers have. */
    private static double channelScale(int j) {
        return j % 4 == 0 ? 6 : 0.1 + j * 0.01;
    }

    /**
     * A [16, out] weight whose rows are small where the inputs are large (trained layers after a
     * LayerNorm look so: every input contributes alike), which a ternary grid per output row cannot
     * represent unless the inputs are rescaled.
     */
    private static ai.onnx.proto.OnnxMl.TensorProto inverseToInputs(String name, Random rnd, int out) {
        var t = ai.onnx.proto.OnnxMl.TensorProto.newBuilder().setName(name).setDataType(ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE)
                .addDims(K).addDims(out);
        for (int j = 0; j < K; j++) for (int o = 0; o < out; o++) t.addFloatData((float) (rnd.nextGaussian() / channelScale(j)));
        return t.build();
    }

    /** Inputs whose channels differ in size by up to 60×, as LayerNorm outputs with outlier channels do. */
    private CalibrationInputs data() throws IOException {
        Random rnd = new Random(3);
        float[] v = new float[N * K];
        for (int i = 0; i < N; i++) for (int j = 0; j < K; j++) v[i * K + j] = (float) (rnd.nextGaussian() * channelScale(j));
        Path f = dir.resolve("x.npy");
        NpyWriter.writeFloats(f, new NdArray(new int[] {N, K}, v));
        return CalibrationInputs.load(f.toString());
    }

    private static OnnxOptions options() {
        return OnnxOptions.of(new Tnt(false), new Grouping.Row()).withAllLayers(true).withThreads(1);
    }

    @Test
    void scaledModelComputesTheSameOutputsInOnnxRuntime() throws IOException {
        Path net = network();
        CalibrationInputs x = data();
        try (OnnxModel m = OnnxModel.read(net)) {
            var o = new EquivalentScaling(net.toString(), new Tnt(false), new Grouping.Row()).apply(m, OnnxTernarizer.plan(net, options()), x);
            // x (outlier channels) is scaled for both its layers; r's uniform channels gain nothing.
            List<String> muls = o.model().graph().nodes().stream().filter(n -> n.opType().equals("Mul")).map(n -> n.inputs().get(0)).toList();
            assertEquals(List.of("x"), muls, o.notes().toString());
            String scaledX = o.model().graph().nodes().stream().filter(n -> n.opType().equals("Mul")).findFirst().orElseThrow().outputs().get(0);
            assertEquals(2, o.model().graph().nodes().stream().filter(n -> n.opType().equals("MatMul") && n.inputs().get(0).equals(scaledX)).count());
            Path scaled = Files.write(dir.resolve("scaled.onnx"), o.model().toBytes());
            Map<String, float[]> before = outputs(net, x), after = outputs(scaled, x);
            for (String name : before.keySet()) {
                float[] b = before.get(name), a = after.get(name);
                for (int i = 0; i < b.length; i++) assertEquals(b[i], a[i], 1e-4 * Math.max(1, Math.abs(b[i])), name + "[" + i + "]");
            }
            try (OnnxModel s = OnnxModel.read(scaled)) {
                assertTrue(s.graph().nodes().stream().anyMatch(n -> n.opType().equals("Relu") && n.inputs().equals(List.of("x"))), "skip still reads x");
            }
        }
    }

    /** On inputs with outlier channels, the scaled model's ternary layer is closer to full precision than the unscaled one's. */
    @Test
    void scalingLowersTheTernaryLayersOutputError() throws IOException {
        Path net = network();
        CalibrationInputs x = data();
        Map<String, float[]> fp = outputs(net, x);
        List<Double> errors = new ArrayList<>();
        for (String steps : List.of("weighted,refit", "weighted,refit,scale")) {
            Path out = dir.resolve(steps.replace(',', '_') + ".onnx");
            CalibratedTernarizer.run(net, out, options(), x, Steps.parse(steps), r -> { }, c -> { });
            float[] a = outputs(out, x).get("a"), ref = fp.get("a");
            double e = 0;
            for (int i = 0; i < a.length; i++) e += (a[i] - ref[i]) * (double) (a[i] - ref[i]);
            errors.add(e);
        }
        assertTrue(errors.get(1) < 0.8 * errors.get(0), "squared error of a: unscaled " + errors.get(0) + ", scaled " + errors.get(1));
    }

    @Test
    void factorsAreOneAtAlphaZeroAndFollowTheRmsAtAlphaOne() {
        double[] rms = {1, 4, 0.25, 0};
        double[] one = EquivalentScaling.factors(rms, 0);
        for (double f : one) assertEquals(1, f, 1e-12);
        double[] s = EquivalentScaling.factors(rms, 1);
        // √(max·min) with the dead channel floored at 1e-4 of the largest: √(4 · 4e-4) = 0.04.
        assertEquals(1 / 0.04, s[0], 1e-9);
        assertEquals(4 / 0.04, s[1], 1e-9);
        assertEquals(0.25 / 0.04, s[2], 1e-9);
        assertEquals(4e-4 / 0.04, s[3], 1e-12);
    }

    private static Map<String, float[]> outputs(Path model, CalibrationInputs data) throws IOException {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        try (OnnxModel m = OnnxModel.read(model); IntermediateRunner r = IntermediateRunner.open(m.toBytes(), "test")) {
            r.run(data.inputs(), Set.of("a", "y", "skip"), batch -> batch.forEach((name, t) -> {
                float[] prev = out.getOrDefault(name, new float[0]);
                float[] all = java.util.Arrays.copyOf(prev, prev.length + t.values().length);
                System.arraycopy(t.values(), 0, all, prev.length, t.values().length);
                out.put(name, all);
            }));
        }
        return out;
    }
}
