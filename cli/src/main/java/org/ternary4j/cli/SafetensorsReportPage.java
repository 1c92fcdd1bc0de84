package org.ternary4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.metrics.TensorReport;
import org.ternary4j.eval.report.HtmlReport;
import org.ternary4j.eval.report.ReportData;
import org.ternary4j.eval.report.WeightHistogram;
import org.ternary4j.formats.safetensors.ReadLimits;
import org.ternary4j.formats.safetensors.SafetensorsCheckpoint;
import org.ternary4j.ptq.SafetensorsQuantization;

/**
 * The HTML report of a ternarized safetensors checkpoint: per-tensor table, weight histograms
 * (taken while each tensor passes, so a large checkpoint is never held whole), and size. Wraps the
 * progress monitor of the run.
 */
final class SafetensorsReportPage implements SafetensorsQuantization.Monitor {
    private static final int BINS = 60;

    private final SafetensorsQuantization.Monitor inner;
    private final List<WeightHistogram> histograms = new ArrayList<>();

    SafetensorsReportPage(SafetensorsQuantization.Monitor inner) {
        this.inner = inner;
    }

    @Override
    public void start(long elements, int tensors) {
        inner.start(elements, tensors);
    }

    @Override
    public void done(long elements) {
        inner.done(elements);
    }

    /** Records the tensor's histogram (bins only: the values are not kept). */
    @Override
    public boolean wantsWholeTensors() {
        return true;
    }

    @Override
    public void ternarized(String name, float[] w, TernaryTensor t) {
        inner.ternarized(name, w, t);
        histograms.add(WeightHistogram.of(name, w, t, BINS));
    }

    /** Writes the page; sizes: the input's shards before, and after with every ternarized tensor stored packed (codes + fp32 scales). */
    void write(Path html, Path input, SafetensorsQuantization.Outcome outcome) throws IOException {
        long before = SafetensorsCheckpoint.isShardedOrFolder(input) ? SafetensorsCheckpoint.shardBytes(input) : Files.size(input);
        long after = before;
        try (SafetensorsCheckpoint in = SafetensorsCheckpoint.open(input, ReadLimits.DEFAULT)) {
            Map<String, Long> dense = new HashMap<>();
            for (SafetensorsCheckpoint.Entry e : in.tensors()) dense.put(e.info().name(), e.info().spec().byteSize());
            for (TensorReport r : outcome.report().tensors()) after += Math.round(r.metrics().bitsPerWeight() * r.params() / 8) - dense.get(r.name());
        }
        String title = input.getFileName() + ": " + outcome.report().method() + ", " + outcome.report().grouping();
        HtmlReport.write(new ReportData(title, outcome.report().tensors(), histograms, new ReportData.ModelSize(before, Math.max(0, after)),
                List.of(), List.of()), html);
    }
}
