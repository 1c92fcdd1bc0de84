package org.ternary4j.eval.task;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.ternary4j.eval.ort.OrtModel;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpzWriter;

/**
 * A sentence-embedding model (BERT-style: input_ids, attention_mask, token_type_ids → last hidden
 * state) on a retrieval task: the query is a Debian package's one-line synopsis, the document its
 * long description, from the {@code debian-descriptions.tsv} snapshot (written by
 * scripts/debian-description-pairs.py from the dpkg status of a Debian 12 machine). Every sixth
 * pair is for calibration, the others for evaluation, so the two never share a package.
 * Embedding: mean of the last hidden state over the attention mask, L2-normalised (the
 * sentence-transformers recipe for all-MiniLM-L6-v2); texts are WordPiece-tokenised with the
 * model's own tokenizer.json and cut at {@value #MAX_TOKENS} tokens.
 */
public final class SentenceRetrieval {
    public enum Split { CALIBRATION, EVALUATION }

    public static final int MAX_TOKENS = 128;
    static final int CALIBRATION_EVERY = 6;
    private static final int BATCH = 32;
    private static final Set<String> INPUTS = Set.of("input_ids", "attention_mask", "token_type_ids");

    /** A query and the document it should retrieve. */
    public record Pair(String id, String query, String document) {}

    /**
     * One model's scores: mean cosine to the reference's embedding of the same text (over all
     * texts, over the queries, over the documents), of unrelated pairs, and recall@1.
     */
    public record Scores(double cosineToReference, double queryCosine, double documentCosine, double unrelatedCosine, double recallAt1) {}

    private SentenceRetrieval() {}

    /** The pairs of {@code split} in file order, at most {@code count} (all with count &lt; 0). */
    public static List<Pair> pairs(Split split, int count) throws IOException {
        List<Pair> out = new ArrayList<>();
        try (InputStream in = SentenceRetrieval.class.getResourceAsStream("debian-descriptions.tsv")) {
            if (in == null) throw new IOException("debian-descriptions.tsv is missing from the jar");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            int i = 0;
            for (String line; (line = r.readLine()) != null; i++) {
                boolean calibration = i % CALIBRATION_EVERY == 0;
                if (calibration != (split == Split.CALIBRATION)) continue;
                String[] f = line.split("\t", -1);
                if (f.length != 3) throw new IOException("debian-descriptions.tsv line " + (i + 1) + ": expected 3 tab-separated fields");
                if (count < 0 || out.size() < count) out.add(new Pair(f[0], f[1], f[2]));
            }
        }
        return out;
    }

    /** The model's tokenizer (a Hugging Face tokenizer.json), truncating at {@value #MAX_TOKENS} tokens, no padding. */
    public static HuggingFaceTokenizer tokenizer(Path tokenizerJson) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) throw new IOException(tokenizerJson + ": no such file (a Hugging Face tokenizer.json)");
        try {
            return HuggingFaceTokenizer.builder().optTokenizerPath(tokenizerJson).optMaxLength(MAX_TOKENS).optTruncation(true)
                    .optPadding(false).optAddSpecialTokens(true).build();
        } catch (RuntimeException e) {
            throw new IOException(tokenizerJson + ": cannot load the tokenizer: " + e.getMessage());
        }
    }

    /** Token ids of every text (special tokens included). */
    public static long[][] tokenize(HuggingFaceTokenizer tokenizer, List<String> texts) {
        long[][] ids = new long[texts.size()][];
        for (int i = 0; i < ids.length; i++) {
            Encoding e = tokenizer.encode(texts.get(i));
            ids[i] = e.getIds();
        }
        return ids;
    }

    /**
     * Calibration inputs for the model: the query and the document of each calibration pair,
     * cut at {@code maxTokens} (the last, [SEP], kept) and padded to the longest, as int64 arrays
     * named after the model's inputs. Every padded position is a row of calibration statistics
     * too, so a shorter cut spends less of them on padding. Returns the pairs used.
     */
    public static int writeCalibration(Path out, HuggingFaceTokenizer tokenizer, int pairs, int maxTokens) throws IOException {
        List<Pair> chosen = pairs(Split.CALIBRATION, pairs);
        writeTexts(out, tokenizer, calibrationTexts(chosen), maxTokens);
        return chosen.size();
    }

    /** The query and the document of each pair, in order. */
    public static List<String> calibrationTexts(List<Pair> pairs) {
        List<String> texts = new ArrayList<>();
        for (Pair p : pairs) {
            texts.add(p.query());
            texts.add(p.document());
        }
        return texts;
    }

    /** {@code texts} tokenised, cut at {@code maxTokens} (the last, [SEP], kept) and padded to the longest, as the model's int64 inputs. */
    public static void writeTexts(Path out, HuggingFaceTokenizer tokenizer, List<String> texts, int maxTokens) throws IOException {
        if (maxTokens < 2 || maxTokens > MAX_TOKENS) throw new IllegalArgumentException("calibration texts are cut at 2 to " + MAX_TOKENS + " tokens, got " + maxTokens);
        long[][] ids = tokenize(tokenizer, texts);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i].length > maxTokens) {
                long last = ids[i][ids[i].length - 1];
                ids[i] = Arrays.copyOf(ids[i], maxTokens);
                ids[i][maxTokens - 1] = last;
            }
        }
        int length = Arrays.stream(ids).mapToInt(a -> a.length).max().orElse(0);
        int n = ids.length;
        long[] flat = new long[n * length], mask = new long[n * length];
        for (int i = 0; i < n; i++) {
            System.arraycopy(ids[i], 0, flat, i * length, ids[i].length);
            Arrays.fill(mask, i * length, i * length + ids[i].length, 1);
        }
        int[] shape = {n, length};
        NpzWriter.write(out, List.of(new NpzWriter.Longs("input_ids", shape, flat), new NpzWriter.Longs("attention_mask", shape, mask),
                new NpzWriter.Longs("token_type_ids", shape, new long[n * length])));
    }

    /**
     * Sentence embeddings of the tokenised texts: batches of similar length (sorted, so little
     * padding), mean-pooled over the real tokens, L2-normalised.
     */
    public static float[][] embed(TaskModel model, long[][] ids) throws IOException {
        Integer[] order = new Integer[ids.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt(i -> ids[i].length));
        float[][] out = new float[ids.length][];
        for (int from = 0; from < order.length; from += BATCH) {
            int to = Math.min(order.length, from + BATCH), b = to - from;
            int length = ids[order[to - 1]].length;
            float[] tok = new float[b * length], mask = new float[b * length];
            for (int r = 0; r < b; r++) {
                long[] t = ids[order[from + r]];
                for (int j = 0; j < t.length; j++) {
                    tok[r * length + j] = t[j];
                    mask[r * length + j] = 1;
                }
            }
            int[] shape = {b, length};
            List<Dataset.NamedArray> arrays = new ArrayList<>();
            for (OrtModel.Input in : model.inputs()) {
                if (!INPUTS.contains(in.name())) throw new IOException(model.label() + ": input '" + in.name() + "' is not one of " + INPUTS);
                float[] v = in.name().equals("input_ids") ? tok : in.name().equals("attention_mask") ? mask : new float[b * length];
                arrays.add(new Dataset.NamedArray(in.name(), new NdArray(shape, v)));
            }
            float[][] hidden = model.outputs(new Dataset("sentence batch", arrays, null), b);
            for (int r = 0; r < b; r++) {
                int n = ids[order[from + r]].length;
                float[] h = hidden[r];
                if (h.length % length != 0) {
                    throw new IOException(model.label() + ": its first output has " + h.length + " values per text of "
                            + length + " tokens; expected [batch, tokens, hidden]");
                }
                int width = h.length / length;
                float[] e = new float[width];
                for (int j = 0; j < n; j++) for (int k = 0; k < width; k++) e[k] += h[j * width + k];
                out[order[from + r]] = normalised(e);
            }
        }
        return out;
    }

    private static float[] normalised(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        double norm = Math.sqrt(s);
        if (norm > 0) for (int i = 0; i < v.length; i++) v[i] = (float) (v[i] / norm);
        return v;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    /**
     * Scores of embeddings {@code queries[i]}/{@code documents[i]} (pair i) against the reference
     * model's embeddings of the same texts. Unrelated pairs: query i with document i + n/2.
     */
    public static Scores score(float[][] queries, float[][] documents, float[][] refQueries, float[][] refDocuments) {
        int n = queries.length;
        double toRefQ = 0, toRefD = 0, unrelated = 0;
        int hits = 0;
        for (int i = 0; i < n; i++) {
            toRefQ += dot(queries[i], refQueries[i]);
            toRefD += dot(documents[i], refDocuments[i]);
            unrelated += dot(queries[i], documents[(i + n / 2) % n]);
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                double s = dot(queries[i], documents[j]);
                if (s > bestScore) {
                    bestScore = s;
                    best = j;
                }
            }
            if (best == i) hits++;
        }
        return new Scores((toRefQ + toRefD) / (2.0 * n), toRefQ / n, toRefD / n, unrelated / n, (double) hits / n);
    }
}
