package org.ternary4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.qat.finetune.Finetune;
import org.ternary4j.qat.finetune.FinetuneOptions;
import org.ternary4j.qat.finetune.FinetuneResult;

/**
 * Quantization-aware training of a zoo model ({@link FinetuneOptions#quantizationAware}, what
 * {@code train --method M --init} runs) from a float LeNet-5 trained here for two epochs: every
 * method writes middle layers with at most three values per group, trains the full-precision first
 * and last layers, ends with batch-norm statistics that are those of its own layers, gives in ONNX
 * Runtime the accuracy it reports, and a seed fixes the bytes.
 */
class QuantizationAwareTrainingTest {
    @TempDir
    static Path dir;
    static Path fp;
    static FashionMnist.Split train, test;
    static Dataset examples;

    @BeforeAll
    static void floatModel() throws Exception {
        train = TestData.train(2048);
        test = TestData.test(300);
        fp = dir.resolve("fp.onnx");
        OnnxExport.write(Training.run(TrainOptions.builder(Architecture.LENET5).epochs(2).build(), train, test, false, null).onnx(), fp);
        FashionMnist.Split few = train.first(512);
        examples = Dataset.of("fashion-mnist train, first 512", new NdArray(new int[] {few.count(), 1, 28, 28}, few.pixels()), few.labels());
    }

    private static FinetuneResult qat(FinetuneOptions.Builder options) throws Exception {
        return Finetune.run(new Finetune.Request(fp, examples, null, options.epochs(1).bnExamples(256).build(), new FinetuneResult.Listener() {}));
    }

    private static Path write(FinetuneResult r, String name) throws Exception {
        Path f = dir.resolve(name + ".onnx");
        Files.write(f, r.output().toBytes());
        return f;
    }

    private static float[] weights(Path model, String name) throws Exception {
        try (OnnxModel m = OnnxModel.read(model)) {
            return m.graph().constant(name).orElseThrow().floats();
        }
    }

    private static int[] shape(Path model, String name) throws Exception {
        try (OnnxModel m = OnnxModel.read(model)) {
            return m.graph().constant(name).orElseThrow().shape();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Method.class, names = "FP", mode = EnumSource.Mode.EXCLUDE)
    void everyMethodWritesTernaryMiddleLayersTrainsTheFloatOnesAndOnnxRuntimeAgrees(Method m) throws Exception {
        FinetuneResult r = qat(FinetuneOptions.quantizationAware(m));
        assertEquals(List.of("conv2.weight", "fc1.weight", "fc2.weight"),
                r.layers().stream().filter(FinetuneResult.Layer::ternarized).map(FinetuneResult.Layer::weight).toList(), "first and last layer stay full precision");
        Path out = write(r, "qat-" + m);
        Grouping g = Grouping.parse(m.defaultGrouping());
        for (String w : List.of("conv2.weight", "fc1.weight", "fc2.weight")) assertTernary(out, w, g);
        for (String w : List.of("conv1.weight", "conv1.bias", "fc3.weight", "fc3.bias")) {
            float[] before = weights(fp, w), after = weights(out, w);
            assertFalse(Arrays.equals(before, after), m + ": " + w + " did not train");
            if (w.endsWith(".weight")) assertTrue(distinct(after) > 3, m + ": " + w + " stays float");
        }
        double ortTrain = Accuracy.of(OrtRunner.logits(Files.readAllBytes(out), train.first(512)), train.first(512).labels());
        assertEquals(r.after().accuracy(), ortTrain, 1.0 / 512, m + ": reported training accuracy vs ONNX Runtime");
        double ortTest = Accuracy.of(OrtRunner.logits(Files.readAllBytes(out), test), test.labels());
        assertTrue(ortTest > 0.5, m + " collapsed (chance is 0.1): " + ortTest);
    }

    /** At most three values per group of {@code g} (rank-2 weights: its fallback), at least two in all. */
    private static void assertTernary(Path model, String name, Grouping g) throws Exception {
        int[] s = shape(model, name);
        float[] v = weights(model, name);
        GroupLayout layout = g.forRank(s.length).layout(s);
        Set<Float> all = new HashSet<>();
        for (int grp = 0; grp < layout.groupCount(); grp++) {
            Set<Float> values = new HashSet<>();
            for (int j = 0; j < layout.size(grp); j++) values.add(v[layout.position(grp, j)] + 0f); // −0 → 0
            assertTrue(values.size() <= 3, name + " group " + grp + " has values " + values);
            all.addAll(values);
        }
        assertTrue(all.size() >= 2, name + " collapsed to " + all);
    }

    @Test
    void kernelGroupingOnFcLayersFallsBackToRows() throws Exception {
        Path out = write(qat(FinetuneOptions.quantizationAware(Method.TNT).grouping(new Grouping.Kernel())), "kernel");
        assertTernary(out, "conv2.weight", new Grouping.Kernel());
        assertTernary(out, "fc1.weight", new Grouping.Row());
        assertTrue(distinct(weights(out, "conv2.weight")) > 3, "per-kernel scales: more than three values in the whole layer");
    }

    @Test
    void allLayersTernarizesTheFirstAndLastLayerToo() throws Exception {
        FinetuneResult r = qat(FinetuneOptions.quantizationAware(Method.TWN).allLayers(true));
        assertEquals(5, r.layers().stream().filter(FinetuneResult.Layer::ternarized).count());
        Path out = write(r, "all");
        assertTrue(distinct(weights(out, "conv1.weight")) <= 3);
        assertTrue(distinct(weights(out, "fc3.weight")) <= 3);
    }

    /** bn1's statistics in the written model are those of the written conv1's output on the first examples (a direct convolution in double). */
    @Test
    void batchNormStatisticsAreThoseOfTheTrainedLayersOnTheFirstExamples() throws Exception {
        int n = 64;
        FinetuneResult r = Finetune.run(new Finetune.Request(fp, examples, null, FinetuneOptions.quantizationAware(Method.TWN).epochs(1).bnExamples(n).build(),
                new FinetuneResult.Listener() {}));
        Path out = write(r, "bn");
        float[] w = weights(out, "conv1.weight"), b = weights(out, "conv1.bias"), mean = weights(out, "bn1.mean"), var = weights(out, "bn1.var");
        assertFalse(Arrays.equals(weights(fp, "bn1.mean"), mean), "statistics re-estimated");
        float[] pixels = examples.inputs().getFirst().array().data();
        for (int c = 0; c < 6; c++) {
            double sum = 0, sq = 0;
            long count = 0;
            for (int img = 0; img < n; img++) {
                for (int y = 0; y < 28; y++) {
                    for (int x = 0; x < 28; x++) {
                        double v = b[c];
                        for (int ky = 0; ky < 5; ky++) {
                            for (int kx = 0; kx < 5; kx++) {
                                int iy = y + ky - 2, ix = x + kx - 2;
                                if (iy >= 0 && iy < 28 && ix >= 0 && ix < 28) v += w[c * 25 + ky * 5 + kx] * pixels[img * 784 + iy * 28 + ix];
                            }
                        }
                        sum += v;
                        sq += v * v;
                        count++;
                    }
                }
            }
            double mu = sum / count, biased = sq / count - mu * mu;
            assertEquals(mu, mean[c], 1e-4 * Math.max(1, Math.abs(mu)), "mean of channel " + c);
            assertEquals(biased, var[c], 1e-3 * Math.max(1, biased), "variance of channel " + c);
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherModel() throws Exception {
        FinetuneOptions.Builder o = FinetuneOptions.quantizationAware(Method.TTQ).seed(5);
        byte[] a = qat(o).output().toBytes(), b = qat(o).output().toBytes();
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, qat(o.seed(6)).output().toBytes()));
    }

    @Test
    void trainingFromScratchIsFixedBySeedToo() throws Exception {
        TrainOptions f = TrainOptions.builder(Architecture.MLP).seed(3).trainLimit(512).build();
        assertArrayEquals(Training.run(f, train, test, false, null).onnx().toByteArray(), Training.run(f, train, test, false, null).onnx().toByteArray());
    }

    private static int distinct(float[] v) {
        Set<Float> s = new HashSet<>();
        for (float x : v) s.add(x + 0f);
        return s.size();
    }
}
