package org.ternary4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.eval.report.HtmlReport;
import org.ternary4j.eval.report.ReportData;
import org.ternary4j.eval.report.WeightHistogram;
import org.ternary4j.formats.onnx.OnnxResult;
import org.ternary4j.formats.onnx.OnnxTernaryTensor;
import org.ternary4j.formats.onnx.OnnxWeights;
import org.ternary4j.ptq.calibrate.GroupingBudget;

/** The HTML report of one ternarized ONNX model: layers, weight histograms, size, accuracy. */
final class OnnxReportPage {
    private static final int BINS = 60;

    private OnnxReportPage() {}

    static void write(Path html, String title, Path fpModel, OnnxResult result, Packing packing,
                      List<ReportData.AccuracyEntry> accuracies, Path... inputs) throws IOException {
        write(html, data(title, fpModel, result, packing, accuracies), inputs);
    }

    static void write(Path html, ReportData data, Path... inputs) throws IOException {
        checkNotInput(html, inputs);
        HtmlReport.write(data, html);
    }

    /** The page's content: layers, histograms of the ternarized weights, sizes and accuracies. */
    static ReportData data(String title, Path fpModel, OnnxResult result, Packing packing, List<ReportData.AccuracyEntry> accuracies) throws IOException {
        Map<String, float[]> originals = OnnxWeights.canonical(fpModel, result.tensors());
        List<WeightHistogram> histograms = new ArrayList<>();
        for (OnnxTernaryTensor t : result.tensors()) {
            float[] w = originals.get(t.name());
            if (w != null && !t.bnFolded()) histograms.add(WeightHistogram.of(t.name(), w, t.tensor(), BINS));
        }
        return new ReportData(title, result.reports(), histograms, size(fpModel, result, packing), accuracies, List.of());
    }

    /** The mixed-precision section from calibration's budgeted choice: every candidate layer and every fixed one. */
    static ReportData.MixedPrecision mixed(GroupingBudget.Choice c) {
        List<ReportData.LayerChoice> rows = new ArrayList<>();
        c.decisions().forEach((w, d) -> rows.add(new ReportData.LayerChoice(w, d.chosen().params(), d.chosen().choice(), d.chosen().bitsPerWeight(),
                d.sensitivity(), d.why())));
        for (GroupingBudget.Fixed f : c.fixed()) {
            rows.add(new ReportData.LayerChoice(f.weight(), f.params(), "fixed", f.params() == 0 ? 0 : (double) f.bits() / f.params(), null, f.reason()));
        }
        return new ReportData.MixedPrecision(c.budget(), c.bitsPerWeight(), rows);
    }

    /**
     * Model size before (the FP file) and after: the same file with every ternarized weight stored
     * packed (codes + fp32 scales) instead of its dense values.
     */
    static ReportData.ModelSize size(Path fpModel, OnnxResult result, Packing packing) throws IOException {
        long before = Files.size(fpModel);
        if (result.externalData() != null) before += Files.size(result.externalData());
        long after = before;
        for (OnnxTernaryTensor t : result.tensors()) {
            long n = t.tensor().codes().length;
            long dense = n * switch (t.dataType()) {
                case "FLOAT16", "BFLOAT16" -> 2;
                case "DOUBLE" -> 8;
                default -> 4;
            };
            after += Math.round(t.tensor().bitsPerWeight(packing) * n / 8) - dense;
        }
        return new ReportData.ModelSize(before, Math.max(0, after));
    }

    private static void checkNotInput(Path html, Path... inputs) throws IOException {
        for (Path in : inputs) {
            if (in != null && html.toAbsolutePath().normalize().equals(in.toAbsolutePath().normalize())) {
                throw new IOException(html + ": the HTML report would overwrite an input file");
            }
        }
    }
}
