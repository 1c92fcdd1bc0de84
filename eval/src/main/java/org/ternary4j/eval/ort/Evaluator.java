package org.ternary4j.eval.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import org.ternary4j.eval.data.Dataset;

/**
 * Runs a data set through a model in batches and scores it: top-1 accuracy against labels, and,
 * when a second model is given, agreement and cosine between the two models' outputs. Outputs of
 * any shape work: each example's output is flattened (a class-score vector, an embedding, a
 * sequence of frames) and its arg-max is its "class".
 */
public final class Evaluator {
    public static final int DEFAULT_BATCH = 64;

    private Evaluator() {}

    public static EvalResult evaluate(OnnxModel model, Dataset data, int batchSize) throws IOException {
        return run(model, null, data, batchSize);
    }

    public static EvalResult compare(OnnxModel model, OnnxModel other, Dataset data, int batchSize) throws IOException {
        return run(model, other, data, batchSize);
    }

    private static EvalResult run(OnnxModel a, OnnxModel b, Dataset data, int wanted) throws IOException {
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
        Score score = new Score(data.labels(), b != null);
        for (int from = 0; from < n; from += batch) {
            int to = Math.min(n, from + batch);
            float[][] outA = outputs(a, planA, from, to, batch);
            float[][] outB = b == null ? null : outputs(b, planB, from, to, batch);
            for (int i = 0; i < outA.length; i++) score.add(from + i, outA[i], outB == null ? null : outB[i], a, b);
        }
        return score.result(n, b);
    }

    /** One flattened output per example of [from, to). */
    private static float[][] outputs(OnnxModel model, InputPlan plan, int from, int to, int batch) throws IOException {
        Map<String, OnnxTensor> feeds;
        try {
            feeds = plan.tensors(OnnxModel.environment(), from, to, batch);
        } catch (OrtException e) {
            throw new IOException(model.file() + ": cannot build input tensors: " + OnnxModel.firstLine(e.getMessage()));
        }
        OnnxModel.Output out;
        try {
            out = model.run(feeds);
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
        int fed = plan.rows(from, to, batch);
        if (out.shape().length == 0 || out.shape()[0] != fed) {
            throw new IOException(model.file() + ": output '" + model.outputName() + "' has shape " + Arrays.toString(out.shape())
                    + " for a batch of " + fed + "; expected the batch as its first dimension");
        }
        int per = out.values().length / fed;
        float[][] rows = new float[to - from][];
        for (int i = 0; i < rows.length; i++) rows[i] = Arrays.copyOfRange(out.values(), i * per, (i + 1) * per);
        return rows;
    }

    /** Running totals, accumulated in example order so the result never depends on batching. */
    private static final class Score {
        final int[] labels;
        final boolean comparing;
        int correctA, correctB, agree, nonFinite, cosCount;
        double cosSum, cosMin = Double.POSITIVE_INFINITY;

        Score(int[] labels, boolean comparing) {
            this.labels = labels;
            this.comparing = comparing;
        }

        void add(int index, float[] a, float[] b, OnnxModel ma, OnnxModel mb) throws IOException {
            int argA = argmax(a);
            if (labels != null) {
                checkLabel(index, a.length, ma);
                if (argA == labels[index]) correctA++;
            }
            if (!comparing) return;
            if (b.length != a.length) {
                throw new IOException(mb.file() + ": output has " + b.length + " values per example, " + ma.file() + "'s has " + a.length);
            }
            int argB = argmax(b);
            if (labels != null && argB == labels[index]) correctB++;
            if (!finite(a) || !finite(b)) {
                nonFinite++;
                return;
            }
            if (argA == argB) agree++;
            double c = cosine(a, b);
            cosSum += c;
            cosCount++;
            cosMin = Math.min(cosMin, c);
        }

        private void checkLabel(int index, int classes, OnnxModel m) throws IOException {
            if (labels[index] >= classes) {
                throw new IOException(m.file() + ": label " + labels[index] + " at example " + index + " but the model outputs only " + classes + " values per example");
            }
        }

        EvalResult result(int n, OnnxModel b) {
            Double top1 = labels == null ? null : (double) correctA / n;
            EvalResult.Comparison cmp = null;
            if (comparing) {
                cmp = new EvalResult.Comparison(b.file().toString(), labels == null ? null : (double) correctB / n,
                        (double) agree / n, cosCount == 0 ? Double.NaN : cosSum / cosCount, cosCount == 0 ? Double.NaN : cosMin, nonFinite);
            }
            return new EvalResult(n, top1, cmp);
        }
    }

    /** Index of the largest value, the first on ties; NaN never wins. −1 for an all-NaN vector. */
    static int argmax(float[] v) {
        int best = -1;
        for (int i = 0; i < v.length; i++) if (!Float.isNaN(v[i]) && (best < 0 || v[i] > v[best])) best = i;
        return best;
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
