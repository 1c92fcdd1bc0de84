package org.ternary4j.eval.report;

import java.util.List;
import java.util.Locale;

/**
 * Inline SVG charts drawn by hand: no scripts, no external resources, so a report is one file
 * that opens anywhere. Numbers are formatted with Locale.ROOT so the output is byte-identical
 * whatever the machine's locale.
 */
final class Svg {
    static final int WIDTH = 1000;
    private static final int LABEL_W = 260, BAR_H = 16, GAP = 4, TOP = 28, RIGHT = 70;

    private Svg() {}

    /** A named value to draw as a bar. */
    record Bar(String label, double value) {}

    /**
     * Horizontal bars, one per label, on the scale [0, max] (max ≤ 0 means "largest value").
     * Non-finite values are drawn as a grey "n/a" bar so a missing metric cannot pass for zero.
     */
    static String bars(String title, List<Bar> bars, double max, String color, boolean percent) {
        double top = max;
        if (top <= 0) for (Bar b : bars) if (Double.isFinite(b.value())) top = Math.max(top, b.value());
        top = top <= 0 ? 1 : niceCeiling(top);
        int h = TOP + bars.size() * (BAR_H + GAP) + 24;
        int plotW = WIDTH - LABEL_W - RIGHT;
        StringBuilder s = open(h, title);
        s.append(text(10, 18, title, "title"));
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            int y = TOP + i * (BAR_H + GAP);
            s.append(text(LABEL_W - 8, y + BAR_H - 4, shorten(b.label(), 38), "label end"));
            if (!Double.isFinite(b.value())) {
                s.append(rect(LABEL_W, y, plotW, BAR_H, "#dddddd", "n/a"));
                s.append(text(LABEL_W + 6, y + BAR_H - 4, "n/a", "value"));
                continue;
            }
            double v = Math.max(0, Math.min(b.value(), top));
            s.append(rect(LABEL_W, y, plotW * v / top, BAR_H, color, b.label() + ": " + fmt(b.value(), percent)));
            s.append(text(LABEL_W + plotW * v / top + 4, y + BAR_H - 4, fmt(b.value(), percent), "value"));
        }
        int axisY = TOP + bars.size() * (BAR_H + GAP);
        s.append(line(LABEL_W, TOP - 2, LABEL_W, axisY, "axis"));
        for (int t = 0; t <= 4; t++) {
            double x = LABEL_W + plotW * t / 4.0;
            s.append(line(x, axisY, x, axisY + 4, "axis"));
            s.append(text(x, axisY + 16, fmt(top * t / 4, percent), "tick mid"));
        }
        return s.append("</svg>\n").toString();
    }

    /** A weight histogram with the ternary thresholds as dashed red lines. */
    static String histogram(WeightHistogram h) {
        int height = 220, left = 60, right = 20, top = TOP, bottom = 40;
        int plotW = WIDTH - left - right, plotH = height - top - bottom;
        long peak = 1;
        for (long c : h.counts()) peak = Math.max(peak, c);
        StringBuilder s = open(height, "weights of " + h.name());
        s.append(text(10, 18, "Weights of " + h.name() + " (" + h.total() + " values"
                + (h.nonFinite() > 0 ? ", " + h.nonFinite() + " NaN/Inf not shown" : "") + "); red dashes: " + h.note(), "title"));
        int n = h.counts().length;
        double bw = (double) plotW / n;
        for (int i = 0; i < n; i++) {
            double bh = plotH * (double) h.counts()[i] / peak;
            s.append(rect(left + i * bw, top + plotH - bh, Math.max(bw - 0.5, 0.5), bh, "#4878a8", null));
        }
        double m = h.limit() > 0 ? h.limit() : 1;
        for (double t : h.thresholds()) {
            double x = left + (t + m) / (2 * m) * plotW;
            s.append(line(x, top - 4, x, top + plotH, "threshold"));
            s.append(text(x + 3, top + 6, "Δ=" + num(t), "value"));
        }
        s.append(line(left, top + plotH, left + plotW, top + plotH, "axis"));
        s.append(line(left, top, left, top + plotH, "axis"));
        for (int t = 0; t <= 4; t++) {
            double x = left + plotW * t / 4.0;
            s.append(line(x, top + plotH, x, top + plotH + 4, "axis"));
            s.append(text(x, top + plotH + 16, num(-m + 2 * m * t / 4), "tick mid"));
        }
        s.append(text(left - 6, top + 8, Long.toString(peak), "tick end"));
        s.append(text(left - 6, top + plotH, "0", "tick end"));
        return s.append("</svg>\n").toString();
    }

    /** Training curves: loss on the left axis (auto scale), accuracy on the right (0–100 %). */
    static String training(List<ReportData.TrainingPoint> points) {
        int height = 300, left = 60, right = 60, top = 36, bottom = 40;
        int plotW = WIDTH - left - right, plotH = height - top - bottom;
        double maxLoss = 0;
        int minEpoch = Integer.MAX_VALUE, maxEpoch = Integer.MIN_VALUE;
        for (ReportData.TrainingPoint p : points) {
            if (Double.isFinite(p.loss())) maxLoss = Math.max(maxLoss, p.loss());
            minEpoch = Math.min(minEpoch, p.epoch());
            maxEpoch = Math.max(maxEpoch, p.epoch());
        }
        maxLoss = maxLoss <= 0 ? 1 : niceCeiling(maxLoss);
        double span = Math.max(1, maxEpoch - minEpoch);
        StringBuilder s = open(height, "training loss and accuracy");
        s.append(text(10, 18, "Training: loss (blue, left) and accuracy (green, right)", "title"));
        StringBuilder loss = new StringBuilder(), acc = new StringBuilder();
        for (ReportData.TrainingPoint p : points) {
            double x = left + (p.epoch() - minEpoch) / span * plotW;
            if (Double.isFinite(p.loss())) {
                double y = top + plotH * (1 - Math.max(0, p.loss()) / maxLoss);
                loss.append(num(x)).append(',').append(num(y)).append(' ');
                s.append("<circle cx=\"").append(num(x)).append("\" cy=\"").append(num(y)).append("\" r=\"3\" fill=\"#2b6cb0\"/>");
            }
            if (Double.isFinite(p.accuracy())) {
                double y = top + plotH * (1 - Math.max(0, Math.min(1, p.accuracy())));
                acc.append(num(x)).append(',').append(num(y)).append(' ');
                s.append("<circle cx=\"").append(num(x)).append("\" cy=\"").append(num(y)).append("\" r=\"3\" fill=\"#2f855a\"/>");
            }
        }
        s.append("<polyline class=\"loss\" points=\"").append(loss.toString().strip()).append("\"/>\n");
        s.append("<polyline class=\"acc\" points=\"").append(acc.toString().strip()).append("\"/>\n");
        s.append(line(left, top + plotH, left + plotW, top + plotH, "axis"));
        s.append(line(left, top, left, top + plotH, "axis"));
        s.append(line(left + plotW, top, left + plotW, top + plotH, "axis"));
        for (int t = 0; t <= 4; t++) {
            double y = top + plotH * (1 - t / 4.0);
            s.append(text(left - 6, y + 4, num(maxLoss * t / 4), "tick end"));
            s.append(text(left + plotW + 6, y + 4, (25 * t) + " %", "tick"));
        }
        int ticks = (int) Math.min(span, 10);
        for (int t = 0; t <= ticks; t++) {
            double e = minEpoch + span * t / ticks;
            double x = left + plotW * t / (double) ticks;
            s.append(text(x, top + plotH + 16, num(e), "tick mid"));
        }
        s.append(text(left + plotW / 2.0, height - 6, "epoch", "tick mid"));
        return s.append("</svg>\n").toString();
    }

    private static StringBuilder open(int height, String label) {
        return new StringBuilder().append("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"").append(Html.escape(label))
                .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height).append("\" width=\"").append(WIDTH)
                .append("\" height=\"").append(height).append("\">\n");
    }

    private static String rect(double x, double y, double w, double h, String fill, String tooltip) {
        String r = "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(w) + "\" height=\"" + num(h) + "\" fill=\"" + fill + "\"";
        return tooltip == null ? r + "/>\n" : r + "><title>" + Html.escape(tooltip) + "</title></rect>\n";
    }

    private static String line(double x1, double y1, double x2, double y2, String cls) {
        return "<line class=\"" + cls + "\" x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) + "\"/>\n";
    }

    private static String text(double x, double y, String t, String cls) {
        return "<text class=\"" + cls + "\" x=\"" + num(x) + "\" y=\"" + num(y) + "\">" + Html.escape(t) + "</text>\n";
    }

    /** The smallest 1, 2, 2.5 or 5 × 10^k at or above v, so axis ticks land on round numbers. */
    static double niceCeiling(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) if (m * p >= v * (1 - 1e-12)) return m * p;
        return 10 * p;
    }

    static String shorten(String s, int max) {
        return s.length() <= max ? s : "…" + s.substring(s.length() - max + 1);
    }

    static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) return Long.toString((long) v);
        return String.format(Locale.ROOT, Math.abs(v) >= 0.01 || v == 0 ? "%.3f" : "%.2e", v).replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "");
    }

    static String fmt(double v, boolean percent) {
        if (percent) return String.format(Locale.ROOT, "%.2f %%", 100 * v);
        return String.format(Locale.ROOT, "%.4f", v).replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "");
    }
}
