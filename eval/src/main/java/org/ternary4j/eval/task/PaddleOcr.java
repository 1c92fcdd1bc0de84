package org.ternary4j.eval.task;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ternary4j.formats.data.NdArray;

/**
 * PaddleOCR's input and output conventions for its text-line models, as its Python inference code
 * applies them: resize to height 48 keeping the aspect ratio (at most the model's width), scale to
 * [−1, 1], pad with zeros on the right, three identical channels; the recogniser's output decoded
 * greedily (CTC: best class per step, repeats merged, blanks dropped).
 */
public final class PaddleOcr {
    public static final int HEIGHT = 48;
    /** The direction classifier's input width (ch_ppocr_mobile_v2.0_cls). */
    public static final int CLS_WIDTH = 192;
    /** The recogniser's input width (PP-OCRv4 rec). */
    public static final int REC_WIDTH = 320;

    private PaddleOcr() {}

    /** Lines as a [n, 3, 48, width] batch; {@code rotate180} turns line i upside down where set. */
    public static NdArray batch(List<TextLines.Line> lines, int width, boolean[] rotate180) {
        int plane = HEIGHT * width;
        float[] out = new float[lines.size() * 3 * plane];
        for (int i = 0; i < lines.size(); i++) {
            TextLines.Line l = lines.get(i);
            int w = (int) Math.min(width, Math.ceil(HEIGHT * (double) l.width() / l.height()));
            float[] resized = resize(l, w);
            boolean flip = rotate180 != null && rotate180[i];
            int base = i * 3 * plane;
            for (int y = 0; y < HEIGHT; y++) {
                for (int x = 0; x < w; x++) {
                    // Rotating the line by 180° before resizing is the same as reading the resized one backwards.
                    float v = flip ? resized[(HEIGHT - 1 - y) * w + (w - 1 - x)] : resized[y * w + x];
                    float n = (v / 255f - 0.5f) / 0.5f;
                    for (int c = 0; c < 3; c++) out[base + c * plane + y * width + x] = n;
                }
            }
        }
        return new NdArray(new int[] {lines.size(), 3, HEIGHT, width}, out);
    }

    /** Bilinear resize to 48 × w with OpenCV's pixel-centre convention (cv2.resize, INTER_LINEAR). */
    static float[] resize(TextLines.Line l, int w) {
        float[] out = new float[HEIGHT * w];
        double sy = (double) l.height() / HEIGHT, sx = (double) l.width() / w;
        for (int y = 0; y < HEIGHT; y++) {
            double fy = Math.max(0, (y + 0.5) * sy - 0.5);
            int y0 = Math.min((int) fy, l.height() - 1), y1 = Math.min(y0 + 1, l.height() - 1);
            double wy = fy - y0;
            for (int x = 0; x < w; x++) {
                double fx = Math.max(0, (x + 0.5) * sx - 0.5);
                int x0 = Math.min((int) fx, l.width() - 1), x1 = Math.min(x0 + 1, l.width() - 1);
                double wx = fx - x0;
                int[] g = l.grey();
                double top = g[y0 * l.width() + x0] * (1 - wx) + g[y0 * l.width() + x1] * wx;
                double bottom = g[y1 * l.width() + x0] * (1 - wx) + g[y1 * l.width() + x1] * wx;
                out[y * w + x] = (float) (top * (1 - wy) + bottom * wy);
            }
        }
        return out;
    }

    /** The recogniser's classes: CTC blank, the dictionary's lines, then a space (use_space_char). */
    public static List<String> characters(Path dictionary) throws IOException {
        List<String> chars = new ArrayList<>();
        chars.add("");
        for (String line : Files.readAllLines(dictionary, StandardCharsets.UTF_8)) chars.add(line.replace("\r", ""));
        chars.add(" ");
        return chars;
    }

    /** Greedy CTC decoding of one example's [steps × classes] scores. */
    public static String decode(float[] scores, int classes, List<String> characters) {
        if (characters.size() != classes) throw new IllegalArgumentException(classes + " output classes but " + characters.size() + " characters in the dictionary");
        StringBuilder s = new StringBuilder();
        int previous = -1;
        for (int t = 0; t + classes <= scores.length; t += classes) {
            int best = 0;
            for (int c = 1; c < classes; c++) if (scores[t + c] > scores[t + best]) best = c;
            if (best != 0 && best != previous) s.append(characters.get(best));
            previous = best;
        }
        return s.toString();
    }

    /** Levenshtein distance between two strings, by code point. */
    public static int editDistance(String a, String b) {
        int[] x = a.codePoints().toArray(), y = b.codePoints().toArray();
        int[] prev = new int[y.length + 1], cur = new int[y.length + 1];
        for (int j = 0; j <= y.length; j++) prev[j] = j;
        for (int i = 1; i <= x.length; i++) {
            cur[0] = i;
            for (int j = 1; j <= y.length; j++) {
                cur[j] = Math.min(Math.min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[y.length];
    }
}
