package org.ternary4j.eval.report;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.metrics.TensorMetrics;
import org.ternary4j.core.metrics.TensorReport;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projections;

/** A realistic report: Gaussian layers ternarized with the core's TNT, per row and per tensor. */
final class SampleReports {
    private SampleReports() {}

    record Layer(String name, int[] shape, String grouping) {}

    static final List<Layer> LAYERS = List.of(
            new Layer("conv1.weight", new int[] {8, 1, 5, 5}, "tensor"),
            new Layer("conv2.weight", new int[] {16, 8, 5, 5}, "row"),
            new Layer("fc1.weight <hidden>", new int[] {64, 256}, "row"),
            new Layer("fc2.weight", new int[] {10, 64}, "tensor"));

    static ReportData sample() {
        SplittableRandom rnd = new SplittableRandom(2024);
        List<TensorReport> reports = new ArrayList<>();
        List<WeightHistogram> hist = new ArrayList<>();
        for (Layer l : LAYERS) {
            int n = 1;
            for (int d : l.shape()) n *= d;
            float[] w = new float[n];
            for (int i = 0; i < n; i++) w[i] = (float) (rnd.nextGaussian() * 0.1);
            TernaryTensor t = new Ternarizer(Projections.parse("tnt"), Grouping.parse(l.grouping())).apply(l.shape(), w);
            TensorMetrics m = TensorMetrics.of(w, t.dequantize(), t.sparsity(), t.bitsPerWeight(Packing.TWO_BIT));
            reports.add(TensorReport.of(l.name(), l.shape(), "tnt", l.grouping(), m));
            hist.add(WeightHistogram.of(l.name(), w, t, 61));
        }
        List<ReportData.TrainingPoint> log = new ArrayList<>();
        for (int e = 1; e <= 10; e++) log.add(new ReportData.TrainingPoint(e, 1.2 * Math.exp(-0.3 * e) + 0.2, 0.9 - 0.4 * Math.exp(-0.5 * e)));
        return new ReportData("LeNet-5 on Fashion-MNIST: TNT ternarization", reports, hist,
                new ReportData.ModelSize(1_740_000, 131_000),
                List.of(new ReportData.AccuracyEntry("fp32", 0.8912, null, null),
                        new ReportData.AccuracyEntry("ternary (tnt, row)", 0.8571, 0.9302, 0.981234),
                        new ReportData.AccuracyEntry("ternary + QAT", 0.8855, 0.9710, 0.993400)),
                log);
    }
}
