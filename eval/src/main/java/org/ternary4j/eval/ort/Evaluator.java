package org.ternary4j.eval.ort;

import static org.ternary4j.core.FloatArrays.argmax;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import org.ternary4j.formats.data.Dataset;

/**
 * Runs a data set through a model in batches and scores it: top-1 accuracy against labels, and,
 * when a second model is given, agreement and cosine between the two models' outputs.
 * <p>Outputs of any shape work. The last axis holds the classes; every other axis after the
 * batch is a position (a time step, a token, a pixel). Agreement is the fraction of
 * (example, position) pairs whose arg-max over the classes is the same in both models, so a
 * classifier's [N, C] output gives plain top-1 agreement and a sequence model's [N, T, C] output
 * gives per-step agreement. Cosine compares each example's whole output, flattened, which is
 * the meaningful measure for embeddings. Top-1 accuracy needs one class vector per example.
 */
public final class Evaluator {
    public static final int DEFAULT_BATCH = 64;

    private Evaluator() {}

    public static EvalResult evaluate(OrtModel model, Dataset data, int batchSize) throws IOException {
        return run(model, null, data, batchSize);
    }

    public static EvalResult compare(OrtModel model, OrtModel other, Dataset data, int batchSize) throws IOException {
        return run(model, other, data, batchSize);
    }

    /**
     * The scored output of every example, flattened per example, in example order: for checking
     * another engine (the project's own runtime) against ONNX Runtime output by output.
     */
    public static float[][] outputs(OrtModel model, Dataset data, int wanted) throws IOException {
        InputPlan plan = InputPlan.of(model, data);
        int batch = plan.batchSize(wanted), n = data.count();
        float[][] all = new float[n][];
        for (int from = 0; from < n; from += batch) {
            int to = Math.min(n, from + batch);
            float[][] rows = outputs(model, plan, from, to, batch).rows();
            System.arraycopy(rows, 0, all, from, rows.length);
        }
        return all;
    }

    /** One batch of outputs: per example a flattened vector, {@code classes} values per position. */
    private record Rows(float[][] rows, int classes) {}

    private static EvalResult run(OrtModel a, OrtModel b, Dataset data, int wanted) throws IOException {
        if (wanted < 1) throw new IllegalArgumentException("batch size must be ≥ 1, got " + wanted);
        int n = data.count();
        if (n == 0) throw new IllegalArgumentException(data.source() + ": no examples to evaluate");
        InputPlan planA = InputPlan.of(a, data);
        InputPlan planB = b == null ? null : InputPlan.of(b, data);
        // One batch size for both models, so their outputs line up example by example.
        int batch = planA.batchSize(wanted);
        if (planB != null && planB.batchSize(batch) != batch) {
            throw new IOException(b.file() + ": fixed batch size " + planB.batchSize(batch) + " differs from " + a.file() + "'s " + batch);
        }
        Score score = new Score(data, a, b);
        for (int from = 0; from < n; from += batch) {
            int to = Math.min(n, from + batch);
            Rows outA = outputs(a, planA, from, to, batch);
            Rows outB = b == null ? null : outputs(b, planB, from, to, batch);
            for (int i = 0; i < outA.rows().length; i++) {
                score.add(from + i, outA.rows()[i], outA.classes(), outB == null ? null : outB.rows()[i]);
            }
        }
        return score.result(n);
    }

    private static Rows outputs(OrtModel model, InputPlan plan, int from, int to, int batch) throws IOException {
        Map<String, OnnxTensor> feeds;
        try {
            feeds = plan.tensors(OrtSessions.environment(), from, to, batch);
        } catch (OrtException e) {
            throw new IOException(model.file() + ": cannot build input tensors: " + OrtSessions.firstLine(e.getMessage()));
        }
        OrtModel.Output out;
        try {
            out = model.run(feeds);
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
        int fed = plan.rows(from, to, batch);
        long[] shape = out.shape();
        if (shape.length == 0 || shape[0] != fed) {
            throw new IOException(model.file() + ": output '" + model.outputName() + "' has shape " + Arrays.toString(shape)
                    + " for a batch of " + fed + "; expected the batch as its first dimension");
        }
        int per = out.values().length / fed;
        int classes = shape.length == 1 ? 1 : (int) shape[shape.length - 1];
        float[][] rows = new float[to - from][];
        for (int i = 0; i < rows.length; i++) rows[i] = Arrays.copyOfRange(out.values(), i * per, (i + 1) * per);
        return new Rows(rows, classes);
    }

    /** Running totals, accumulated in example order so the result never depends on batching. */
    private static final class Score {
        final int[] labels;
        final String source;
        final OrtModel a, b;
        long agree, positions;
        int correctA, correctB, nonFinite, cosCount;
        double cosSum, cosMin = Double.POSITIVE_INFINITY;

        Score(Dataset data, OrtModel a, OrtModel b) {
            this.labels = data.labels();
            this.source = data.source();
            this.a = a;
            this.b = b;
        }

        void add(int index, float[] outA, int classes, float[] outB) throws IOException {
            if (labels != null) {
                if (outA.length != classes || classes == 0) {
                    throw new IOException(a.file() + ": top-1 accuracy needs one class-score vector per example, but output '"
                            + a.outputName() + "' has " + outA.length + " values per example (" + classes + " per position); evaluate without labels");
                }
                if (labels[index] >= classes) {
                    throw new IOException(source + ": label " + labels[index] + " at example " + index + ", but " + a.file() + " outputs only "
                            + classes + " class scores per example");
                }
                if (argmax(outA, 0, classes) == labels[index]) correctA++;
            }
            if (b == null) return;
            if (outB.length != outA.length) {
                throw new IOException(b.file() + ": output has " + outB.length + " values per example, " + a.file() + "'s has " + outA.length);
            }
            if (labels != null && argmax(outB, 0, classes) == labels[index]) correctB++;
            int steps = classes == 0 ? 0 : outA.length / classes;
            positions += steps;
            if (!finite(outA) || !finite(outB)) {
                nonFinite++;
                return;
            }
            for (int p = 0; p < steps; p++) if (argmax(outA, p * classes, classes) == argmax(outB, p * classes, classes)) agree++;
            double c = cosine(outA, outB);
            cosSum += c;
            cosCount++;
            cosMin = Math.min(cosMin, c);
        }

        EvalResult result(int n) {
            Double top1 = labels == null ? null : (double) correctA / n;
            EvalResult.Comparison cmp = null;
            if (b != null) {
                cmp = new EvalResult.Comparison(b.file().toString(), labels == null ? null : (double) correctB / n,
                        positions == 0 ? Double.NaN : (double) agree / positions,
                        cosCount == 0 ? Double.NaN : cosSum / cosCount, cosCount == 0 ? Double.NaN : cosMin, nonFinite);
            }
            return new EvalResult(n, top1, cmp);
        }
    }

    /** Cosine in double; two zero vectors are identical (1), one zero vector is orthogonal (0). */
    static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        if (aa == 0 && bb == 0) return 1;
        if (aa == 0 || bb == 0) return 0;
        return ab / Math.sqrt(aa * bb);
    }

    private static boolean finite(float[] v) {
        for (float x : v) if (!Float.isFinite(x)) return false;
        return true;
    }
}
