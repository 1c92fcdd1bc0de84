package org.ternary4j.eval.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.GroupLayout;

/**
 * Counts of a tensor's weights in equal-width bins over [−m, m], m = max |w| (symmetric, so the
 * ternary thresholds ±Δ sit at matching distances from the centre), with the thresholds the
 * method chose ({@code note} says what they are). NaN and ±Inf weights are counted apart in
 * {@code nonFinite}.
 */
public record WeightHistogram(String name, double limit, long[] counts, double[] thresholds, String note, long nonFinite) {

    public WeightHistogram {
        counts = counts.clone();
        thresholds = thresholds.clone();
    }

    public static WeightHistogram of(String name, float[] weights, int bins, double... thresholds) {
        return of(name, weights, bins, thresholds, "thresholds");
    }

    /**
     * The histogram of {@code weights} with the thresholds {@code t} actually applied: on each side,
     * the smallest kept magnitude (the weights just above the cut). With several groups each has
     * its own cut; the lines then mark the median over groups, and the note says so.
     */
    public static WeightHistogram of(String name, float[] weights, TernaryTensor t, int bins) {
        if (weights.length != t.codes().length) throw new IllegalArgumentException(name + ": " + weights.length + " weights for " + t.codes().length + " codes");
        GroupLayout layout = t.grouping().layout(t.shape());
        List<Double> pos = new ArrayList<>(), neg = new ArrayList<>();
        for (int g = 0; g < layout.groupCount(); g++) {
            double minPos = Double.POSITIVE_INFINITY, minNeg = Double.POSITIVE_INFINITY;
            for (int j = 0; j < layout.size(g); j++) {
                int p = layout.position(g, j);
                if (t.codes()[p] > 0) minPos = Math.min(minPos, weights[p]);
                if (t.codes()[p] < 0) minNeg = Math.min(minNeg, -weights[p]);
            }
            if (minPos < Double.POSITIVE_INFINITY) pos.add(minPos);
            if (minNeg < Double.POSITIVE_INFINITY) neg.add(minNeg);
        }
        List<Double> th = new ArrayList<>();
        if (!neg.isEmpty()) th.add(-median(neg));
        if (!pos.isEmpty()) th.add(median(pos));
        String note = layout.groupCount() == 1 ? "smallest kept |w| on each side"
                : "median over " + layout.groupCount() + " groups of the smallest kept |w| on each side";
        return of(name, weights, bins, th.stream().mapToDouble(Double::doubleValue).toArray(), note);
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static WeightHistogram of(String name, float[] weights, int bins, double[] thresholds, String note) {
        if (bins < 1) throw new IllegalArgumentException("bins must be ≥ 1, got " + bins);
        double m = 0;
        long nonFinite = 0;
        for (float w : weights) {
            if (Float.isFinite(w)) m = Math.max(m, Math.abs(w));
            else nonFinite++;
        }
        long[] counts = new long[bins];
        for (float w : weights) {
            if (!Float.isFinite(w)) continue;
            counts[bin(w, m, bins)]++;
        }
        return new WeightHistogram(name, m, counts, thresholds, note, nonFinite);
    }

    /** Bin of w in [−m, m]; the right edge belongs to the last bin; all-zero weights go to the middle. */
    static int bin(double w, double m, int bins) {
        if (m == 0) return bins / 2;
        int b = (int) Math.floor((w + m) / (2 * m) * bins);
        return Math.max(0, Math.min(bins - 1, b));
    }

    public long total() {
        long t = 0;
        for (long c : counts) t += c;
        return t;
    }
}
