package org.ternary4j.eval.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;
import org.w3c.dom.Document;

class HtmlReportTest {
    @TempDir Path dir;

    private static final Pattern SVG = Pattern.compile("<svg.*?</svg>", Pattern.DOTALL);

    @Test
    void histogramCountsMatchABruteForceBinning() {
        WeightHistogram h = WeightHistogram.of("w", new float[] {-1, -0.5f, 0, 0.5f, 1, Float.NaN, Float.POSITIVE_INFINITY}, 4, -0.3, 0.3);
        // Bins over [-1, 1]: [-1,-.5) [-.5,0) [0,.5) [.5,1]; the right edge belongs to the last bin.
        assertArrayEquals(new long[] {1, 1, 1, 2}, h.counts());
        assertEquals(2, h.nonFinite());
        assertEquals(1.0, h.limit());
        assertEquals(5, h.total());
        WeightHistogram zeros = WeightHistogram.of("z", new float[] {0, 0, 0}, 5);
        assertArrayEquals(new long[] {0, 0, 3, 0, 0}, zeros.counts());
        assertThrows(IllegalArgumentException.class, () -> WeightHistogram.of("w", new float[1], 0));
    }

    @Test
    void thresholdsFromATernaryTensorAreTheSmallestKeptMagnitudes() {
        float[] w = {0.9f, -0.5f, 0.1f, -0.05f, 0.4f};
        TernaryTensor t = new Ternarizer(Projections.parse("tnt"), Grouping.parse("tensor")).apply(new int[] {1, 5}, w);
        // methods.md §1.4: TNT keeps 0.9, -0.5, 0.4.
        assertArrayEquals(new double[] {-0.5, 0.4f}, WeightHistogram.of("w", w, t, 10).thresholds(), 1e-7);
        float[] rows = {0.9f, 0.1f, -0.8f, 0.05f, 0.3f, -0.2f, 0.31f, 0f, 0.6f, -0.6f, 0.6f, -0.6f};
        TernaryTensor r = new Ternarizer(Projections.parse("tnt"), Grouping.parse("row")).apply(new int[] {3, 4}, rows);
        WeightHistogram h = WeightHistogram.of("r", rows, r, 10);
        double minPos = Double.MAX_VALUE;
        for (int i = 0; i < rows.length; i++) if (r.codes()[i] > 0) minPos = Math.min(minPos, rows[i]);
        assertTrue(h.thresholds()[1] >= minPos, "the median of per-row cuts is at least the smallest cut");
        assertTrue(h.note().contains("median over 3 groups"));
    }

    @Test
    void rendersEverySectionAsWellFormedSvgWithoutExternalResources() throws Exception {
        ReportData data = SampleReports.sample();
        String html = HtmlReport.render(data);
        List<String> svgs = SVG.matcher(html).results().map(m -> m.group()).toList();
        // accuracy bars, size bars, three per-layer charts, one histogram per layer, the training chart
        assertEquals(1 + 1 + 3 + data.histograms().size() + 1, svgs.size());
        for (String svg : svgs) {
            Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
            assertEquals("svg", doc.getDocumentElement().getTagName());
        }
        int layers = data.layers().size();
        assertEquals(layers, count(svgs.get(2), "<rect"), "one cosine bar per layer");
        assertEquals(61, count(svgs.get(5), "<rect"), "one rect per histogram bin");
        assertEquals(2, count(svgs.get(5), "class=\"threshold\""), "both thresholds marked");
        assertEquals(2, count(svgs.get(svgs.size() - 1), "<polyline"), "loss and accuracy curves");

        assertFalse(html.contains("<script"), "no scripts");
        assertFalse(html.contains("src="), "no external images or scripts");
        assertEquals(html.split("http").length - 1, count(html, "http://www.w3.org/2000/svg"), "the only URL is the SVG namespace");
        assertTrue(html.contains("fc1.weight &lt;hidden&gt;") && !html.contains("<hidden>"), "names are escaped");
        assertTrue(html.contains("13.28× smaller"));
    }

    @Test
    void outputIsIdenticalAcrossRunsAndLocales() {
        String first = HtmlReport.render(SampleReports.sample());
        Locale old = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);
            assertEquals(first, HtmlReport.render(SampleReports.sample()));
        } finally {
            Locale.setDefault(old);
        }
    }

    @Test
    void emptySectionsSaySoAndWriteIsAtomic() throws IOException {
        ReportData empty = new ReportData("empty", List.of(), List.of(), null, List.of(), List.of());
        String html = HtmlReport.render(empty);
        assertEquals(0, count(html, "<svg"));
        assertTrue(html.contains("No training log"));
        Path out = dir.resolve("r.html");
        HtmlReport.write(empty, out);
        assertEquals(html, Files.readString(out));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
        assertThrows(IOException.class, () -> HtmlReport.write(empty, dir.resolve("missing/r.html")));
    }

    @Test
    void mixedPrecisionSectionListsEveryLayersChoiceSensitivityAndWhy() {
        ReportData d = new ReportData("mixed", List.of(), List.of(), null, List.of(), List.of()).withMixed(new ReportData.MixedPrecision(3.0, 2.95, List.of(
                new ReportData.LayerChoice("conv1.w", 432, "int8", 8.59, 0.31, "estimated output error <1e-5 instead of 0.31 (row)"),
                new ReportData.LayerChoice("fc.w", 1000, "row", 1.7, 0.002, "cheapest choice"),
                new ReportData.LayerChoice("head.w", 10, "fixed", 32, null, "excluded by 'head*'"))));
        String html = HtmlReport.render(d);
        assertTrue(html.contains("<h2>Mixed precision</h2>"));
        assertTrue(html.contains("Budget 3.000 bits/weight over every weight layer; chosen: 2.950."), html);
        assertTrue(html.contains("<td class=\"name\">conv1.w</td><td>432</td><td class=\"name\">int8</td><td>8.590</td><td>0.310</td>"), html);
        assertTrue(html.contains("estimated output error &lt;1e-5 instead of 0.31 (row)"), "escaped");
        assertTrue(html.contains("<td>32.000</td><td>–</td><td class=\"name\">excluded by &#39;head*&#39;</td>"), html);
        assertEquals(-1, HtmlReport.render(new ReportData("plain", List.of(), List.of(), null, List.of(), List.of())).indexOf("Mixed precision"));
    }

    static int count(String s, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(s);
        int c = 0;
        while (m.find()) c++;
        return c;
    }
}
