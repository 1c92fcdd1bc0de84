package org.ternary4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.formats.data.DataSources;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.onnx.NamePattern;
import org.ternary4j.formats.packed.PackedOnnxWeights;
import org.ternary4j.qat.Method;
import org.ternary4j.qat.finetune.Finetune;
import org.ternary4j.qat.finetune.FinetuneOptions;
import org.ternary4j.qat.finetune.FinetuneResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ternary4j finetune}: distillation fine-tuning of any ONNX model into a ternary one, no labels needed. */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = {
                "Fine-tune an ONNX model's ternarized weights so that it reproduces the full-precision model's outputs on your examples "
                        + "(distillation; labels optional), and write the original graph with the ternary weights (dequantized).",
                "Layers are chosen as quantize chooses them (first and last kept full precision unless --all-layers); each trains "
                        + "through its method's straight-through estimator; biases and batch-norm scales/shifts train too; batch-norm statistics are re-estimated on the ternary model once, then frozen. "
                        + "Runs on DJL + PyTorch (CPU); the same seed gives the same model.",
                "A model with an attention_mask input (BERT-style) is matched on its real tokens only, plus the cosine of their mean "
                        + "(the sentence embedding of mean-pooling models)."})
final class FinetuneCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "The full-precision model (never modified).")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.onnx", description = "The fine-tuned ternary model.")
    Path output;

    @Option(names = "--packed", paramLabel = "P.safetensors",
            description = "Also write the ternary weights' packed codes and scales (the format quantize --packed writes; run --packed executes the model from it).")
    Path packed;

    @Option(names = "--data", required = true, paramLabel = "INPUTS.npz",
            description = "Training examples: an .npz whose arrays are named after the model's inputs (or one array for a one-input model), or an .npy.")
    String data;

    @Option(names = "--labels", paramLabel = "Y.npy", description = "Class labels of the examples: adds cross-entropy on the model's class logits.")
    Path labels;

    @Option(names = "--method", required = true, paramLabel = "M", description = "ttq, syq, tga, twn, tnt or two-scale.")
    String method;

    @Option(names = "--grouping", paramLabel = "G", description = "Which weights share a scale (default per method: ttq/tga/twn tensor, syq syq-pixel, tnt/two-scale row).")
    String grouping;

    @Option(names = "--init", paramLabel = "CALIBRATED.onnx",
            description = "Start from this ternarization of the same model (quantize --calibrate output) instead of the method's projection.")
    Path init;

    @Option(names = "--init-packed", paramLabel = "CALIBRATED.packed.safetensors",
            description = "The packed file written beside --init (quantize --packed): its per-layer choices hold, each ternary layer at its own "
                    + "grouping and each layer mixed precision kept at INT8/FP16 (--budget) frozen at that precision.")
    Path initPacked;

    @Option(names = "--epochs", defaultValue = "10", paramLabel = "N", description = "Passes over the examples (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Shuffling seed: same seed, same model (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--lr", defaultValue = "1e-4", paramLabel = "RATE", description = "Adam learning rate, cosine-decayed to 1%% (default ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--batch", defaultValue = "32", paramLabel = "N", description = "Examples per step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--bn-examples", paramLabel = "N",
            description = "Re-estimate the statistics of batch norms after ternarized Conv and Gemm layers on the first N examples before training; 0: keep "
                    + "the model's. Default: 256, or 0 with --init (a calibrated start was fitted to the statistics it has).")
    Integer bnExamples;

    @Option(names = "--train-batch-norms",
            description = "Batch norms after ternarized Conv and Gemm layers train in their training form (each batch's own statistics; scale and shift "
                    + "trained), their statistics re-estimated on --bn-examples examples (default 256) after training, as "
                    + "quantization-aware training from scratch does. Default: frozen.")
    boolean trainNorms;

    @Option(names = "--train-layer-norms",
            description = "The scale and shift of layer normalisations (LayerNormalization nodes, or the Mul and Add after an exported "
                    + "(x - mean) / sqrt(var + eps)) train too. Default: frozen.")
    boolean trainLayerNorms;

    @Option(names = "--train-kept",
            description = "The weights and biases of the Conv/Gemm/MatMul layers kept in full precision (the first and last, excluded ones) "
                    + "train too, in float, and with --train-batch-norms so do the batch norms after them: quantization-aware training of "
                    + "the whole network, as train does. Default: frozen.")
    boolean trainKept;

    @Option(names = "--distill-weight", defaultValue = "1", paramLabel = "W",
            description = "Loss weight of the match to the full-precision model's outputs, against 1 for the labels' cross-entropy; "
                    + "0 trains on the labels alone (--labels or a labelled dataset needed). Default: ${DEFAULT-VALUE}.")
    float distillWeight;

    @Option(names = "--pooled-weight", defaultValue = "1", paramLabel = "W",
            description = "For models with an attention_mask: loss weight of 1 - cosine of the outputs' mean over real tokens (the sentence "
                    + "embedding), against 1 for the per-token error. Default: ${DEFAULT-VALUE}.")
    float pooledWeight;

    @Option(names = "--scales", paramLabel = "f32|f16",
            description = "Precision of the ternary scales: f32 (default) or f16, every scale rounded to the nearest FP16 value in each training step "
                    + "and in the written model, so that quantize --scales f16 --packed stores the same numbers.")
    String scales;

    @Option(names = "--packing", defaultValue = "base3", paramLabel = "base3|2bit", description = "Code packing bits/weight are counted for (default ${DEFAULT-VALUE}).")
    String packing;

    @Option(names = "--all-layers", description = "Also ternarize the first and last weight layers.")
    boolean allLayers;

    @Option(names = "--include", split = ",", paramLabel = "PATTERN",
            description = "Only layers whose weight or node name matches one of these (glob with * and ?, or re:REGEX; whole name), or whose kind does (kind:depthwise|grouped|conv|convtranspose|gemm|matmul|gather).")
    List<String> include = new ArrayList<>();

    @Option(names = "--exclude", split = ",", paramLabel = "PATTERN", description = "Keep layers whose weight or node name (or kind:KIND) matches one of these in full precision.")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--hidden", split = ",", paramLabel = "PATTERN",
            description = "Also match these intermediate values (glob with * and ?, or re:REGEX, on value names) to the full-precision model's, "
                    + "e.g. every encoder layer's hidden state; per-token values on real tokens only.")
    List<String> hidden = new ArrayList<>();

    @Option(names = "--hidden-weight", defaultValue = "1", paramLabel = "W",
            description = "Loss weight the --hidden values share (each graph output weighs 1). Default: ${DEFAULT-VALUE}.")
    float hiddenWeight;

    @Mixin
    ProgressOptions progress;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Method m = Method.parse(method);
        FinetuneOptions options = FinetuneOptions.builder(m).grouping(grouping == null ? null : Grouping.parse(grouping)).allLayers(allLayers)
                .include(include.stream().map(NamePattern::parse).toList()).exclude(exclude.stream().map(NamePattern::parse).toList())
                .epochs(epochs).seed(seed).learningRate(lr).batchSize(batch).packing(Packing.parse(packing)).bnExamples(bnExamples != null ? bnExamples : init == null || trainNorms ? 256 : 0)
                .hidden(hidden.stream().map(NamePattern::parse).toList()).hiddenWeight(hiddenWeight).trainNorms(trainNorms)
                .trainLayerNorms(trainLayerNorms).trainKept(trainKept).distillWeight(distillWeight).pooledWeight(pooledWeight)
                .halfScales(Boolean.TRUE.equals(QuantizeMethodOptions.halfScales(scales))).build();
        new PathGuard().input(input).data(data).input(labels).input(init).input(initPacked).output(output).output(packed).check();
        Dataset examples = DataSources.load(data, labels);
        long start = System.nanoTime();
        FinetuneResult r = train(examples, options);
        // The model and its packed weights together or neither.
        try (StagedOutputs staged = StagedOutputs.of(output, packed)) {
            staged.commitAfter(() -> {
                r.output().write(staged.path(output), input, init, initPacked);
                if (packed != null) PackedOnnxWeights.write(staged.path(packed), r.ternary(), r.keptAt(), options.packing(), options.halfScales(), input, init, initPacked);
                return null;
            });
        }
        print(r, options, examples, (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private FinetuneResult train(Dataset examples, FinetuneOptions options) throws IOException {
        try (Listener listener = new Listener(progress)) {
            return Finetune.run(new Finetune.Request(input, examples, init, initPacked, options, listener));
        }
    }

    private void print(FinetuneResult r, FinetuneOptions o, Dataset examples, double seconds) {
        PrintWriter out = spec.commandLine().getOut();
        long ternary = r.layers().stream().filter(FinetuneResult.Layer::ternarized).count();
        out.printf(Locale.ROOT, "%s: %s, grouping %s, %d of %d weight layers ternary, %d epochs on %d examples (%s)%n", input, o.method().cliName(),
                o.grouping().spec(), ternary, r.layers().size(), o.epochs(), examples.count(), examples.source());
        for (FinetuneResult.Layer l : r.layers()) if (!l.ternarized()) out.printf("  kept %s (%s): %s%n", l.weight(), l.op(), l.reason());
        out.println("  " + metrics("before", r.before()));
        out.println("  " + metrics("after ", r.after()));
        out.printf(Locale.ROOT, "  bits/weight (%s, %s scales): %.3f over the ternary layers, %.3f over every Conv/Gemm/MatMul weight (kept layers at their stored width)%n",
                o.packing().name().toLowerCase(Locale.ROOT), o.halfScales() ? "FP16" : "FP32", r.bitsTernary(), r.bitsAll());
        out.printf(Locale.ROOT, "wrote %s%s in %.1f s%n", output, packed == null ? "" : " and " + packed, seconds);
        out.flush();
    }

    private static String metrics(String when, FinetuneResult.Metrics m) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%s: distillation loss %.5f", when, m.loss()));
        if (!Double.isNaN(m.agreement())) s.append(String.format(Locale.ROOT, ", arg-max agreement with full precision %.4f", m.agreement()));
        if (!Double.isNaN(m.accuracy())) s.append(String.format(Locale.ROOT, ", accuracy on the labels %.4f", m.accuracy()));
        return s.append(" (training examples)").toString();
    }

    /** A bar per epoch on a terminal, a line per epoch elsewhere (train's quantization-aware training shows the same). */
    static final class Listener implements FinetuneResult.Listener, AutoCloseable {
        private final ProgressOptions options;
        private ProgressBar bar;

        Listener(ProgressOptions options) {
            this.options = options;
        }

        @Override
        public void epochStarted(int epoch, int epochs, int examples) {
            if (!options.bar()) return;
            bar = new ProgressBarBuilder().setTaskName("epoch " + epoch + "/" + epochs).setInitialMax(examples)
                    .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(500).build();
        }

        @Override
        public void batchDone(int examples, double meanLoss) {
            if (bar == null) return;
            bar.stepBy(examples);
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.5f", meanLoss));
        }

        @Override
        public void epochDone(FinetuneResult.Epoch e) {
            close();
            if (options.lines()) System.err.printf(Locale.ROOT, "epoch %d: loss %.5f, %.1f s (%.1f CPU-s)%n", e.epoch(), e.loss(), e.seconds(), e.cpuSeconds());
        }

        @Override
        public void note(String line) {
            if (options.lines()) System.err.println(line);
        }

        @Override
        public void close() {
            if (bar != null) bar.close();
            bar = null;
        }
    }
}
