package org.ternary4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.ternary4j.eval.task.OcrTask;
import org.ternary4j.eval.task.PaddleOcr;
import org.ternary4j.eval.task.TextLines;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NpzWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Third-party models measured on their own task: PaddleOCR's direction classifier and recogniser
 * on text lines rendered here, calibration lines kept apart from evaluation lines.
 */
@Command(name = "task", mixinStandardHelpOptions = true,
        description = "Measure OCR models on their real task with text lines rendered from the machine's fonts: ocr-orientation "
                + "(PaddleOCR direction classifier: accuracy on lines half of which are upside down) or ocr-recognition (PaddleOCR "
                + "recogniser: character error rate). Evaluation lines never share a text with calibration lines; --write-calibration "
                + "writes the calibration split as an .npz ('x').")
final class TaskCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TASK", description = "ocr-orientation or ocr-recognition.")
    String task;

    @Parameters(index = "1..*", paramLabel = "MODEL.onnx", arity = "0..*", description = "Models to measure on the same lines.")
    List<Path> models = List.of();

    @Option(names = "--lines", defaultValue = "1000", paramLabel = "N", description = "Evaluation lines. Default: ${DEFAULT-VALUE}.")
    int lines;

    @Option(names = "--dict", paramLabel = "KEYS.txt", description = "ocr-recognition: the recogniser's dictionary (ppocr_keys_v1.txt).")
    Path dictionary;

    @Option(names = "--write-calibration", paramLabel = "OUT.npz",
            description = "Write N calibration lines (--calibration-lines) as the model's input array 'x' instead of measuring.")
    Path calibrationOut;

    @Option(names = "--calibration-lines", defaultValue = "256", paramLabel = "N", description = "Default: ${DEFAULT-VALUE}.")
    int calibrationLines;

    @Mixin
    ThreadsOption threads = ThreadsOption.allProcessors();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!task.equals("ocr-orientation") && !task.equals("ocr-recognition")) {
            throw new IllegalArgumentException("task '" + task + "': unknown; one of ocr-orientation, ocr-recognition");
        }
        if (lines < 1 || calibrationLines < 1) throw new IllegalArgumentException("--lines and --calibration-lines must be ≥ 1");
        PathGuard guard = new PathGuard().input(dictionary).output(calibrationOut);
        models.forEach(guard::model);
        guard.check();
        boolean orientation = task.equals("ocr-orientation");
        TextLines fonts = TextLines.withSystemFonts();
        PrintWriter out = spec.commandLine().getOut();
        if (calibrationOut != null) {
            Dataset d = orientation ? OcrTask.orientation(fonts, OcrTask.Split.CALIBRATION, calibrationLines)
                    : OcrTask.recognition(fonts, OcrTask.Split.CALIBRATION, calibrationLines).data();
            NpzWriter.write(calibrationOut, List.of(new NpzWriter.Floats("x", d.inputs().get(0).array())));
            out.printf("%s: %d calibration lines (%s), %d fonts%n", calibrationOut, calibrationLines, task, fonts.fontCount());
            return 0;
        }
        if (models.isEmpty()) throw new IllegalArgumentException("no MODEL.onnx to measure (or give --write-calibration)");
        if (orientation) {
            Dataset d = OcrTask.orientation(fonts, OcrTask.Split.EVALUATION, lines);
            for (Path m : models) out.printf(Locale.ROOT, "%s: orientation accuracy %.4f on %d evaluation lines%n", m, OcrTask.orientationAccuracy(m, d, threads.count), lines);
        } else {
            if (dictionary == null) throw new IllegalArgumentException("ocr-recognition needs --dict (the recogniser's ppocr_keys_v1.txt)");
            List<String> chars = PaddleOcr.characters(dictionary);
            OcrTask.Recognition r = OcrTask.recognition(fonts, OcrTask.Split.EVALUATION, lines);
            for (Path m : models) {
                out.printf(Locale.ROOT, "%s: character error rate %.4f on %d evaluation lines%n", m, OcrTask.characterErrorRate(m, r, chars, threads.count), lines);
            }
        }
        return 0;
    }
}
