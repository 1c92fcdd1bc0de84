package org.ternary4j.ptq;

import java.io.IOException;
import java.nio.file.Path;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.eval.ort.EvalResult;
import org.ternary4j.eval.ort.Evaluator;
import org.ternary4j.eval.ort.OrtModel;

/**
 * The damage on the task: full-precision and ternary top-1 on the same examples (null without
 * labels), how often their predictions agree, and the mean cosine between their outputs.
 */
public record TaskAccuracy(String data, int n, Double fpTop1, Double ternaryTop1, double agreement, double meanCosine) {

    public static TaskAccuracy measure(Path fp, Path ternary, Dataset data, int threads) throws IOException {
        try (OrtModel a = OrtModel.open(fp, threads, null); OrtModel b = OrtModel.open(ternary, threads, null)) {
            EvalResult r = Evaluator.compare(a, b, data, Evaluator.DEFAULT_BATCH);
            return new TaskAccuracy(data.source(), r.n(), r.top1(), r.compare().top1(), r.compare().agreement(), r.compare().meanCosine());
        }
    }

    public String describe() {
        return String.format(java.util.Locale.ROOT, "top-1 on %d examples of %s: full precision %s, ternary %s; agreement %.2f %%, output cosine %.4f",
                n, data, percent(fpTop1), percent(ternaryTop1), 100 * agreement, meanCosine);
    }

    public static String percent(Double v) {
        return v == null ? "n/a" : String.format(java.util.Locale.ROOT, "%.2f %%", 100 * v);
    }
}
