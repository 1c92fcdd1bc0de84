package org.ternary4j.eval.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Opens a sample report in headless Chromium, as a person would, and checks that it shows:
 * a screenshot with the charts' colours in it, and a DOM holding every SVG chart.
 * The PNG stays in eval/target/report-browser/ for a human look.
 */
class HtmlReportBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    private static String run(Path profile, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--hide-scrollbars", "--user-data-dir=" + profile));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("chromium did not finish in 90 s");
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void reportDisplaysInHeadlessChromium() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM),
                "chromium not installed (apt-get install -y chromium); skipping the browser rendering check");
        Path dir = Files.createDirectories(Path.of("target", "report-browser").toAbsolutePath());
        Path html = dir.resolve("sample-report.html");
        ReportData data = SampleReports.sample();
        HtmlReport.write(data, html);
        Path png = dir.resolve("sample-report.png");
        Files.deleteIfExists(png);
        Path profile = Files.createTempDirectory(dir, "profile");
        try {
            check(html, png, profile, data);
        } finally {
            try (var walk = Files.walk(profile)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static void check(Path html, Path png, Path profile, ReportData data) throws Exception {

        run(profile, "--screenshot=" + png, "--window-size=1200,2000", html.toUri().toString());
        assertTrue(Files.isRegularFile(png), "chromium wrote no screenshot");
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(1200, img.getWidth());
        long nonWhite = 0, red = 0, blue = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y), r = rgb >> 16 & 0xff, g = rgb >> 8 & 0xff, b = rgb & 0xff;
                if (r < 245 || g < 245 || b < 245) nonWhite++;
                if (near(r, g, b, 0xe5, 0x3e, 0x3e)) red++;   // threshold lines
                if (near(r, g, b, 0x48, 0x78, 0xa8)) blue++;  // histogram bars
            }
        }
        long total = (long) img.getWidth() * img.getHeight();
        assertTrue(nonWhite > total / 20, "page looks blank: " + nonWhite + " of " + total + " pixels drawn");
        assertTrue(red > 100, "threshold lines not visible (" + red + " red pixels)");
        assertTrue(blue > 1000, "histogram bars not visible (" + blue + " blue pixels)");

        String dom = run(profile, "--dump-dom", html.toUri().toString());
        assertEquals(1 + 1 + 3 + data.histograms().size() + 1, HtmlReportTest.count(dom, "<svg"));
        assertTrue(HtmlReportTest.count(dom, "<rect") >= 61 * data.histograms().size());
    }

    private static boolean near(int r, int g, int b, int er, int eg, int eb) {
        return Math.abs(r - er) < 12 && Math.abs(g - eg) < 12 && Math.abs(b - eb) < 12;
    }
}
