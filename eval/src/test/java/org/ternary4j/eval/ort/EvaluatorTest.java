package org.ternary4j.eval.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;

class EvaluatorTest {
    @TempDir Path dir;

    /** Picks the first three features as class scores; the fourth is a distractor. */
    static final float[][] PICK = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 0}};
    /** Same with classes 0 and 1 swapped. */
    static final float[][] SWAP = {{0, 1, 0}, {1, 0, 0}, {0, 0, 1}, {0, 0, 0}};
    static final float[] ZERO = {0, 0, 0};

    /** Five examples with arg-max 0, 1, 2, 1, 0 under PICK; labels 0, 1, 2, 0, 0: four of five right. */
    static Dataset fiveExamples() {
        float[] x = {5, 1, 0, 9, 0, 2, 1, 9, 0, 0, 3, 9, 1, 4, 0, 9, 2, 0, 1, 0};
        return Dataset.of("five", new NdArray(new int[] {5, 4}, x), new int[] {0, 1, 2, 0, 0});
    }

    @Test
    void top1AccuracyMatchesTheHandCount() throws IOException {
        Path m = TinyModels.linear(dir.resolve("pick.onnx"), PICK, ZERO, "N");
        try (OrtModel model = OrtModel.open(m, 1, null)) {
            for (int batch : new int[] {1, 2, 3, 5, 64}) {
                EvalResult r = Evaluator.evaluate(model, fiveExamples(), batch);
                assertEquals(5, r.n());
                assertEquals(0.8, r.top1());
                assertNull(r.compare());
            }
            assertEquals(0.75, Evaluator.evaluate(model, fiveExamples().limit(4), 64).top1());
        }
    }

    @Test
    void fixedBatchModelsArePaddedAndPaddingIsDropped() throws IOException {
        Path m = TinyModels.linear(dir.resolve("fixed.onnx"), PICK, ZERO, 2);
        try (OrtModel model = OrtModel.open(m, 1, null)) {
            assertEquals(0.8, Evaluator.evaluate(model, fiveExamples(), 64).top1());
        }
    }

    @Test
    void comparingAModelWithItselfGivesFullAgreementAndCosineOne() throws IOException {
        Path a = TinyModels.linear(dir.resolve("a.onnx"), PICK, new float[] {0.1f, -0.2f, 0.3f}, "N");
        Path copy = Files.copy(a, dir.resolve("copy.onnx"));
        try (OrtModel ma = OrtModel.open(a, 1, null); OrtModel mb = OrtModel.open(copy, 2, null)) {
            EvalResult r = Evaluator.compare(ma, mb, fiveExamples(), 2);
            assertEquals(r.top1(), r.compare().top1());
            assertEquals(1.0, r.compare().agreement());
            assertEquals(1.0, r.compare().meanCosine(), 1e-12);
            assertEquals(1.0, r.compare().minCosine(), 1e-12);
            assertEquals(0, r.compare().nonFinite());
            assertEquals(copy.toString(), r.compare().model());
        }
    }

    @Test
    void comparisonOfSwappedClassesMatchesHandComputedCosines() throws IOException {
        Path a = TinyModels.linear(dir.resolve("pick.onnx"), PICK, ZERO, "N");
        Path b = TinyModels.linear(dir.resolve("swap.onnx"), SWAP, ZERO, "N");
        try (OrtModel ma = OrtModel.open(a, 1, null); OrtModel mb = OrtModel.open(b, 1, null)) {
            EvalResult r = Evaluator.compare(ma, mb, fiveExamples(), 3);
            assertEquals(0.8, r.top1());
            // B's arg-maxes: 1, 0, 2, 0, 1 → right on examples 2 and 3; agrees with A only on example 2.
            assertEquals(0.4, r.compare().top1());
            assertEquals(0.2, r.compare().agreement());
            // Outputs [5,1,0]/[1,5,0], [0,2,1]/[2,0,1], [0,0,3]/[0,0,3], [1,4,0]/[4,1,0], [2,0,1]/[0,2,1].
            double mean = (10.0 / 26 + 1.0 / 5 + 1 + 8.0 / 17 + 1.0 / 5) / 5;
            assertEquals(mean, r.compare().meanCosine(), 1e-12);
            assertEquals(0.2, r.compare().minCosine(), 1e-12);
        }
    }

    @Test
    void sequenceOutputsWithoutLabelsAreComparedByFlattenedCosine() throws IOException {
        SplittableRandom rnd = new SplittableRandom(3);
        float[] x = new float[7 * 2 * 3];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        // The data is flat [7, 6]; the models declare [N, 2, 3]: the evaluator reshapes.
        Dataset data = Dataset.of("seq", new NdArray(new int[] {7, 6}, x), null);
        Path one = TinyModels.scale(dir.resolve("one.onnx"), 1f, 2, 3);
        Path two = TinyModels.scale(dir.resolve("two.onnx"), 2f, 2, 3);
        Path neg = TinyModels.scale(dir.resolve("neg.onnx"), -1f, 2, 3);
        try (OrtModel m1 = OrtModel.open(one, 1, null); OrtModel m2 = OrtModel.open(two, 1, null); OrtModel mn = OrtModel.open(neg, 1, null)) {
            EvalResult same = Evaluator.compare(m1, m2, data, 4);
            assertNull(same.top1());
            assertNull(same.compare().top1());
            assertEquals(1.0, same.compare().agreement());
            assertEquals(1.0, same.compare().meanCosine(), 1e-7);
            EvalResult opposite = Evaluator.compare(m1, mn, data, 4);
            assertEquals(0.0, opposite.compare().agreement());
            assertEquals(-1.0, opposite.compare().meanCosine(), 1e-7);
        }
    }

    @Test
    void sequenceAgreementCountsEveryPositionOverTheLastAxis() throws IOException {
        // Two examples of two positions with three classes each.
        float[] x = {1, 2, 3, 3, 2, 1, 0, 1, 0, 0, 0, 1};
        Dataset data = Dataset.of("steps", new NdArray(new int[] {2, 2, 3}, x), null);
        float[] c = {0, 0, 0, 0, 0, 5};
        Path id = TinyModels.scale(dir.resolve("id.onnx"), 1f, 2, 3);
        Path shifted = TinyModels.addConstant(dir.resolve("shift.onnx"), c, 2, 3);
        try (OrtModel a = OrtModel.open(id, 1, null); OrtModel b = OrtModel.open(shifted, 1, null)) {
            EvalResult r = Evaluator.compare(a, b, data, 8);
            // Arg-maxes: example 0 (2, 0) vs (2, 2); example 1 (1, 2) vs (1, 2): three of four positions agree.
            assertEquals(0.75, r.compare().agreement());
            double c0 = cos(new double[] {1, 2, 3, 3, 2, 1}, new double[] {1, 2, 3, 3, 2, 6});
            double c1 = cos(new double[] {0, 1, 0, 0, 0, 1}, new double[] {0, 1, 0, 0, 0, 6});
            assertEquals((c0 + c1) / 2, r.compare().meanCosine(), 1e-7);
            assertEquals(Math.min(c0, c1), r.compare().minCosine(), 1e-7);
            Dataset labelled = Dataset.of("steps", new NdArray(new int[] {2, 2, 3}, x), new int[] {0, 1});
            String m = assertThrows(IOException.class, () -> Evaluator.evaluate(a, labelled, 8)).getMessage();
            assertTrue(m.contains("one class-score vector per example"), m);
        }
    }

    private static double cos(double[] a, double[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Test
    void nonFiniteOutputsAreCountedAndKeptOutOfTheCosine() throws IOException {
        float[] x = {1, 2, 3, 4, 5, 6, Float.NaN, 0, 0, 0, 0, 0};
        Dataset data = Dataset.of("nan", new NdArray(new int[] {2, 6}, x), null);
        Path one = TinyModels.scale(dir.resolve("one.onnx"), 1f, 6);
        try (OrtModel m = OrtModel.open(one, 1, null)) {
            EvalResult r = Evaluator.compare(m, m, data, 8);
            assertEquals(1, r.compare().nonFinite());
            assertEquals(0.5, r.compare().agreement());
            assertEquals(1.0, r.compare().meanCosine(), 1e-12);
        }
    }

    @Test
    void namedIntegerInputsFromRandomTokens() throws IOException {
        Path m = TinyModels.tokens(dir.resolve("tokens.onnx"));
        try (OrtModel model = OrtModel.open(m, 1, null)) {
            Dataset data = RandomInputs.fromSpec("random:5:9", model);
            assertEquals(5, data.count());
            NdArray ids = data.inputs().get(0).array();
            assertArrayEquals(new int[] {5, RandomInputs.DYNAMIC_DIM}, ids.shape());
            for (float v : ids.data()) assertTrue(v >= 0 && v < 1000 && v == Math.rint(v));
            for (float v : data.inputs().get(1).array().data()) assertEquals(1f, v);
            assertEquals(ids, RandomInputs.fromSpec("random:5:9", model).inputs().get(0).array(), "same seed, same inputs");
            EvalResult r = Evaluator.compare(model, model, data, 2);
            assertEquals(1.0, r.compare().agreement());
            assertEquals(1.0, r.compare().meanCosine(), 1e-12);
        }
    }

    @Test
    void symbolicDimensionsCanBeFixedByName() throws IOException {
        Path m = TinyModels.tokens(dir.resolve("tokens.onnx"));
        try (OrtModel model = OrtModel.open(m, 1, null, java.util.Map.of("S", 5L))) {
            assertArrayEquals(new long[] {-1, 5}, model.inputs().get(0).shape());
            assertArrayEquals(new int[] {3, 5}, RandomInputs.forModel(model, 3, 1).inputs().get(0).array().shape());
        }
    }

    @Test
    void deterministicAcrossRunsAndThreadCounts() throws IOException {
        SplittableRandom rnd = new SplittableRandom(11);
        float[][] w = new float[4][3];
        for (float[] row : w) for (int j = 0; j < 3; j++) row[j] = (float) rnd.nextGaussian();
        Path a = TinyModels.linear(dir.resolve("r.onnx"), w, ZERO, "N");
        Path b = TinyModels.linear(dir.resolve("p.onnx"), PICK, ZERO, "N");
        float[] x = new float[200 * 4];
        int[] y = new int[200];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < y.length; i++) y[i] = rnd.nextInt(3);
        Dataset data = Dataset.of("rnd", new NdArray(new int[] {200, 4}, x), y);
        EvalResult first;
        try (OrtModel ma = OrtModel.open(a, 1, null); OrtModel mb = OrtModel.open(b, 1, null)) {
            first = Evaluator.compare(ma, mb, data, 32);
        }
        try (OrtModel ma = OrtModel.open(a, 2, null); OrtModel mb = OrtModel.open(b, 2, null)) {
            assertEquals(first, Evaluator.compare(ma, mb, data, 32));
        }
    }

    @Test
    void fitReshapesToTheDeclaredShape() {
        NdArray img = new NdArray(new int[] {2, 1, 28, 28}, new float[2 * 784]);
        assertArrayEquals(new long[] {784}, InputPlan.fit(new long[] {784}, img));
        assertArrayEquals(new long[] {1, 28, 28}, InputPlan.fit(new long[] {1, 28, 28}, new NdArray(new int[] {2, 784}, new float[2 * 784])));
        assertArrayEquals(new long[] {1, 28, 28}, InputPlan.fit(new long[] {-1, 28, 28}, img));
        assertArrayEquals(new long[] {28, 28}, InputPlan.fit(new long[] {-1, 28}, img));
        assertNull(InputPlan.fit(new long[] {10}, img));
        assertNull(InputPlan.fit(new long[] {-1, -1}, img));
    }

    @Test
    void badInputsGiveOneLineErrorsNamingTheFile() throws IOException {
        Path garbage = Files.write(dir.resolve("garbage.onnx"), new byte[] {1, 2, 3, 4, 5});
        String g = assertThrows(IOException.class, () -> OrtModel.open(garbage, 1, null)).getMessage();
        assertTrue(g.startsWith(garbage.toString()) && !g.contains("\n"), g);
        Path missing = dir.resolve("missing.onnx");
        assertEquals(missing + ": no such file", assertThrows(IOException.class, () -> OrtModel.open(missing, 1, null)).getMessage());

        Path m = TinyModels.linear(dir.resolve("pick.onnx"), PICK, ZERO, "N");
        try (OrtModel model = OrtModel.open(m, 1, null)) {
            assertTrue(assertThrows(IOException.class, () -> OrtModel.open(m, 1, "nope")).getMessage().contains("no output 'nope'"));
            Dataset wrongShape = Dataset.of("w", new NdArray(new int[] {2, 5}, new float[10]), null);
            String s = assertThrows(IOException.class, () -> Evaluator.evaluate(model, wrongShape, 8)).getMessage();
            assertTrue(s.contains("[5]") && s.contains("do not fit") && s.contains(m.toString()), s);
            Dataset badLabel = Dataset.of("l", new NdArray(new int[] {1, 4}, new float[4]), new int[] {3});
            assertEquals("l: label 3 at example 0, but " + m + " outputs only 3 class scores per example",
                    assertThrows(IOException.class, () -> Evaluator.evaluate(model, badLabel, 8)).getMessage());
            Dataset empty = Dataset.of("e", new NdArray(new int[] {0, 4}, new float[0]), null);
            assertThrows(IllegalArgumentException.class, () -> Evaluator.evaluate(model, empty, 8));
        }
        Path tokens = TinyModels.tokens(dir.resolve("tokens.onnx"));
        try (OrtModel model = OrtModel.open(tokens, 1, null)) {
            String s = assertThrows(IOException.class, () -> Evaluator.evaluate(model, fiveExamples(), 8)).getMessage();
            assertTrue(s.contains("has 2 inputs"), s);
            assertThrows(IllegalArgumentException.class, () -> RandomInputs.fromSpec("random:x", model));
        }
        Path other = TinyModels.scale(dir.resolve("six.onnx"), 1f, 4);
        try (OrtModel a = OrtModel.open(m, 1, null); OrtModel b = OrtModel.open(other, 1, null)) {
            String s = assertThrows(IOException.class, () -> Evaluator.compare(a, b, fiveExamples(), 8)).getMessage();
            assertTrue(s.contains("4 values per example") && s.contains("3"), s);
        }
    }
}
