package org.ternary4j.eval.task;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontFormatException;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.font.FontRenderContext;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Printed text lines rendered with the machine's TrueType fonts (Debian's DejaVu and Liberation):
 * task data for OCR models that nobody here trained. Line i of a set depends only on (seed, i), so
 * a calibration set and an evaluation set with different seeds are reproducible and, as
 * {@link #disjoint} checks, share no text.
 */
public final class TextLines {
    /** One rendered line: its text and a grey-scale image (0 black … 255 white), row-major. */
    public record Line(String text, int width, int height, int[] grey) {}

    static final Path FONT_ROOT = Path.of("/usr/share/fonts/truetype");

    private static final String[] WORDS = ("time year people way day man thing woman life child world school state family student "
            + "group country problem hand part place case week company system program question work government number night point "
            + "home water room mother area money story fact month lot right study book eye job word business issue side kind head "
            + "house service friend father power hour game line end member law car city community name president team minute idea "
            + "kid body information back parent face others level office door health person art war history party result change "
            + "morning reason research girl guy moment air teacher force education foot boy age policy music market sense nation "
            + "plan college interest death experience effect class control care field development role effort rate heart drug show "
            + "leader light voice wife police mind price report decision son view relationship town road arm difference value "
            + "building action model season society tax director position player record paper space ground form event official "
            + "matter center couple site project activity star table need court oil situation cost industry figure street image "
            + "phone data picture practice piece land product doctor wall patient worker news test movie north love support "
            + "technology step baby computer type attention film tree source organization hair window evidence population site").split(" ");

    private final List<Font> fonts;

    private TextLines(List<Font> fonts) {
        this.fonts = fonts;
    }

    /** The TrueType fonts under /usr/share/fonts/truetype, in a fixed order; an error when there are none. */
    public static TextLines withSystemFonts() throws IOException {
        return withFonts(FONT_ROOT);
    }

    static TextLines withFonts(Path root) throws IOException {
        List<Path> files;
        if (!Files.isDirectory(root)) files = List.of();
        else try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(p -> p.toString().endsWith(".ttf")).sorted().toList();
        }
        List<Font> fonts = new ArrayList<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            // Plain upright faces only: oblique, italic and light faces are not what print looks like.
            if (name.contains("Oblique") || name.contains("Italic") || name.contains("Light") || name.contains("Narrow")) continue;
            try {
                fonts.add(Font.createFont(Font.TRUETYPE_FONT, f.toFile()));
            } catch (FontFormatException e) {
                throw new IOException(f + ": not a usable TrueType font (" + e.getMessage() + ")");
            }
        }
        if (fonts.isEmpty()) throw new IOException(root + ": no TrueType fonts to render text with (apt-get install fonts-dejavu-core fonts-liberation)");
        return new TextLines(List.copyOf(fonts));
    }

    public int fontCount() {
        return fonts.size();
    }

    /** The text of line {@code i} of the set {@code seed}: two to four words, sometimes a number, at most 20 characters. */
    public static String text(long seed, int i) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + i);
        StringBuilder s = new StringBuilder();
        int words = 2 + r.nextInt(3);
        for (int w = 0; w < words; w++) {
            String word = r.nextInt(6) == 0 ? Integer.toString(r.nextInt(10_000)) : WORDS[r.nextInt(WORDS.length)];
            if (r.nextInt(5) == 0) word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
            if (s.length() + 1 + word.length() > 20) break;
            if (!s.isEmpty()) s.append(' ');
            s.append(word);
        }
        return s.isEmpty() ? WORDS[r.nextInt(WORDS.length)] : s.toString();
    }

    private Line render(String text, SplittableRandom r) {
        Font font = fonts.get(r.nextInt(fonts.size())).deriveFont((float) (24 + r.nextInt(17)));
        FontRenderContext frc = new FontRenderContext(null, true, true);
        Rectangle2D box = font.getStringBounds(text, frc);
        int marginX = 4 + r.nextInt(12), marginY = 3 + r.nextInt(8);
        int w = (int) Math.ceil(box.getWidth()) + 2 * marginX, h = (int) Math.ceil(box.getHeight()) + 2 * marginY;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = img.createGraphics();
        try {
            int paper = 215 + r.nextInt(41), ink = r.nextInt(70);
            g.setColor(new Color(paper, paper, paper));
            g.fillRect(0, 0, w, h);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
            g.setColor(new Color(ink, ink, ink));
            g.setFont(font);
            g.drawString(text, marginX, (float) (marginY - box.getY()));
        } finally {
            g.dispose();
        }
        int[] grey = img.getRaster().getPixels(0, 0, w, h, (int[]) null);
        return new Line(text, w, h, grey);
    }

    /**
     * The texts of a set that shares no line with another: set {@code seed}'s lines in order,
     * skipping any text that occurs among the first {@code excludedCount} lines of set
     * {@code excludedSeed} (calibration lines are never evaluated on).
     */
    public static List<String> textsDisjointFrom(long seed, int count, long excludedSeed, int excludedCount) {
        java.util.Set<String> excluded = new java.util.HashSet<>();
        for (int i = 0; i < excludedCount; i++) excluded.add(text(excludedSeed, i));
        List<String> out = new ArrayList<>(count);
        for (int i = 0; out.size() < count; i++) {
            String t = text(seed, i);
            if (!excluded.contains(t)) out.add(t);
        }
        return out;
    }

    /** The given texts rendered: random font, size, ink and paper shades, margins; line i depends only on (seed, i). */
    public List<Line> render(List<String> texts, long seed) {
        List<Line> out = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) out.add(render(texts.get(i), new SplittableRandom(seed * 7_919L + i + 1)));
        return out;
    }
}
