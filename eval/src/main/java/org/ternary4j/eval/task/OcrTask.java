package org.ternary4j.eval.task;

import static org.ternary4j.core.FloatArrays.argmax;

import java.io.IOException;
import java.util.List;
import org.ternary4j.eval.ort.Evaluator;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;

/**
 * The real tasks of PaddleOCR's text-line models on rendered lines: the direction classifier's
 * orientation accuracy (half the lines upside down) and the recogniser's character error rate.
 * Calibration lines come from one seed, evaluation lines from another with every calibration text
 * (up to {@link #MAX_CALIBRATION} lines) excluded, so no evaluated line was ever calibrated on.
 */
public final class OcrTask {
    public enum Split { CALIBRATION, EVALUATION }

    public static final long CALIBRATION_SEED = 1;
    public static final long EVALUATION_SEED = 2;
    public static final int MAX_CALIBRATION = 4096;

    /** Recognition examples: the model inputs and the text each line shows. */
    public record Recognition(Dataset data, List<String> texts) {}

    private OcrTask() {}

    static List<String> texts(Split split, int count) {
        if (split == Split.CALIBRATION) {
            if (count > MAX_CALIBRATION) throw new IllegalArgumentException("at most " + MAX_CALIBRATION + " calibration lines, got " + count);
            return TextLines.textsDisjointFrom(CALIBRATION_SEED, count, CALIBRATION_SEED, 0);
        }
        return TextLines.textsDisjointFrom(EVALUATION_SEED, count, CALIBRATION_SEED, MAX_CALIBRATION);
    }

    private static long seed(Split split) {
        return split == Split.CALIBRATION ? CALIBRATION_SEED : EVALUATION_SEED;
    }

    /** Lines for the direction classifier, every odd one turned by 180° (label 1, the classifier's "180" class). */
    public static Dataset orientation(TextLines fonts, Split split, int count) {
        List<TextLines.Line> lines = fonts.render(texts(split, count), seed(split));
        boolean[] rotated = new boolean[count];
        int[] labels = new int[count];
        for (int i = 1; i < count; i += 2) {
            rotated[i] = true;
            labels[i] = 1;
        }
        NdArray x = PaddleOcr.batch(lines, PaddleOcr.CLS_WIDTH, rotated);
        return Dataset.of("rendered text lines (" + split.name().toLowerCase(java.util.Locale.ROOT) + ", " + count + ", half upside down)", x, labels);
    }

    public static Recognition recognition(TextLines fonts, Split split, int count) {
        List<String> texts = texts(split, count);
        NdArray x = PaddleOcr.batch(fonts.render(texts, seed(split)), PaddleOcr.REC_WIDTH, null);
        return new Recognition(Dataset.of("rendered text lines (" + split.name().toLowerCase(java.util.Locale.ROOT) + ", " + count + ")", x, null), texts);
    }

    /** Orientation accuracy of a direction classifier: the fraction of lines whose arg-max is their label. */
    public static double orientationAccuracy(TaskModel model, Dataset lines) throws IOException {
        float[][] out = model.outputs(lines, Evaluator.DEFAULT_BATCH);
        int correct = 0;
        for (int i = 0; i < out.length; i++) {
            if (out[i].length < 2) throw new IOException(model.label() + ": " + out[i].length + " output value per line; a direction classifier gives one score per class");
            if (argmax(out[i]) == lines.labels()[i]) correct++;
        }
        return (double) correct / out.length;
    }

    /** Character error rate of a recogniser: total edit distance over total reference characters. */
    public static double characterErrorRate(TaskModel model, Recognition lines, List<String> characters) throws IOException {
        float[][] out = model.outputs(lines.data(), Evaluator.DEFAULT_BATCH);
        long errors = 0, total = 0;
        for (int i = 0; i < out.length; i++) {
            // The margins around a rendered line read as spaces; a detector's crop would not have them.
            String read = PaddleOcr.decode(out[i], characters.size(), characters).strip();
            errors += PaddleOcr.editDistance(read, lines.texts().get(i));
            total += lines.texts().get(i).codePointCount(0, lines.texts().get(i).length());
        }
        return (double) errors / total;
    }
}
