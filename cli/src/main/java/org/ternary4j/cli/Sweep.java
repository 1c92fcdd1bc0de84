package org.ternary4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.ptq.QuantizeReport;
import org.ternary4j.ptq.TaskAccuracy;
import org.ternary4j.ptq.calibrate.CalibratedTernarizer;
import org.ternary4j.ptq.calibrate.CalibrationInputs;
import org.ternary4j.ptq.calibrate.Steps;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.eval.report.ReportData;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.onnx.OnnxResult;
import org.ternary4j.formats.onnx.OnnxTernarizer;

/**
 * Ternarizes one ONNX model with every method × grouping, evaluates each on the same data and
 * tabulates accuracy against size, so a user can choose. No retraining anywhere.
 */
final class Sweep {

    /** One method × grouping: its accuracy and what it costs to store. */
    /** {@code calibration} names the calibration data of a calibrated row, null otherwise. */
    record Row(String method, String grouping, String calibration, TaskAccuracy accuracy, double bitsPerWeight, long fpBytes, long packedBytes) {
        String label() {
            return calibration == null ? method : method + "+calib";
        }

        double compression() {
            return packedBytes == 0 ? 0 : (double) fpBytes / packedBytes;
        }
    }

    record Plan(Path model, List<String> methods, List<String> groupings, OnnxOptions base, Dataset data, int threads) {}

    private Sweep() {}

    static List<Row> run(Plan plan, Path workDir, PrintWriter progress) throws IOException {
        List<Row> rows = new ArrayList<>();
        Files.createDirectories(workDir);
        for (String m : plan.methods()) {
            for (String g : plan.groupings()) {
                Row row = measure(plan, m, g, null, workDir);
                rows.add(row);
                if (progress != null) {
                    progress.printf(Locale.ROOT, "  %-12s %-10s top-1 %s%n", m, g, TaskAccuracy.percent(row.accuracy().ternaryTop1()));
                    progress.flush();
                }
            }
        }
        return rows;
    }

    /**
     * Ternarizes with one method × grouping into a temporary file, evaluates it beside the FP
     * model and prices its packed size. With {@code calibration} (eval.calibrate, no retraining)
     * the calibration inputs come from that data (the training split), evaluation from
     * {@code plan.data()}.
     */
    static Row measure(Plan plan, String method, String grouping, String calibration, Path workDir) throws IOException {
        Path out = Files.createTempFile(workDir, "sweep-", ".onnx");
        try {
            OnnxOptions options = withMethod(plan.base(), method, grouping);
            OnnxResult r = ternarize(plan.model(), out, options, calibration);
            TaskAccuracy a = TaskAccuracy.measure(plan.model(), out, plan.data(), plan.threads());
            ReportData.ModelSize size = OnnxReportPage.size(plan.model(), r, options.packing());
            QuantizeReport q = new QuantizeReport(plan.model().toString(), method, grouping, options.packing().spec(), r.reports(), 0);
            return new Row(method, grouping, calibration, a, q.bitsPerWeight(), size.beforeBytes(), size.afterBytes());
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static OnnxResult ternarize(Path model, Path out, OnnxOptions options, String calibration) throws IOException {
        if (calibration == null) return OnnxTernarizer.run(model, out, options);
        return CalibratedTernarizer.run(model, out, options, CalibrationInputs.load(calibration), Steps.ALL, x -> { }, x -> { }).result();
    }

    static OnnxOptions withMethod(OnnxOptions base, String method, String grouping) {
        return base.withMethod(Projections.parse(method), Grouping.parse(grouping));
    }

    /** The best row by ternary top-1 (then agreement), for the report's detailed section. */
    static Row best(List<Row> rows) {
        return rows.stream().max(Comparator.comparing((Row r) -> r.accuracy().ternaryTop1() == null ? 0 : r.accuracy().ternaryTop1())
                .thenComparingDouble(r -> r.accuracy().agreement())).orElseThrow();
    }

    static void printTable(List<Row> rows, PrintWriter out) {
        TaskAccuracy first = rows.getFirst().accuracy();
        out.printf(Locale.ROOT, "full precision: top-1 %s on %d examples of %s, %d KB%n", TaskAccuracy.percent(first.fpTop1()), first.n(),
                first.data(), rows.getFirst().fpBytes() / 1024);
        String fmt = "%-12s %-10s %9s %8s %10s %8s %10s %8s%n";
        out.printf(Locale.ROOT, fmt, "method", "grouping", "top-1", "Δ top-1", "agreement", "bits/w", "packed KB", "smaller");
        for (Row r : rows) {
            TaskAccuracy a = r.accuracy();
            String delta = a.fpTop1() == null || a.ternaryTop1() == null ? "n/a" : String.format(Locale.ROOT, "%+.2f", 100 * (a.ternaryTop1() - a.fpTop1()));
            out.printf(Locale.ROOT, fmt, r.label(), r.grouping(), TaskAccuracy.percent(a.ternaryTop1()), delta,
                    String.format(Locale.ROOT, "%.2f %%", 100 * a.agreement()), String.format(Locale.ROOT, "%.3f", r.bitsPerWeight()),
                    String.format(Locale.ROOT, "%.1f", r.packedBytes() / 1024.0), String.format(Locale.ROOT, "%.1fx", r.compression()));
        }
        out.flush();
    }

    /** The HTML page: every run's accuracy, and the layers and histograms of the best one. */
    static void writeHtml(Path html, Plan plan, List<Row> rows, Path workDir) throws IOException {
        Row best = best(rows);
        List<ReportData.AccuracyEntry> acc = new ArrayList<>();
        acc.add(new ReportData.AccuracyEntry("full precision", rows.getFirst().accuracy().fpTop1(), null, null));
        for (Row r : rows) acc.add(new ReportData.AccuracyEntry(r.label() + ", " + r.grouping(), r.accuracy().ternaryTop1(), r.accuracy().agreement(), r.accuracy().meanCosine()));
        Path out = Files.createTempFile(workDir, "best-", ".onnx");
        try {
            OnnxOptions options = withMethod(plan.base(), best.method(), best.grouping());
            OnnxResult r = ternarize(plan.model(), out, options, best.calibration());
            OnnxReportPage.write(html, plan.model().getFileName() + ": sweep (layers shown for " + best.label() + ", " + best.grouping() + ")",
                    plan.model(), r, options.packing(), acc, plan.model());
        } finally {
            Files.deleteIfExists(out);
        }
    }

    static Packing defaultPacking() {
        return Packing.BASE3;
    }
}
