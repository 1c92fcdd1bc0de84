package org.ternary4j.qat.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.qat.graph.TinyGraphs.floats;
import static org.ternary4j.qat.graph.TinyGraphs.node;

import ai.djl.engine.Engine;
import ai.onnx.proto.OnnxMl;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.qat.FreedMemory;
import org.ternary4j.qat.graph.GraphInterpreter;
import org.ternary4j.qat.graph.TinyGraphs;
import org.ternary4j.qat.graph.TinyGraphs.Tensor;

/**
 * The distillation loss of a per-token output ([examples, tokens, features]) with an attention_mask:
 * padding never counts; batches are cut after their last real token; hidden targets add their
 * weighted squared error only, and their gradients hold after the memory of closed arrays is reused.
 */
class DistillationTest {
    @TempDir
    Path dir;

    static final int N = 3, T = 4, K = 2, M = 3;
    static final float[] MASK = {1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1};

    @Test
    void perTokenLossIgnoresPaddingAndMatchesHandComputedValue() throws Exception {
        Random r = new Random(3);
        Path f = maskedModel("tokens", r, node("MatMul", List.of("x", "w"), "y"));
        Tensor x = Tensor.random(r, N, T, K);
        Dataset data = tokens(x);
        try (OnnxModel m = OnnxModel.read(f); NDManager nd = NDManager.newBaseManager()) {
            GraphInterpreter g = GraphInterpreter.of(m, nd);
            Inputs in = new Inputs(data, g.graph().runtimeInputs(), f.toString());
            Distillation d = Distillation.teacher(g, in, Target.of(g, false), nd, 2);
            int[] all = {0, 1, 2};
            float[] teacher = d.teacher(nd, 0, all).toFloatArray();

            // Anything at padded positions: no loss.
            float[] padded = teacher.clone();
            for (int i = 0; i < N * T; i++) if (MASK[i] == 0) for (int c = 0; c < M; c++) padded[i * M + c] = 100f * (float) r.nextGaussian();
            assertEquals(0, loss(d, nd, padded, all), 1e-6);

            // One real value off by 1: squared error over the real values' mean square, plus 1 − cos of that example's token mean.
            float[] off = teacher.clone();
            off[(0 * T + 1) * M] += 1f;
            double real = 0, sq = 0;
            for (int i = 0; i < N * T; i++) {
                if (MASK[i] == 0) continue;
                real++;
                for (int c = 0; c < M; c++) sq += (double) teacher[i * M + c] * teacher[i * M + c];
            }
            double ms = sq / (real * M);
            double[] pt = new double[M], ps = new double[M];
            for (int t = 0; t < 3; t++) {
                for (int c = 0; c < M; c++) {
                    pt[c] += teacher[t * M + c] / 3.0;
                    ps[c] += off[t * M + c] / 3.0;
                }
            }
            double dot = 0, nt = 0, ns = 0;
            for (int c = 0; c < M; c++) {
                dot += pt[c] * ps[c];
                nt += pt[c] * pt[c];
                ns += ps[c] * ps[c];
            }
            double squared = 1 / (real * M) / ms, cosine = (1 - dot / Math.sqrt(nt * ns)) / N;
            double want = squared + cosine;
            double got = loss(d, nd, off, all);
            assertTrue(want > 0.01 && cosine > 1e-4, "the perturbation is visible");
            // The teacher is stored in half floats; its mean square is taken before rounding.
            assertEquals(want, got, 1e-3 * want);
            // The pooled weight scales the cosine term alone.
            Distillation pooled3 = Distillation.teacher(g, in, Target.of(g, false).stream().map(t -> t.withPooled(3)).toList(), nd, 2);
            assertEquals(squared + 3 * cosine, loss(pooled3, nd, off, all), 1e-3 * want);
        }
    }

    @Test
    void aBatchIsCutAfterItsLastRealTokenAndTheTeacherWithIt() throws Exception {
        Random r = new Random(5);
        Path f = maskedModel("cut", r, node("MatMul", List.of("x", "w"), "y"));
        Tensor x = Tensor.random(r, N, T, K);
        Dataset data = tokens(x);
        try (OnnxModel m = OnnxModel.read(f); NDManager nd = NDManager.newBaseManager()) {
            GraphInterpreter g = GraphInterpreter.of(m, nd);
            Inputs in = new Inputs(data, g.graph().runtimeInputs(), f.toString());
            Distillation d = Distillation.teacher(g, in, Target.of(g, false), nd, 2);
            int[] one = {1};
            NDList b = in.batch(nd, one);
            assertEquals(new Shape(1, 2, K), b.get(0).getShape(), "example 1 has 2 real tokens");
            assertEquals(new Shape(1, 2), b.get(1).getShape());
            assertEquals(new Shape(1, 2), in.tokenMask(nd, one).getShape());
            assertEquals(new Shape(2, 3, M), d.teacher(nd, 0, new int[] {0, 1}).getShape());
            // The teacher's real rows are x·w, whatever batch computed them (half floats: 11 significant bits).
            float[] w = g.constant("w").toFloatArray(), t = d.teacher(nd, 0, one).toFloatArray();
            for (int j = 0; j < 2; j++) {
                for (int c = 0; c < M; c++) {
                    double want = 0;
                    for (int k = 0; k < K; k++) want += x.data()[(T + j) * K + k] * w[k * M + c];
                    assertEquals(want, t[j * M + c], 1e-3 * Math.max(1, Math.abs(want)));
                }
            }
        }
    }

    @Test
    void hiddenTargetsAddTheirWeightedSquaredErrorWithoutACosineTerm() throws Exception {
        Random r = new Random(7);
        Path f = maskedModel("hidden", r, node("MatMul", List.of("x", "w"), "h"), node("Relu", List.of("h"), "y"));
        Tensor x = Tensor.random(r, N, T, K);
        Dataset data = tokens(x);
        try (OnnxModel m = OnnxModel.read(f); NDManager nd = NDManager.newBaseManager()) {
            GraphInterpreter g = GraphInterpreter.of(m, nd);
            Inputs in = new Inputs(data, g.graph().runtimeInputs(), f.toString());
            List<Target> targets = new java.util.ArrayList<>(Target.of(g, false));
            targets.addAll(Target.hidden(g, List.of(org.ternary4j.formats.onnx.NamePattern.parse("h*")), 0.5f));
            assertEquals(List.of("y", "h"), targets.stream().map(Target::value).toList());
            Distillation d = Distillation.teacher(g, in, targets, nd, 2);
            int[] all = {0, 1, 2};
            float[] y = d.teacher(nd, 0, all).toFloatArray(), h = d.teacher(nd, 1, all).toFloatArray();
            float[] off = h.clone();
            off[(0 * T + 1) * M] += 1f;
            double real = 0, sq = 0;
            for (int i = 0; i < N * T; i++) {
                if (MASK[i] == 0) continue;
                real++;
                for (int c = 0; c < M; c++) sq += (double) h[i * M + c] * h[i * M + c];
            }
            double ms = sq / (real * M), want = 0.5 * (1 / (real * M)) / ms;
            try (NDManager sub = nd.newSubManager()) {
                NDArray sy = sub.create(y, new Shape(N, T, M)), sh = sub.create(off, new Shape(N, T, M));
                sy.setRequiresGradient(true);
                sh.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = d.loss(new NDList(sy, sh), all, null, sub);
                    assertEquals(want, loss.getFloat(), 1e-3 * want);
                    // The weight and the normalisation are constant factors the backward pass reads again.
                    var held = FreedMemory.poison();
                    gc.backward(loss);
                    held.clear();
                }
                // d/dh of 0.5 · Σ mask·(h − teacher)² / (real · M · ms): only the perturbed value, by 1, pulls.
                float[] gh = sh.getGradient().toFloatArray(), gy = sy.getGradient().toFloatArray();
                for (int i = 0; i < gh.length; i++) {
                    double pull = i == (0 * T + 1) * M ? 1 / (real * M * ms) : 0;
                    assertEquals(pull, gh[i], 1e-3 * Math.abs(1 / (real * M * ms)), "d/dh at " + i);
                    assertEquals(0, gy[i], 1e-6, "d/dy at " + i);
                }
            }
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> Target.hidden(g, List.of(org.ternary4j.formats.onnx.NamePattern.parse("nothing*")), 1));
            assertTrue(e.getMessage().contains("'nothing*' matches no value"), e.getMessage());
        }
    }

    @Test
    void teacherValuesBeyondTheMemoryLeftAreRefusedNamingTheFile() throws Exception {
        Random r = new Random(9);
        Path f = maskedModel("memory", r, node("MatMul", List.of("x", "w"), "y"));
        Dataset data = tokens(Tensor.random(r, N, T, K));
        try (OnnxModel m = OnnxModel.read(f); NDManager nd = NDManager.newBaseManager()) {
            GraphInterpreter g = GraphInterpreter.of(m, nd);
            Inputs in = new Inputs(data, g.graph().runtimeInputs(), f.toString());
            // 3 + 2 + 4 real tokens × 3 features as half floats: 54 bytes, within 3/4 of 72, not of 71.
            Distillation.teacher(g, in, Target.of(g, false), nd, 2, 72);
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> Distillation.teacher(g, in, Target.of(g, false), nd, 2, 71));
            assertTrue(e.getMessage().startsWith("tokens.npz: the full-precision values of 1 targets on 3 examples need more than 0.00 GB"), e.getMessage());
        }
    }

    /** A model of inputs x and attention_mask, output y and one random weight w [K, M], written to the test's folder. */
    private Path maskedModel(String name, Random r, OnnxMl.NodeProto... nodes) throws java.io.IOException {
        return TinyGraphs.write(dir, name, TinyGraphs.model(13, List.of("x", "attention_mask"), List.of("y"), List.of(nodes),
                List.of(floats("w", Tensor.random(r, K, M)))));
    }

    /** x [N, T, K] with its attention_mask MASK, as an .npz gives them. */
    private static Dataset tokens(Tensor x) {
        return new Dataset("tokens.npz", List.of(new Dataset.NamedArray("x", new NdArray(x.shape(), x.data())),
                new Dataset.NamedArray("attention_mask", new NdArray(new int[] {N, T}, MASK))), null);
    }

    private static double loss(Distillation d, NDManager nd, float[] student, int[] idx) {
        try (NDManager m = nd.newSubManager()) {
            return d.loss(new NDList(m.create(student, new Shape(N, T, M))), idx, null, m).getFloat();
        }
    }
}
