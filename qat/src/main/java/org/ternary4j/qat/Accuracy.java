package org.ternary4j.qat;

/** Top-1 accuracy of row-major logits [n, classes] against labels (first maximum wins ties). */
public final class Accuracy {
    private Accuracy() {}

    public static double of(float[] logits, int[] labels) {
        if (labels.length == 0) return 0;
        int classes = logits.length / labels.length;
        long correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
            if (best == labels[i]) correct++;
        }
        return (double) correct / labels.length;
    }
}
