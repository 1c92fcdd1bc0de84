package org.ternary4j.eval.report;

import java.util.List;
import java.util.Objects;
import org.ternary4j.core.metrics.TensorReport;

/**
 * Everything a quantization report shows; any list may be empty and {@code size} may be null,
 * in which case its section says so instead of drawing an empty chart.
 */
public record ReportData(String title, List<TensorReport> layers, List<WeightHistogram> histograms, ModelSize size,
                         List<AccuracyEntry> accuracies, List<TrainingPoint> training, MixedPrecision mixed) {

    public ReportData {
        Objects.requireNonNull(title);
        layers = List.copyOf(layers);
        histograms = List.copyOf(histograms);
        accuracies = List.copyOf(accuracies);
        training = List.copyOf(training);
    }

    /** A report without a mixed-precision section. */
    public ReportData(String title, List<TensorReport> layers, List<WeightHistogram> histograms, ModelSize size,
                      List<AccuracyEntry> accuracies, List<TrainingPoint> training) {
        this(title, layers, histograms, size, accuracies, training, null);
    }

    public ReportData withMixed(MixedPrecision m) {
        return new ReportData(title, layers, histograms, size, accuracies, training, m);
    }

    /** What a bits/weight budget chose per weight layer: its average over every weight layer, and each layer's choice and why. */
    public record MixedPrecision(double budget, double bitsPerWeight, List<LayerChoice> layers) {
        public MixedPrecision {
            layers = List.copyOf(layers);
        }
    }

    /**
     * One layer's choice: a ternary grouping, "int8"/"fp16" (kept), or "fixed" (not a candidate);
     * {@code sensitivity} (the model's relative output error with the layer alone ternary) null for fixed layers.
     */
    public record LayerChoice(String weight, long params, String choice, double bitsPerWeight, Double sensitivity, String why) {}

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
