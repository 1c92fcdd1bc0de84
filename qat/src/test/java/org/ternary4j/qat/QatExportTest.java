package org.ternary4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.grouping.Grouping;

/**
 * QAT from a float LeNet-5: every method's exported weights are truly ternary per group (at
 * most three distinct values), ONNX Runtime reproduces the trainer's logits and accuracy, and
 * a fixed seed reproduces the model byte for byte.
 */
class QatExportTest {
    @TempDir
    static Path dir;
    static Path fp;
    static FashionMnist.Split train, test;

    @BeforeAll
    static void floatModel() throws Exception {
        train = TestData.train(2048);
        test = TestData.test(300);
        TrainOptions o = TrainOptions.builder(Architecture.LENET5, Method.FP).epochs(2).build();
        fp = dir.resolve("fp.onnx");
        OnnxExport.write(Training.run(o, train, test, false, null).onnx(), fp);
    }

    @ParameterizedTest
    @EnumSource(value = Method.class, names = "FP", mode = EnumSource.Mode.EXCLUDE)
    void exportedWeightsAreTernaryPerGroupAndOnnxRuntimeAgrees(Method m) throws Exception {
        Training.Result r = Training.run(TrainOptions.builder(Architecture.LENET5, m).init(fp).trainLimit(512).build(), train, test, false, null);
        assertEquals(List.of("conv2", "fc1", "fc2"), r.ternaryLayers(), "first and last layer stay full precision");
        Grouping g = r.options().grouping();
        for (String layer : r.ternaryLayers()) {
            FloatTensor w = r.parameters().get(layer + ".weight");
            GroupLayout layout = g.layout(w.shape());
            Set<Float> all = new HashSet<>();
            for (int grp = 0; grp < layout.groupCount(); grp++) {
                Set<Float> values = new HashSet<>();
                for (int j = 0; j < layout.size(grp); j++) values.add(w.data()[layout.position(grp, j)] + 0f); // −0 → 0
                assertTrue(values.size() <= 3, m + " " + layer + " group " + grp + " has values " + values);
                all.addAll(values);
            }
            assertTrue(all.size() >= 2, m + " " + layer + " collapsed to " + all);
        }
        FloatTensor first = r.parameters().get("conv1.weight");
        assertTrue(distinct(first.data()) > 3, "conv1 stays float");

        byte[] onnx = r.onnx().toByteArray();
        float[] ort = OrtRunner.logits(onnx, test);
        double ortAcc = Accuracy.of(ort, test.labels());
        assertEquals(r.testAccuracy(), ortAcc, 1.0 / test.count(), m + ": accuracy in training vs ONNX Runtime");
        assertTrue(r.testAccuracy() > 0.25, m + " did not collapse (chance is 0.1): " + r.testAccuracy());
    }

    @Test
    void kernelSliceGroupingOnFcLayersFallsBackToRows() throws Exception {
        TrainOptions o = TrainOptions.builder(Architecture.LENET5, Method.TNT).grouping(Grouping.parse("kernel")).init(fp).trainLimit(512)
                .bnRecalibration(0).build();
        Training.Result r = Training.run(o, train, test, false, null);
        assertMaxThreeValuesPerGroup(r.parameters().get("conv2.weight"), new Grouping.Kernel());
        assertMaxThreeValuesPerGroup(r.parameters().get("fc1.weight"), new Grouping.Row());
    }

    private static void assertMaxThreeValuesPerGroup(FloatTensor w, Grouping g) {
        GroupLayout layout = g.layout(w.shape());
        for (int grp = 0; grp < layout.groupCount(); grp++) {
            Set<Float> values = new HashSet<>();
            for (int j = 0; j < layout.size(grp); j++) values.add(w.data()[layout.position(grp, j)] + 0f);
            assertTrue(values.size() <= 3, g.spec() + " group " + grp + " has values " + values);
        }
    }

    @Test
    void allLayersTernarizesTheFirstAndLastLayerToo() throws Exception {
        Training.Result r = Training.run(TrainOptions.builder(Architecture.LENET5, Method.TWN).init(fp).allLayers(true).trainLimit(512).build(), train, test, false, null);
        assertEquals(List.of("conv1", "conv2", "fc1", "fc2", "fc3"), r.ternaryLayers());
        assertTrue(distinct(r.parameters().get("conv1.weight").data()) <= 3);
        assertTrue(distinct(r.parameters().get("fc3.weight").data()) <= 3);
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherModel() throws Exception {
        TrainOptions o = TrainOptions.builder(Architecture.LENET5, Method.TTQ).init(fp).seed(5).trainLimit(512).build();
        byte[] a = Training.run(o, train, test, false, null).onnx().toByteArray();
        byte[] b = Training.run(o, train, test, false, null).onnx().toByteArray();
        assertArrayEquals(a, b);
        byte[] c = Training.run(o.toBuilder().seed(6).build(), train, test, false, null).onnx().toByteArray();
        assertFalse(java.util.Arrays.equals(a, c));
        TrainOptions f = TrainOptions.builder(Architecture.MLP, Method.FP).seed(3).trainLimit(512).build();
        assertArrayEquals(Training.run(f, train, test, false, null).onnx().toByteArray(), Training.run(f, train, test, false, null).onnx().toByteArray());
    }

    @Test
    void initLoadsEveryParameterOfTheFloatModel() throws Exception {
        Map<String, FloatTensor> saved = OnnxWeights.read(fp);
        Network net = new Network(Architecture.LENET5, Method.FP, new Grouping.WholeTensor(), Set.of());
        try (TrainingSession s = new TrainingSession(net, 99, 1e-3f, 1)) {
            s.load(saved, fp);
            Map<String, FloatTensor> back = s.exportParameters();
            assertEquals(saved.keySet(), back.keySet());
            for (String k : saved.keySet()) assertArrayEquals(saved.get(k).data(), back.get(k).data(), 0f, k);
            float[] djl = s.logits(test);
            float[] ort = OrtRunner.logits(Files.readAllBytes(fp), test);
            for (int i = 0; i < djl.length; i++) assertEquals(ort[i], djl[i], 1e-4f * Math.max(1, Math.abs(ort[i])));
        }
    }

    @Test
    void initFromAnotherArchitectureIsAClearError() {
        TrainOptions o = TrainOptions.builder(Architecture.MLP, Method.TTQ).init(fp).build();
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> Training.run(o, train, test, false, null));
        assertTrue(e.getMessage().startsWith(fp.toString()) && e.getMessage().contains("fc1.weight"), e.getMessage());
        assertNotEquals(null, e.getMessage());
    }

    private static int distinct(float[] v) {
        Set<Float> s = new HashSet<>();
        for (float x : v) s.add(x + 0f);
        return s.size();
    }
}
