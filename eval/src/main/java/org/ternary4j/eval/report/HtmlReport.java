package org.ternary4j.eval.report;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.ternary4j.core.metrics.TensorReport;
import org.ternary4j.formats.AtomicOutput;

/**
 * Renders a {@link ReportData} as one self-contained HTML file: inline CSS and SVG, no scripts,
 * no fonts or images from elsewhere. The same data gives the same bytes.
 */
public final class HtmlReport {
    private HtmlReport() {}

    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1a202c;max-width:1040px}
            h1{font-size:24px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #cbd5e0;padding-bottom:4px}
            svg{display:block;margin:8px 0;max-width:100%;height:auto;background:#fff}
            text{font-size:12px;fill:#2d3748}text.title{font-size:14px;font-weight:600}
            text.end{text-anchor:end}text.mid{text-anchor:middle}text.tick{font-size:11px;fill:#4a5568}
            line.axis{stroke:#718096;stroke-width:1}line.threshold{stroke:#e53e3e;stroke-width:2;stroke-dasharray:6 4}
            polyline.loss{fill:none;stroke:#2b6cb0;stroke-width:2}polyline.acc{fill:none;stroke:#2f855a;stroke-width:2}
            table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border:1px solid #e2e8f0;padding:3px 8px;text-align:right}
            th{background:#edf2f7}td.name,th.name{text-align:left;font-family:ui-monospace,monospace}
            p.none{color:#718096;font-style:italic}
            """;

    public static String render(ReportData d) {
        StringBuilder s = new StringBuilder();
        s.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").append(Html.escape(d.title()))
                .append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n<h1>").append(Html.escape(d.title())).append("</h1>\n");
        accuracy(s, d.accuracies());
        size(s, d.size());
        layers(s, d.layers());
        if (d.mixed() != null) mixed(s, d.mixed());
        s.append("<h2>Weight histograms</h2>\n");
        if (d.histograms().isEmpty()) none(s, "No weight histograms in this report.");
        for (WeightHistogram h : d.histograms()) s.append(Svg.histogram(h));
        s.append("<h2>Training</h2>\n");
        if (d.training().isEmpty()) none(s, "No training log (post-training ternarization, or the log was not given).");
        else s.append(Svg.training(d.training()));
        return s.append("</body>\n</html>\n").toString();
    }

    /** Writes the report atomically (temporary file, fsync, rename). */
    public static void write(ReportData d, Path file) throws IOException {
        try (AtomicOutput out = AtomicOutput.open(file)) {
            ByteBuffer b = ByteBuffer.wrap(render(d).getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) out.channel().write(b);
            out.commit();
        }
    }

    private static void accuracy(StringBuilder s, List<ReportData.AccuracyEntry> runs) {
        s.append("<h2>Accuracy</h2>\n");
        if (runs.isEmpty()) {
            none(s, "No evaluation runs in this report.");
            return;
        }
        List<Svg.Bar> bars = new ArrayList<>();
        for (ReportData.AccuracyEntry r : runs) if (r.top1() != null) bars.add(new Svg.Bar(r.label(), r.top1()));
        if (!bars.isEmpty()) s.append(Svg.bars("Top-1 accuracy", bars, 1, "#2f855a", true));
        s.append("<table>\n<tr><th class=\"name\">run</th><th>top-1</th><th>agreement with reference</th><th>output cosine</th></tr>\n");
        for (ReportData.AccuracyEntry r : runs) {
            s.append("<tr><td class=\"name\">").append(Html.escape(r.label())).append("</td><td>").append(pct(r.top1()))
                    .append("</td><td>").append(pct(r.agreement())).append("</td><td>")
                    .append(r.cosine() == null ? "–" : String.format(Locale.ROOT, "%.6f", r.cosine())).append("</td></tr>\n");
        }
        s.append("</table>\n");
    }

    private static void size(StringBuilder s, ReportData.ModelSize size) {
        s.append("<h2>Model size</h2>\n");
        if (size == null) {
            none(s, "Sizes not given.");
            return;
        }
        double mb = 1024 * 1024;
        s.append(Svg.bars("File size (MiB)", List.of(new Svg.Bar("before", size.beforeBytes() / mb), new Svg.Bar("after", size.afterBytes() / mb)),
                0, "#805ad5", false));
        s.append("<p>").append(size.beforeBytes()).append(" → ").append(size.afterBytes()).append(" bytes");
        if (size.afterBytes() > 0) s.append(String.format(Locale.ROOT, " (%.2f× smaller)", (double) size.beforeBytes() / size.afterBytes()));
        s.append("</p>\n");
    }

    private static void layers(StringBuilder s, List<TensorReport> layers) {
        s.append("<h2>Per-layer damage</h2>\n");
        if (layers.isEmpty()) {
            none(s, "No per-layer metrics in this report.");
            return;
        }
        List<Svg.Bar> cos = new ArrayList<>(), err = new ArrayList<>(), zero = new ArrayList<>();
        for (TensorReport t : layers) {
            cos.add(new Svg.Bar(t.name(), t.metrics().cosine()));
            err.add(new Svg.Bar(t.name(), t.metrics().relL2()));
            zero.add(new Svg.Bar(t.name(), t.metrics().sparsity()));
        }
        s.append(Svg.bars("Cosine similarity to the original weights (1 = identical)", cos, 1, "#2b6cb0", false));
        s.append(Svg.bars("Relative error ‖w − q‖ / ‖w‖ (0 = identical)", err, 0, "#dd6b20", false));
        s.append(Svg.bars("Sparsity (fraction of zero codes)", zero, 1, "#718096", true));
        s.append("<table>\n<tr><th class=\"name\">tensor</th><th>op</th><th>shape</th><th>method</th><th>grouping</th><th>params</th>"
                + "<th>cosine</th><th>rel. error</th><th>sparsity</th><th>bits/weight</th></tr>\n");
        for (TensorReport t : layers) {
            s.append("<tr><td class=\"name\">").append(Html.escape(t.name())).append("</td><td>").append(Html.escape(t.op() == null ? "–" : t.op()))
                    .append("</td><td>").append(Arrays.toString(t.shape())).append("</td><td>").append(Html.escape(t.method()))
                    .append("</td><td>").append(Html.escape(t.grouping())).append("</td><td>").append(t.params())
                    .append(String.format(Locale.ROOT, "</td><td>%.6f</td><td>%.6f</td><td>%.2f %%</td><td>%.3f</td></tr>\n",
                            t.metrics().cosine(), t.metrics().relL2(), 100 * t.metrics().sparsity(), t.metrics().bitsPerWeight()));
        }
        s.append("</table>\n");
    }

    private static void mixed(StringBuilder s, ReportData.MixedPrecision m) {
        s.append("<h2>Mixed precision</h2>\n");
        s.append(String.format(Locale.ROOT, "<p>Budget %.3f bits/weight over every weight layer; chosen: %.3f.</p>%n", m.budget(), m.bitsPerWeight()));
        List<Svg.Bar> bits = new ArrayList<>();
        for (ReportData.LayerChoice c : m.layers()) bits.add(new Svg.Bar(c.weight() + " (" + c.choice() + ")", c.bitsPerWeight()));
        if (!bits.isEmpty()) s.append(Svg.bars("Bits per weight chosen per layer", bits, 0, "#805ad5", false));
        s.append("<table>\n<tr><th class=\"name\">weight</th><th>params</th><th class=\"name\">choice</th><th>bits/weight</th><th>sensitivity</th>"
                + "<th class=\"name\">why</th></tr>\n");
        for (ReportData.LayerChoice c : m.layers()) {
            s.append("<tr><td class=\"name\">").append(Html.escape(c.weight())).append("</td><td>").append(c.params())
                    .append("</td><td class=\"name\">").append(Html.escape(c.choice()))
                    .append(String.format(Locale.ROOT, "</td><td>%.3f</td><td>%s</td>", c.bitsPerWeight(),
                            c.sensitivity() == null ? "–" : String.format(Locale.ROOT, "%.3g", c.sensitivity())))
                    .append("<td class=\"name\">").append(Html.escape(c.why())).append("</td></tr>\n");
        }
        s.append("</table>\n");
    }

    private static String pct(Double v) {
        return v == null ? "–" : String.format(Locale.ROOT, "%.2f %%", 100 * v);
    }

    private static void none(StringBuilder s, String text) {
        s.append("<p class=\"none\">").append(Html.escape(text)).append("</p>\n");
    }
}
