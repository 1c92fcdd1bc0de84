package org.ternary4j.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.ternary4j.formats.data.Dataset;

/**
 * The rendered OCR tasks are fair measures only if the full-precision PaddleOCR models solve them
 * as they solve real text: checked on the fetched models (skipped without them or without fonts).
 */
class OcrTaskTest {
    private static final Path MODELS = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."), ".cache/models");

    private static TextLines fonts() {
        try {
            return TextLines.withSystemFonts();
        } catch (IOException e) {
            Assumptions.abort(e.getMessage());
            return null;
        }
    }

    private static Path model(String name) {
        Path p = MODELS.resolve(name);
        Assumptions.assumeTrue(Files.isRegularFile(p), p + " not fetched (scripts/fetch-models.sh)");
        return p;
    }

    @Test
    void calibrationAndEvaluationLinesShareNoText() {
        Set<String> calibration = new HashSet<>(OcrTask.texts(OcrTask.Split.CALIBRATION, OcrTask.MAX_CALIBRATION));
        List<String> evaluation = OcrTask.texts(OcrTask.Split.EVALUATION, 2000);
        assertEquals(2000, evaluation.size());
        assertTrue(evaluation.stream().noneMatch(calibration::contains));
        assertEquals(OcrTask.texts(OcrTask.Split.EVALUATION, 50), evaluation.subList(0, 50), "a set's first lines do not depend on its size");
    }

    @Test
    void fullPrecisionClassifierReadsTheOrientationOfRenderedLines() throws IOException {
        Path cls = model("ch_ppocr_mobile_v2.0_cls_infer.onnx");
        Dataset lines = OcrTask.orientation(fonts(), OcrTask.Split.EVALUATION, 200);
        double accuracy;
        try (TaskModel m = TaskModel.onnxRuntime(cls, 2)) {
            accuracy = OcrTask.orientationAccuracy(m, lines);
        }
        assertTrue(accuracy >= 0.95, "FP orientation accuracy " + accuracy);
    }

    @Test
    void fullPrecisionRecogniserReadsRenderedLines() throws IOException {
        Path rec = model("ch_PP-OCRv4_rec_infer.onnx");
        Path dict = model("ppocr_keys_v1.txt");
        OcrTask.Recognition lines = OcrTask.recognition(fonts(), OcrTask.Split.EVALUATION, 100);
        double cer;
        try (TaskModel m = TaskModel.onnxRuntime(rec, 2)) {
            cer = OcrTask.characterErrorRate(m, lines, PaddleOcr.characters(dict));
        }
        assertTrue(cer <= 0.02, "FP character error rate " + cer);
    }

    @Test
    void editDistanceAndCtcDecodingByHand() {
        assertEquals(3, PaddleOcr.editDistance("kitten", "sitting"));
        assertEquals(0, PaddleOcr.editDistance("", ""));
        List<String> chars = List.of("", "a", "b", " ");
        // steps: a a blank a b b space -> "aab " (repeats merge, a blank separates the two a's)
        float[] scores = new float[7 * 4];
        int[] best = {1, 1, 0, 1, 2, 2, 3};
        for (int t = 0; t < best.length; t++) scores[t * 4 + best[t]] = 1;
        assertEquals("aab ", PaddleOcr.decode(scores, 4, chars));
    }
}
