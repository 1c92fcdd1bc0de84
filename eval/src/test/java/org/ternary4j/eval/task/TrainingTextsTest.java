package org.ternary4j.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training texts from control stanzas and man pages: parsing, the held-out exclusion, the deterministic choice. */
class TrainingTextsTest {
    private static final List<SentenceRetrieval.Pair> HELD_OUT = List.of(new SentenceRetrieval.Pair("held", "held-out synopsis",
            "a held out long description of the package that must never be trained on"));

    @TempDir
    Path dir;

    private static String stanza(String name, String synopsis, String... body) {
        StringBuilder s = new StringBuilder("Package: " + name + "\nVersion: 1.0\nDescription: " + synopsis + "\n");
        for (String b : body) s.append(' ').append(b).append('\n');
        return s.append("Homepage: https://example.org\n\n").toString();
    }

    @Test
    void stanzasGiveSynopsisAndJoinedLongDescriptionButNothingOfHeldOutPackagesOrTexts() throws IOException {
        Path f = dir.resolve("Packages");
        Files.writeString(f, stanza("alpha", "first   tool", "Alpha does one thing and does it well, really.", ".", "A second paragraph here.")
                + stanza("held", "other synopsis of a held package", "Its long description is also held out of training completely.")
                + stanza("copy", "HELD-OUT  synopsis", "A held out long description of the package that must never be trained on")
                + stanza("beta", "second tool", "too short"));
        TrainingTexts.Selection s = TrainingTexts.choose(List.of(f), HELD_OUT, 2, 1);
        assertEquals(2, s.shortAvailable(), "alpha's and beta's synopses; held's is of a held-out package, copy's equals a held-out text");
        assertEquals(1, s.longAvailable(), "beta's is under 8 words");
        assertEquals(List.of("Alpha does one thing and does it well, really. A second paragraph here."), s.longTexts());
        assertTrue(List.of("first tool", "second tool").contains(s.shortTexts().get(0)), s.shortTexts().toString());
    }

    /**
     * A Translation-en list (Description-en, no Version) reads as a Packages list does; a sibling
     * package whose description opens with a held-out description's first eight words is held out,
     * one that shares only seven is not; a synopsis that extends a held-out one is held out.
     */
    @Test
    void translationListsReadAndSiblingsOfHeldOutDescriptionsStayOut() throws IOException {
        Path f = dir.resolve("Translation-en");
        Files.writeString(f, """
                Package: gamma
                Description-md5: 0123456789abcdef0123456789abcdef
                Description-en: third tool
                 Gamma turns one kind of file into another, quickly and quietly.

                Package: held-data
                Description-md5: 0123456789abcdef0123456789abcdef
                Description-en: data of the held-out package
                 A held out long description of the package that must never be trained on.
                 .
                 This package holds its data files.

                Package: near
                Description-md5: 0123456789abcdef0123456789abcdef
                Description-en: near tool
                 A held out long description of the program that may be trained on.

                Package: held-doc
                Description-md5: 0123456789abcdef0123456789abcdef
                Description-en: held-out synopsis (documentation)
                 Documentation of a package held out of training, in several formats.
                """);
        TrainingTexts.Selection s = TrainingTexts.choose(List.of(f), HELD_OUT, 6, 1);
        assertEquals(new HashSet<>(List.of("third tool", "near tool", "data of the held-out package")), new HashSet<>(s.shortTexts()),
                "held-doc's synopsis extends the held-out one");
        assertEquals(new HashSet<>(List.of("Gamma turns one kind of file into another, quickly and quietly.",
                "A held out long description of the program that may be trained on.",
                "Documentation of a package held out of training, in several formats.")), new HashSet<>(s.longTexts()),
                "held-data's description opens as the held-out one does");
    }

    @Test
    void manPagesGiveTheirNameSummaryAndFirstDescriptionParagraph() throws IOException {
        Path man = Files.createDirectories(dir.resolve("man1"));
        String page = """
                .\\" a comment
                .TH LS 1
                .SH NAME
                ls \\- list directory \\fBcontents\\fR
                .SH SYNOPSIS
                .B ls
                [\\fIOPTION\\fR]... [\\fIFILE\\fR]...
                .SH DESCRIPTION
                .\\" Add any additional description here
                .PP
                List  information about the FILEs (the current directory by default).
                Sort entries alphabetically if none of \\fB\\-cftuvSUX\\fR nor \\fB\\-\\-sort\\fR is specified, \\s-1ok\\s0.
                .PP
                Mandatory arguments to long options are mandatory for short options too.
                """;
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(man.resolve("ls.1.gz")))) {
            out.write(page.getBytes(StandardCharsets.UTF_8));
        }
        TrainingTexts.Selection s = TrainingTexts.choose(List.of(man), HELD_OUT, 2, 1);
        assertEquals(List.of("list directory contents"), s.shortTexts());
        assertEquals(List.of("List information about the FILEs (the current directory by default). Sort entries alphabetically if none of "
                + "-cftuvSUX nor --sort is specified, ok."), s.longTexts());
    }

    @Test
    void roffEscapes() {
        assertEquals("a-b 'c' \"d\" e\\f g", TrainingTexts.roff("a\\-b \\(aqc\\(aq \\(lqd\\(rq \\f(CWe\\e\\fPf\\ g"));
        assertEquals("x", TrainingTexts.roff("\\s+2x\\s0"));
    }

    @Test
    void aFamilyOfManPagesIsCappedAndSpreadEvenly() {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 100; i++) files.add(Path.of(String.format("gcloud_sub_%03d.1.gz", i)));
        files.add(Path.of("ls.1.gz"));
        List<Path> kept = TrainingTexts.family(files);
        assertEquals(TrainingTexts.PER_FAMILY + 1, kept.size());
        assertEquals(Path.of("gcloud_sub_000.1.gz"), kept.get(0));
        assertEquals(Path.of(String.format("gcloud_sub_%03d.1.gz", 100 * (TrainingTexts.PER_FAMILY - 1) / TrainingTexts.PER_FAMILY)), kept.get(TrainingTexts.PER_FAMILY - 1));
        assertEquals(Path.of("ls.1.gz"), kept.getLast());
    }

    @Test
    void theChoiceDependsOnTheSeedOnlyAndFailsWhenAKindRunsShort() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 50; i++) text.append(stanza("p" + i, "synopsis " + i, "long description number " + i + " with enough words in it"));
        Path f = dir.resolve("status");
        Files.writeString(f, text);
        TrainingTexts.Selection a = TrainingTexts.choose(List.of(f), HELD_OUT, 20, 7), b = TrainingTexts.choose(List.of(f), HELD_OUT, 20, 7);
        assertEquals(a, b);
        assertEquals(20, new HashSet<>(a.all()).size());
        assertTrue(!a.all().equals(TrainingTexts.choose(List.of(f), HELD_OUT, 20, 8).all()));
        IOException e = assertThrows(IOException.class, () -> TrainingTexts.choose(List.of(f), HELD_OUT, 102, 1));
        assertTrue(e.getMessage().contains("50 short texts outside the evaluation split, 51 wanted"), e.getMessage());
        assertThrows(IOException.class, () -> TrainingTexts.choose(List.of(dir.resolve("missing")), HELD_OUT, 2, 1));
    }
}
