package org.ternary4j.eval.task;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Texts to fit a sentence-embedding model on, of the two kinds {@link SentenceRetrieval} compares:
 * short ones (package synopses, the one-line summary of a man page's NAME section) and long ones
 * (package long descriptions, the first paragraph of a man page's DESCRIPTION). Sources: a file of
 * Debian control stanzas (an apt Packages list or Translation-en list decompressed, or a dpkg
 * status file; .gz read as such) or a directory of man pages (man(7) sources, .gz or plain).
 * Nothing of the evaluation split comes through: stanzas of its packages are skipped, and so is any
 * text equal to one of its synopses or descriptions (ignoring case and spacing), or a long text
 * that opens with the same {@value #PREFIX_WORDS} words as one of its descriptions, or a short one
 * that opens with one of its whole synopses (a sibling package's text that repeats the evaluated
 * one and adds to it). The choice is deterministic: each kind is
 * de-duplicated, sorted, shuffled by {@code seed} and cut to half the count.
 */
public final class TrainingTexts {
    /** Long texts have at least this many words (as the sentence-retrieval pairs' descriptions do). */
    static final int LONG_WORDS = 8;
    /** Long texts opening with this many of a held-out description's words are held out too. */
    static final int PREFIX_WORDS = 8;
    private static final Pattern SPACES = Pattern.compile("\\s+");

    /** The chosen texts, short then long, and how many of each kind the sources offered. */
    public record Selection(List<String> shortTexts, List<String> longTexts, int shortAvailable, int longAvailable) {
        public List<String> all() {
            List<String> out = new ArrayList<>(shortTexts);
            out.addAll(longTexts);
            return out;
        }
    }

    private final Map<String, String> shortTexts = new LinkedHashMap<>(), longTexts = new LinkedHashMap<>();
    private final Set<String> heldOutNames = new HashSet<>(), heldOutTexts = new HashSet<>(), heldOutOpenings = new HashSet<>();

    private TrainingTexts(List<SentenceRetrieval.Pair> heldOut) {
        for (SentenceRetrieval.Pair p : heldOut) {
            heldOutNames.add(p.id());
            heldOutTexts.add(key(p.query()));
            heldOutTexts.add(key(p.document()));
            heldOutOpenings.add(opening(key(p.document())));
        }
    }

    /**
     * Up to {@code count} texts from {@code sources}, half short and half long (fails when a kind
     * has fewer than its half), none of them from {@code heldOut}.
     */
    public static Selection choose(List<Path> sources, List<SentenceRetrieval.Pair> heldOut, int count, long seed) throws IOException {
        if (count < 2) throw new IllegalArgumentException("training texts: at least 2 (one of each kind), got " + count);
        TrainingTexts t = new TrainingTexts(heldOut);
        for (Path s : sources) {
            if (Files.isDirectory(s)) t.readManPages(s);
            else if (Files.isRegularFile(s)) t.readStanzas(s);
            else throw new IOException(s + ": no such file or directory (Debian control stanzas, or a directory of man pages)");
        }
        int half = count / 2;
        List<String> shorts = pick(t.shortTexts, count - half, seed, "short", sources);
        List<String> longs = pick(t.longTexts, half, seed + 1, "long", sources);
        return new Selection(shorts, longs, t.shortTexts.size(), t.longTexts.size());
    }

    private static List<String> pick(Map<String, String> texts, int n, long seed, String kind, List<Path> sources) throws IOException {
        if (texts.size() < n) throw new IOException(sources + ": " + texts.size() + " " + kind + " texts outside the evaluation split, " + n + " wanted");
        List<String> keys = new ArrayList<>(texts.keySet());
        Collections.sort(keys);
        Collections.shuffle(keys, new Random(seed));
        return keys.subList(0, n).stream().map(texts::get).toList();
    }

    private static String key(String text) {
        return SPACES.matcher(text.strip()).replaceAll(" ").toLowerCase(Locale.ROOT);
    }

    /** Whether a short text's key begins with a held-out text's whole key ("x (data files)" after the synopsis "x"). */
    private boolean extendsHeldOut(String key) {
        for (int space = key.indexOf(' '); space > 0; space = key.indexOf(' ', space + 1)) {
            if (heldOutTexts.contains(key.substring(0, space))) return true;
        }
        return false;
    }

    /** The first {@value #PREFIX_WORDS} words of a key. */
    private static String opening(String key) {
        String[] words = key.split(" ", PREFIX_WORDS + 1);
        return String.join(" ", java.util.Arrays.asList(words).subList(0, Math.min(PREFIX_WORDS, words.length)));
    }

    private void add(String text, boolean isLong) {
        String clean = SPACES.matcher(text.strip()).replaceAll(" ");
        if (clean.isEmpty() || isLong && clean.split(" ").length < LONG_WORDS) return;
        String k = key(clean);
        if (heldOutTexts.contains(k) || (isLong ? heldOutOpenings.contains(opening(k)) : extendsHeldOut(k))) return;
        (isLong ? longTexts : shortTexts).putIfAbsent(k, clean);
    }

    private static BufferedReader open(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        if (file.getFileName().toString().endsWith(".gz")) in = new GZIPInputStream(in);
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    /**
     * Debian control stanzas: Package, then Description's (a Translation-en list's Description-en's)
     * first line (synopsis) and its continuation lines (" ." separating paragraphs).
     */
    void readStanzas(Path file) throws IOException {
        int stanzas = 0;
        try (BufferedReader r = open(file)) {
            String name = null, synopsis = null;
            StringBuilder body = new StringBuilder();
            boolean inDescription = false;
            for (String line = r.readLine(); ; line = r.readLine()) {
                if (line == null || line.isBlank()) {
                    if (name != null && !heldOutNames.contains(name)) {
                        if (synopsis != null) add(synopsis, false);
                        add(body.toString(), true);
                    }
                    if (name != null) stanzas++;
                    name = synopsis = null;
                    body.setLength(0);
                    inDescription = false;
                    if (line == null) break;
                } else if (line.startsWith(" ") || line.startsWith("\t")) {
                    if (inDescription && !line.strip().equals(".")) body.append(' ').append(line.strip());
                } else {
                    inDescription = line.startsWith("Description:") || line.startsWith("Description-en:");
                    if (line.startsWith("Package:")) name = line.substring(8).strip();
                    if (inDescription) synopsis = line.substring(line.indexOf(':') + 1).strip();
                }
            }
        }
        if (stanzas == 0) throw new IOException(file + ": no Debian control stanza (Package: ... Description: ...)");
    }

    /** Every man page under {@code dir}, in path order. */
    void readManPages(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().matches(".+\\.[0-9][a-z]*(\\.gz)?")).sorted().toList();
        }
        if (files.isEmpty()) throw new IOException(dir + ": no man pages (NAME.SECTION or NAME.SECTION.gz)");
        for (Path f : family(files)) {
            try (BufferedReader r = open(f)) {
                manPage(r.lines().toList());
            } catch (IOException | UncheckedIOException e) {
                throw new IOException(f + ": cannot read the man page: " + e.getMessage());
            }
        }
    }

    /**
     * At most {@value #PER_FAMILY} pages of each family (file names sharing the part before the
     * first '_', '-' or '.'), evenly spread over it: one tool's thousands of sub-command pages
     * (gcloud_*) would otherwise be most of the texts, all alike.
     */
    static List<Path> family(List<Path> files) {
        Map<String, List<Path>> families = new LinkedHashMap<>();
        for (Path f : files) families.computeIfAbsent(f.getFileName().toString().split("[_.-]", 2)[0], k -> new ArrayList<>()).add(f);
        List<Path> out = new ArrayList<>();
        for (List<Path> g : families.values()) {
            int n = Math.min(PER_FAMILY, g.size());
            for (int i = 0; i < n; i++) out.add(g.get((int) ((long) i * g.size() / n)));
        }
        return out;
    }

    static final int PER_FAMILY = 16;

    /** The NAME summary (after "\-") and the DESCRIPTION's first paragraph of a man(7) page; other formats give nothing. */
    void manPage(List<String> lines) {
        String section = "";
        StringBuilder name = new StringBuilder(), description = new StringBuilder();
        boolean descriptionDone = false;
        for (String line : lines) {
            if (line.startsWith(".SH") || line.startsWith(".Sh")) {
                section = roff(line.substring(3)).replace("\"", "").strip().toUpperCase(Locale.ROOT);
                if (!description.isEmpty()) descriptionDone = true;
                continue;
            }
            if (line.startsWith(".\\\"") || line.startsWith("'\\\"")) continue; // a comment
            boolean macro = line.startsWith(".") || line.startsWith("'");
            if (macro && !line.matches("^\\.(B|I|BR|RB|BI|IB|IR|RI|SM|SB)\\s.*")) {
                // Any other request ends a paragraph (.PP, .TP, .IP, .sp, ...) or sets something up.
                if (section.equals("DESCRIPTION") && !description.isEmpty()) descriptionDone = true;
                continue;
            }
            String text = roff(macro ? line.substring(line.indexOf(' ') + 1) : line);
            if (section.equals("NAME")) name.append(' ').append(text);
            else if (section.equals("DESCRIPTION") && !descriptionDone) {
                if (line.isBlank() && !description.isEmpty()) descriptionDone = true;
                else description.append(' ').append(text);
            }
        }
        String n = name.toString();
        int dash = n.indexOf(" - ");
        if (dash >= 0) add(n.substring(dash + 3), false);
        add(description.toString(), true);
    }

    /** Text of a roff line: font changes and other escapes dropped, common special characters kept. */
    static String roff(String line) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') continue;
            if (c != '\\' || i + 1 == line.length()) {
                out.append(c);
                continue;
            }
            char e = line.charAt(++i);
            switch (e) {
                case '-', 'e', '\\' -> out.append(e == 'e' ? '\\' : e == '-' ? '-' : '\\');
                case ' ', '~' -> out.append(' ');
                case '&', '/', ',', ':', '|', '^' -> { }
                case 'f' -> i += i + 1 < line.length() && line.charAt(i + 1) == '(' ? 3 : i + 1 < line.length() && line.charAt(i + 1) == '[' ? Math.max(1, line.indexOf(']', i) - i) : 1;
                case '(' -> {
                    String g = i + 2 < line.length() ? line.substring(i + 1, i + 3) : "";
                    out.append(switch (g) { case "aq" -> "'"; case "lq", "rq", "dq" -> "\""; case "em", "en", "mi", "hy" -> "-"; case "ha" -> "^"; default -> ""; });
                    i += 2;
                }
                case '*' -> i += i + 1 < line.length() && line.charAt(i + 1) == '(' ? 3 : 1;
                case 's' -> { // a size change: \s0, \s-1, \s+2
                    if (i + 1 < line.length() && (line.charAt(i + 1) == '-' || line.charAt(i + 1) == '+')) i++;
                    while (i + 1 < line.length() && Character.isDigit(line.charAt(i + 1))) i++;
                }
                default -> { }
            }
        }
        return out.toString();
    }
}
