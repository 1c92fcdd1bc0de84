package org.ternary4j.qat;

import org.ternary4j.core.FloatArrays;

/** Top-1 accuracy of row-major logits [n, classes] against labels (first maximum wins ties; a NaN logit never wins). */
public final class Accuracy {
    private Accuracy() {}

    public static double of(float[] logits, int[] labels) {
        if (labels.length == 0) return 0;
        int classes = logits.length / labels.length;
        long correct = 0;
        for (int i = 0; i < labels.length; i++) if (FloatArrays.argmax(logits, i * classes, classes) == labels[i]) correct++;
        return (double) correct / labels.length;
    }
}
