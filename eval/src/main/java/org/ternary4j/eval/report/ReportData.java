package org.ternary4j.eval.report;

import java.util.List;
import java.util.Objects;
import org.ternary4j.core.metrics.TensorReport;

/**
 * Everything a quantization report shows; any list may be empty and {@code size} may be null,
 * in which case its section says so instead of drawing an empty chart.
 */
public record ReportData(String title, List<TensorReport> layers, List<WeightHistogram> histograms, ModelSize size,
                         List<AccuracyEntry> accuracies, List<TrainingPoint> training) {

    public ReportData {
        Objects.requireNonNull(title);
        layers = List.copyOf(layers);
        histograms = List.copyOf(histograms);
        accuracies = List.copyOf(accuracies);
        training = List.copyOf(training);
    }

    /** File sizes in bytes before and after ternarization. */
    public record ModelSize(long beforeBytes, long afterBytes) {
        public ModelSize {
            if (beforeBytes < 0 || afterBytes < 0) throw new IllegalArgumentException("sizes must be ≥ 0");
        }
    }

    /**
     * One evaluation run, e.g. "fp32", "ternary (tnt, row)"; {@code top1} null without labels,
     * {@code agreement}/{@code cosine} null for the reference run itself.
     */
    public record AccuracyEntry(String label, Double top1, Double agreement, Double cosine) {}

    /** One epoch of a training log. */
    public record TrainingPoint(int epoch, double loss, double accuracy) {}
}
