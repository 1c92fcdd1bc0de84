package org.ternary4j.qat.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.ternary4j.qat.EngineArrays;

/**
 * A teacher's softmax over many classes kept as its k most probable classes per position (a
 * recogniser's T × 6625 scores per image would take about a gigabyte per thousand images held
 * whole). The student is pulled towards the teacher's distribution renormalised over those k
 * classes: KL divergence, cross-entropy against the student's log-softmax over all classes minus
 * the teacher's own entropy, so a perfect match scores 0. A confident teacher puts nearly all its
 * mass in the top few classes, so the rest of the distribution carries almost nothing to learn.
 */
final class TopKTeacher {
    /** Logits with more classes than this are kept as their top {@link #K}. */
    static final int DENSE_CLASSES = 256;
    static final int K = 8;

    private final int classes;
    private final int positions;
    private final int[] index;
    private final float[] probability;
    private final double[] entropy;

    private TopKTeacher(int classes, int positions, int examples) {
        this.classes = classes;
        this.positions = positions;
        index = new int[examples * positions * K];
        probability = new float[examples * positions * K];
        entropy = new double[examples];
    }

    /** An empty store for {@code examples} examples of {@code positions} × {@code classes} logits, filled by {@link #put}. */
    static TopKTeacher of(int classes, int positions, int examples) {
        return new TopKTeacher(classes, positions, examples);
    }

    int classes() {
        return classes;
    }

    int positions() {
        return positions;
    }

    /** Stores example {@code example}'s logits ({@code positions × classes} values from {@code offset} of {@code logits}). */
    void put(int example, float[] logits, int offset) {
        int[] top = new int[K];
        double h = 0;
        for (int p = 0; p < positions; p++) {
            int row = offset + p * classes;
            topK(logits, row, top);
            double max = logits[row + top[0]], sum = 0;
            for (int j = 0; j < K; j++) sum += Math.exp(logits[row + top[j]] - max);
            int at = (example * positions + p) * K;
            for (int j = 0; j < K; j++) {
                double q = Math.exp(logits[row + top[j]] - max) / sum;
                index[at + j] = top[j];
                probability[at + j] = (float) q;
                if (q > 0) h -= q * Math.log(q);
            }
        }
        entropy[example] = h;
    }

    /** The indices of the K largest of {@code classes} values from {@code row}, largest first (ties: lower index first). */
    private void topK(float[] v, int row, int[] top) {
        int n = 0;
        for (int c = 0; c < classes; c++) {
            float x = v[row + c];
            if (n == K && x <= v[row + top[K - 1]]) continue;
            int j = Math.min(n, K - 1);
            while (j > 0 && v[row + top[j - 1]] < x) {
                top[j] = top[j - 1];
                j--;
            }
            top[j] = c;
            if (n < K) n++;
        }
    }

    /** The teacher's most probable class at each position of each example. */
    int[] top1() {
        int[] out = new int[index.length / K];
        for (int i = 0; i < out.length; i++) out[i] = index[i * K];
        return out;
    }

    /** KL(teacher's top-k distribution ‖ student softmax) averaged over the positions of the examples {@code idx}. */
    NDArray loss(NDArray studentLogits, int[] idx, NDManager m) {
        float[] target = new float[idx.length * positions * classes];
        double h = 0;
        for (int i = 0; i < idx.length; i++) {
            for (int p = 0; p < positions; p++) {
                int from = (idx[i] * positions + p) * K, to = (i * positions + p) * classes;
                for (int j = 0; j < K; j++) target[to + index[from + j]] = probability[from + j];
            }
            h += entropy[idx[i]];
        }
        NDArray logp = studentLogits.logSoftmax(-1);
        NDArray t = m.create(target, new Shape(idx.length, positions, classes)).reshape(logp.getShape());
        int rows = idx.length * positions;
        return EngineArrays.div(logp.mul(t).sum(), -rows).sub((float) (h / rows));
    }
}
