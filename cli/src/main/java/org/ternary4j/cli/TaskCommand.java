package org.ternary4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.ternary4j.eval.task.OcrTask;
import org.ternary4j.eval.task.PaddleOcr;
import org.ternary4j.eval.task.SentenceRetrieval;
import org.ternary4j.eval.task.TaskModel;
import org.ternary4j.eval.task.TextLines;
import org.ternary4j.eval.task.TrainingTexts;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NpzWriter;
import org.ternary4j.runtime.graph.Activations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Third-party models measured on their own task: PaddleOCR's direction classifier and recogniser
 * on text lines rendered here, and a sentence-embedding model on retrieval of Debian package
 * descriptions; calibration data always kept apart from evaluation data.
 */
@Command(name = "task", mixinStandardHelpOptions = true,
        description = "Measure models on their real task. ocr-orientation (PaddleOCR direction classifier: accuracy on rendered "
                + "text lines half of which are upside down), ocr-recognition (PaddleOCR recogniser: character error rate), "
                + "sentence-retrieval (a BERT-style sentence-embedding model such as all-MiniLM-L6-v2: each Debian package synopsis "
                + "retrieves its long description; per model the mean cosine of its embeddings to the first model's, the mean cosine "
                + "of unrelated pairs, and recall@1). Evaluation data never overlaps calibration data; --write-calibration writes "
                + "the calibration split as an .npz ('x', or input_ids/attention_mask/token_type_ids).")
final class TaskCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TASK", description = "ocr-orientation, ocr-recognition or sentence-retrieval.")
    String task;

    @Parameters(index = "1..*", paramLabel = "MODEL.onnx", arity = "0..*",
            description = "Models to measure on the same lines, each by ONNX Runtime; a packed file (quantize --packed, ending in .safetensors) "
                    + "after one is measured too, run by ternary4j's runtime on that model's graph (as the run command runs it).")
    List<Path> models = List.of();

    @Option(names = "--activations", paramLabel = "auto|int8|float",
            description = "For packed files: what their ternary layers multiply with, as in run (default auto).")
    Activations activations = Activations.AUTO;

    @Option(names = "--lines", defaultValue = "1000", paramLabel = "N", description = "Evaluation lines. Default: ${DEFAULT-VALUE}.")
    int lines;

    @Option(names = "--dict", paramLabel = "KEYS.txt", description = "ocr-recognition: the recogniser's dictionary (ppocr_keys_v1.txt).")
    Path dictionary;

    @Option(names = "--write-calibration", paramLabel = "OUT.npz",
            description = "Write N calibration lines (--calibration-lines) as the model's input array 'x' (ocr-orientation: and their labels 'y') instead of measuring.")
    Path calibrationOut;

    @Option(names = "--calibration-lines", defaultValue = "256", paramLabel = "N", description = "Default: ${DEFAULT-VALUE}.")
    int calibrationLines;

    @Option(names = "--pairs", paramLabel = "N", description = "sentence-retrieval: evaluation pairs (default: all "
            + "held-out pairs).")
    Integer pairs;

    @Option(names = "--calibration-pairs", paramLabel = "N", description = "sentence-retrieval: calibration pairs, each giving "
            + "two texts (default: all).")
    Integer calibrationPairs;

    @Option(names = "--calibration-tokens", paramLabel = "N", defaultValue = "128", description = "sentence-retrieval: cut "
            + "calibration texts at N tokens (padding to the longest costs calibration time). Default: ${DEFAULT-VALUE}.")
    int calibrationTokens;

    @Option(names = "--texts", split = ",", paramLabel = "SOURCE",
            description = "sentence-retrieval --write-calibration: also write --text-count texts (half short, half long) from these sources, "
                    + "never from evaluation packages or texts: files of Debian control stanzas (e.g. an apt Packages list decompressed by "
                    + "lz4cat, /var/lib/dpkg/status) and directories of man pages (e.g. /usr/share/man/man1).")
    List<Path> texts = List.of();

    @Option(names = "--text-count", defaultValue = "4000", paramLabel = "N", description = "sentence-retrieval: texts taken from --texts. Default: ${DEFAULT-VALUE}.")
    int textCount;

    @Option(names = "--text-seed", defaultValue = "1", paramLabel = "S", description = "sentence-retrieval: which --texts are taken. Default: ${DEFAULT-VALUE}.")
    long textSeed;

    // the installation's fetched copy wherever the command runs from (the launcher sets t4j.root)
    @Option(names = "--tokenizer", paramLabel = "tokenizer.json", defaultValue = "${sys:t4j.root:-.}/.cache/models/all-minilm-l6-v2-tokenizer.json",
            description = "sentence-retrieval: the model's Hugging Face tokenizer. Default: ${DEFAULT-VALUE} (scripts/fetch-models.sh).")
    Path tokenizer;

    @Mixin
    ThreadsOption threads = ThreadsOption.allProcessors();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (task.equals("sentence-retrieval")) return sentences();
        if (!task.equals("ocr-orientation") && !task.equals("ocr-recognition")) {
            throw new IllegalArgumentException("task '" + task + "': unknown; one of ocr-orientation, ocr-recognition, sentence-retrieval");
        }
        if (lines < 1 || calibrationLines < 1) throw new IllegalArgumentException("--lines and --calibration-lines must be ≥ 1");
        PathGuard guard = new PathGuard().input(dictionary).output(calibrationOut);
        guardModels(guard);
        guard.check();
        boolean orientation = task.equals("ocr-orientation");
        TextLines fonts = TextLines.withSystemFonts();
        PrintWriter out = spec.commandLine().getOut();
        if (calibrationOut != null) {
            Dataset d = orientation ? OcrTask.orientation(fonts, OcrTask.Split.CALIBRATION, calibrationLines)
                    : OcrTask.recognition(fonts, OcrTask.Split.CALIBRATION, calibrationLines).data();
            List<NpzWriter.Entry> arrays = new ArrayList<>(List.of(new NpzWriter.Floats("x", d.inputs().get(0).array())));
            // The orientation labels ride along as 'y' (finetune adds cross-entropy on them; calibration ignores them).
            if (d.labels() != null) arrays.add(new NpzWriter.Longs("y", new int[] {d.count()}, Arrays.stream(d.labels()).asLongStream().toArray()));
            NpzWriter.write(calibrationOut, arrays);
            out.printf("%s: %d calibration lines (%s%s), %d fonts%n", calibrationOut, calibrationLines, task, d.labels() != null ? ", labels in 'y'" : "", fonts.fontCount());
            return 0;
        }
        List<Measured> measured = measured();
        if (orientation) {
            Dataset d = OcrTask.orientation(fonts, OcrTask.Split.EVALUATION, lines);
            for (Measured m : measured) {
                try (TaskModel model = m.open(threads.count, activations, this::warn)) {
                    out.printf(Locale.ROOT, "%s: orientation accuracy %.4f on %d evaluation lines%n", model.label(), OcrTask.orientationAccuracy(model, d), lines);
                }
                out.flush();
            }
        } else {
            if (dictionary == null) throw new IllegalArgumentException("ocr-recognition needs --dict (the recogniser's ppocr_keys_v1.txt)");
            List<String> chars = PaddleOcr.characters(dictionary);
            OcrTask.Recognition r = OcrTask.recognition(fonts, OcrTask.Split.EVALUATION, lines);
            for (Measured m : measured) {
                try (TaskModel model = m.open(threads.count, activations, this::warn)) {
                    out.printf(Locale.ROOT, "%s: character error rate %.4f on %d evaluation lines%n", model.label(), OcrTask.characterErrorRate(model, r, chars), lines);
                }
                out.flush();
            }
        }
        return 0;
    }

    private int sentences() throws Exception {
        if ((pairs != null && pairs < 2) || (calibrationPairs != null && calibrationPairs < 1)) {
            throw new IllegalArgumentException("--pairs must be ≥ 2 and --calibration-pairs ≥ 1");
        }
        if (!texts.isEmpty() && calibrationOut == null) throw new IllegalArgumentException("--texts is for --write-calibration");
        PathGuard guard = new PathGuard().input(tokenizer).output(calibrationOut);
        guardModels(guard);
        guard.check();
        PrintWriter out = spec.commandLine().getOut();
        try (HuggingFaceTokenizer tok = SentenceRetrieval.tokenizer(tokenizer)) {
            if (calibrationOut != null) {
                List<SentenceRetrieval.Pair> chosen = SentenceRetrieval.pairs(SentenceRetrieval.Split.CALIBRATION, calibrationPairs == null ? -1 : calibrationPairs);
                List<String> all = new ArrayList<>(SentenceRetrieval.calibrationTexts(chosen));
                TrainingTexts.Selection extra = null;
                if (!texts.isEmpty()) {
                    extra = TrainingTexts.choose(texts, SentenceRetrieval.pairs(SentenceRetrieval.Split.EVALUATION, -1), textCount, textSeed);
                    all.addAll(extra.all());
                }
                SentenceRetrieval.writeTexts(calibrationOut, tok, all, calibrationTokens);
                out.printf("%s: %d calibration texts of at most %d tokens (query and document of %d Debian package descriptions held "
                        + "out of evaluation)%n", calibrationOut, all.size(), calibrationTokens, chosen.size());
                if (extra != null) {
                    out.printf("  of them %d short and %d long texts from %s (of %d and %d outside the evaluation split)%n", extra.shortTexts().size(),
                            extra.longTexts().size(), texts, extra.shortAvailable(), extra.longAvailable());
                }
                return 0;
            }
            List<Measured> measured = measured();
            List<SentenceRetrieval.Pair> eval = SentenceRetrieval.pairs(SentenceRetrieval.Split.EVALUATION, pairs == null ? -1 : pairs);
            long[][] queries = SentenceRetrieval.tokenize(tok, eval.stream().map(SentenceRetrieval.Pair::query).toList());
            long[][] documents = SentenceRetrieval.tokenize(tok, eval.stream().map(SentenceRetrieval.Pair::document).toList());
            out.printf("sentence-retrieval: %d Debian package synopses each retrieving its description among %d; cosines against %s%n",
                    eval.size(), eval.size(), models.get(0));
            float[][] refQ = null, refD = null;
            for (Measured m : measured) {
                long start = System.nanoTime();
                float[][] q, d;
                String label;
                try (TaskModel model = m.open(threads.count, activations, this::warn)) {
                    label = model.label();
                    q = SentenceRetrieval.embed(model, queries);
                    d = SentenceRetrieval.embed(model, documents);
                }
                if (refQ == null) {
                    refQ = q;
                    refD = d;
                }
                SentenceRetrieval.Scores s = SentenceRetrieval.score(q, d, refQ, refD);
                out.printf(Locale.ROOT, "%s: cosine to reference %.4f (synopses %.4f, descriptions %.4f), unrelated-pair cosine %.4f, recall@1 %.4f (%.0f s)%n", label,
                        s.cosineToReference(), s.queryCosine(), s.documentCosine(), s.unrelatedCosine(), s.recallAt1(), (System.nanoTime() - start) / 1e9);
                out.flush();
            }
        }
        return 0;
    }

    /** One measured model: an ONNX file run by ONNX Runtime, or a packed file run by the project's runtime on that file's graph. */
    private record Measured(Path onnx, Path packed) {
        TaskModel open(int threads, Activations activations, Consumer<String> warnings) throws IOException {
            return packed == null ? TaskModel.onnxRuntime(onnx, threads) : RuntimeTaskModel.open(onnx, packed, threads, activations, warnings);
        }
    }

    /** The models in the order given, each packed file paired with the ONNX model before it. */
    private List<Measured> measured() {
        if (models.isEmpty()) throw new IllegalArgumentException("no MODEL.onnx to measure (or give --write-calibration)");
        List<Measured> all = new ArrayList<>();
        Path graph = null;
        for (Path m : models) {
            if (!isPacked(m)) {
                all.add(new Measured(graph = m, null));
                continue;
            }
            if (graph == null) throw new IllegalArgumentException(m + ": a packed file is run on the graph of the ONNX model before it, and none comes before it");
            all.add(new Measured(graph, m));
        }
        if (activations != Activations.AUTO && all.stream().allMatch(m -> m.packed() == null)) {
            throw new IllegalArgumentException("--activations is for packed files (P.safetensors after its model), and none is given");
        }
        return all;
    }

    /** A packed file's warning that its graph is not the one quantize wrote with it, on stderr. */
    private void warn(String warning) {
        Errors.warn(spec.commandLine(), warning);
    }

    private void guardModels(PathGuard guard) {
        for (Path m : models) {
            if (isPacked(m)) guard.input(m);
            else guard.model(m);
        }
    }

    private static boolean isPacked(Path p) {
        return p.getFileName() != null && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".safetensors");
    }
}
