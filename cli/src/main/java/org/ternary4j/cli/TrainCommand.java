package org.ternary4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.eval.ort.Evaluator;
import org.ternary4j.eval.ort.OrtModel;
import org.ternary4j.formats.data.DataSources;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.qat.Architecture;
import org.ternary4j.qat.EpochStats;
import org.ternary4j.qat.FashionMnist;
import org.ternary4j.qat.Method;
import org.ternary4j.qat.OnnxExport;
import org.ternary4j.qat.TrainOptions;
import org.ternary4j.qat.Training;
import org.ternary4j.qat.TrainingLog;
import org.ternary4j.qat.finetune.Finetune;
import org.ternary4j.qat.finetune.FinetuneOptions;
import org.ternary4j.qat.finetune.FinetuneResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ternary4j train}: a zoo model trained from scratch in full precision, or quantization-aware
 * training of any trained ONNX classifier on Fashion-MNIST's labels ({@link Finetune} with the labels
 * alone, every layer trained), written as ONNX.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {
                "Train on Fashion-MNIST (DJL + PyTorch CPU) and write the model as ONNX: a zoo model from scratch in full precision "
                        + "(--model, method fp), or quantization-aware from a trained model (--init MODEL.onnx, any other method).",
                "Quantization-aware training is finetune on the training labels alone: the ternarized layers train through their method's "
                        + "straight-through estimator, the full-precision first and last layers, biases and batch norms (on their batch "
                        + "statistics, re-estimated after training) train too. The test accuracy is measured with ONNX Runtime on the written model."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", description = "mlp, lenet5, vgg or resnet20: the architecture trained from scratch (method fp only)")
    String model;

    @Option(names = "--method", defaultValue = "fp", description = "fp, ttq, syq, tga, twn, tnt or two-scale (default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--grouping", description = "QAT: scale groups (default per method: ttq/tga/twn tensor, syq syq-pixel, tnt/two-scale row)")
    String grouping;

    @Option(names = "--all-layers", description = "QAT: also ternarize the first and the last layer (default: they train in full precision)")
    boolean allLayers;

    @Option(names = "--init", paramLabel = "MODEL.onnx", description = "the trained full-precision model quantization-aware training starts from (never modified)")
    Path init;

    @Option(names = "--epochs", defaultValue = "1", description = "passes over the training set (default ${DEFAULT-VALUE})") int epochs;
    @Option(names = "--seed", defaultValue = "1", description = "initialisation and shuffling seed: same seed, same model (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--lr", description = "Adam learning rate, cosine-decayed to 1%% (default 1e-3 for fp, 2e-4 for QAT)") Float lr;
    @Option(names = "--bn-examples", paramLabel = "N",
            description = "QAT: the batch-norm statistics are re-estimated on the first N training images, in one batch, before and after "
                    + "training (default " + FinetuneOptions.QAT_BN_EXAMPLES + "; memory grows with N: VGG needs about 4 GB at 8192)") Integer bnExamples;
    @Option(names = "--batch", defaultValue = "128", description = "batch size (default ${DEFAULT-VALUE})") int batch;
    @Option(names = "--train-limit", defaultValue = "0", description = "use only the first N training images (0: all)") int trainLimit;
    @Option(names = "--data", description = "Fashion-MNIST folder (default ${DEFAULT-VALUE})", defaultValue = "/usr/share/datasets/fashion-mnist") Path data;
    @Option(names = {"-o", "--output"}, required = true, description = "the ONNX model to write") Path output;
    @Option(names = "--log", description = "per-epoch log, CSV (or JSON if the name ends in .json)") Path log;
    @Option(names = "--json", description = "print the final metrics as JSON on stdout") boolean json;
    @Mixin ProgressOptions progress;

    @Override
    public Integer call() throws Exception {
        Method m = Method.parse(method);
        Grouping g = grouping == null ? null : Grouping.parse(grouping);
        if (trainLimit < 0) throw new IllegalArgumentException("--train-limit must be ≥ 0, got " + trainLimit);
        return m == Method.FP ? fromScratch(g) : quantizationAware(m, g);
    }

    private int fromScratch(Grouping g) throws Exception {
        if (init != null) throw new IllegalArgumentException("--init starts quantization-aware training (--method ttq, syq, tga, twn, tnt or two-scale); method fp trains from scratch");
        for (var qatOnly : List.of(Map.entry("--grouping", g != null), Map.entry("--all-layers", allLayers), Map.entry("--bn-examples", bnExamples != null))) {
            if (qatOnly.getValue()) throw new IllegalArgumentException(qatOnly.getKey() + " is for quantization-aware training; method fp trains every layer in full precision");
        }
        if (model == null) throw new IllegalArgumentException("training from scratch needs --model mlp, lenet5, vgg or resnet20");
        TrainOptions o = TrainOptions.builder(Architecture.parse(model)).epochs(epochs).seed(seed).learningRate(lr).batchSize(batch).trainLimit(trainLimit).build();
        new PathGuard().folder(data).output(output).output(log).check();
        FashionMnist.Split train = FashionMnist.load(data, "train");
        FashionMnist.Split test = FashionMnist.load(data, "t10k");
        Training.Result r;
        // The model and the log together or neither: a failed export leaves no log of a model that does not exist.
        try (StagedOutputs staged = StagedOutputs.of(output, log)) {
            r = staged.commitAfter(() -> {
                Training.Result result = Training.run(o, train, test, progress.bar(), staged.path(log));
                OnnxExport.write(result.onnx(), staged.path(output));
                return result;
            });
        }
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", o.architecture().cliName());
            out.put("method", Method.FP.cliName());
            out.put("epochs", o.epochs());
            out.put("seed", o.seed());
            out.put("learning_rate", o.learningRate());
            out.put("batch", o.batchSize());
            out.put("test_accuracy", r.testAccuracy());
            EpochStats last = r.epochs().getLast();
            out.put("final_loss", last.loss());
            out.put("train_accuracy", last.trainAccuracy());
            out.put("wall_seconds_per_epoch", r.epochs().stream().mapToDouble(EpochStats::wallSeconds).average().orElse(0));
            out.put("cpu_seconds_per_epoch", r.epochs().stream().mapToDouble(EpochStats::cpuSeconds).average().orElse(0));
            out.put("output", output.toString());
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(out));
        } else {
            System.out.printf("test accuracy %.4f after %d epoch(s); wrote %s%n", r.testAccuracy(), o.epochs(), output);
        }
        return 0;
    }

    private int quantizationAware(Method m, Grouping g) throws Exception {
        if (init == null) throw new IllegalArgumentException("quantization-aware training starts from a trained model: give --init MODEL.onnx");
        if (model != null) throw new IllegalArgumentException("--model names an architecture to train from scratch (method fp); quantization-aware training takes its model from --init");
        FinetuneOptions.Builder b = FinetuneOptions.quantizationAware(m).grouping(g).allLayers(allLayers).epochs(epochs).seed(seed).batchSize(batch);
        if (lr != null) b.learningRate(lr);
        if (bnExamples != null) b.bnExamples(bnExamples);
        FinetuneOptions o = b.build();
        new PathGuard().model(init).folder(data).output(output).output(log).check();
        Dataset train = DataSources.idxFolder(data, "train");
        if (trainLimit > 0) train = train.limit(trainLimit);
        Dataset test = DataSources.idxFolder(data, "t10k");
        Dataset examples = train;
        record Outcome(FinetuneResult result, double testAccuracy) {}
        Outcome r;
        // The model and the log together or neither; the accuracy reported is that of the written bytes.
        try (StagedOutputs staged = StagedOutputs.of(output, log)) {
            r = staged.commitAfter(() -> {
                FinetuneResult result;
                try (FinetuneCommand.Listener listener = new FinetuneCommand.Listener(progress)) {
                    result = Finetune.run(new Finetune.Request(init, examples, null, o, listener));
                }
                Path written = staged.path(output);
                result.output().write(written, init);
                double accuracy;
                try (OrtModel ort = OrtModel.open(written, 1, null)) {
                    Double top1 = Evaluator.evaluate(ort, test, Evaluator.DEFAULT_BATCH).top1();
                    if (top1 == null) throw new IOException(test.source() + ": no labels to measure accuracy on");
                    accuracy = top1;
                }
                if (log != null) TrainingLog.write(staged.path(log), List.of(TrainingLog.EPOCH, TrainingLog.LOSS, TrainingLog.WALL_SECONDS, TrainingLog.CPU_SECONDS),
                        result.epochs().stream().map(e -> new double[] {e.epoch(), e.loss(), e.seconds(), e.cpuSeconds()}).toList());
                return new Outcome(result, accuracy);
            });
        }
        FinetuneResult f = r.result();
        List<String> ternary = f.layers().stream().filter(FinetuneResult.Layer::ternarized).map(FinetuneResult.Layer::weight).toList();
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("init", init.toString());
            out.put("method", m.cliName());
            out.put("grouping", o.grouping().spec());
            out.put("ternary_layers", ternary);
            out.put("epochs", o.epochs());
            out.put("seed", o.seed());
            out.put("learning_rate", o.learningRate());
            out.put("batch", o.batchSize());
            out.put("train_examples", examples.count());
            out.put("bn_examples", Math.min(o.bnExamples(), examples.count()));
            out.put("final_loss", f.epochs().getLast().loss());
            out.put("train_accuracy", f.after().accuracy());
            out.put("wall_seconds_per_epoch", f.epochs().stream().mapToDouble(FinetuneResult.Epoch::seconds).average().orElse(0));
            out.put("cpu_seconds_per_epoch", f.epochs().stream().mapToDouble(FinetuneResult.Epoch::cpuSeconds).average().orElse(0));
            out.put("test_accuracy", r.testAccuracy());
            out.put("test_examples", test.count());
            out.put("output", output.toString());
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(out));
        } else {
            System.out.printf("%s: %s, grouping %s, ternary %s; test accuracy %.4f (ONNX Runtime, %d images) after %d epoch(s); wrote %s%n",
                    init, m.cliName(), o.grouping().spec(), String.join(",", ternary), r.testAccuracy(), test.count(), o.epochs(), output);
        }
        return 0;
    }
}
