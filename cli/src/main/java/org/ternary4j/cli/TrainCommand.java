package org.ternary4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.qat.Architecture;
import org.ternary4j.qat.EpochStats;
import org.ternary4j.qat.FashionMnist;
import org.ternary4j.qat.Method;
import org.ternary4j.qat.OnnxExport;
import org.ternary4j.qat.TrainOptions;
import org.ternary4j.qat.Training;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ternary4j train}: train a zoo model on Fashion-MNIST, full precision or ternary-aware, and export ONNX. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a model on Fashion-MNIST (DJL + PyTorch CPU), full precision or quantization-aware, and write it as ONNX.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "mlp, lenet5, vgg or resnet20")
    String model;

    @Option(names = "--method", defaultValue = "fp", description = "fp, ttq, syq, tga, twn, tnt or two-scale (default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--grouping", description = "scale groups (default per method: ttq/tga/twn tensor, syq syq-pixel, tnt/two-scale row)")
    String grouping;

    @Option(names = "--all-layers", description = "also ternarize the first and the last layer")
    boolean allLayers;

    @Option(names = "--init", description = "start from the weights of this full-precision ternary4j ONNX model")
    Path init;

    @Option(names = "--epochs", defaultValue = "1", description = "passes over the training set (default ${DEFAULT-VALUE})") int epochs;
    @Option(names = "--seed", defaultValue = "1", description = "initialisation and shuffling seed: same seed, same model (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--lr", description = "Adam learning rate, cosine-decayed to 1%% (default 1e-3 for fp, 2e-4 for QAT)") Float lr;
    @Option(names = "--bn-recalibrate", description = "after training, re-estimate batch-norm statistics on N batches of 256 (default 100 for QAT, 0 for fp)") Integer bnRecalibrate;
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
        TrainOptions o = TrainOptions.builder(Architecture.parse(model), m).grouping(g).allLayers(allLayers).epochs(epochs).seed(seed)
                .learningRate(lr).batchSize(batch).init(init).trainLimit(trainLimit).bnRecalibration(bnRecalibrate).build();
        checkOutput();
        new PathGuard().model(init).folder(data).output(output).output(log).check();
        FashionMnist.Split train = FashionMnist.load(data, "train");
        FashionMnist.Split test = FashionMnist.load(data, "t10k");
        Training.Result r;
        // The model and the log together or neither: a failed export leaves no log of a model that does not exist.
        try (StagedOutputs staged = StagedOutputs.of(output, log)) {
            r = staged.commitAfter(() -> {
                Training.Result result = Training.run(o, train, test, progress.bar(), staged.path(log));
                OnnxExport.write(result.onnx(), staged.path(output), init);
                return result;
            });
        }
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", o.architecture().cliName());
            out.put("method", m.cliName());
            out.put("grouping", o.grouping().spec());
            out.put("ternary_layers", r.ternaryLayers());
            out.put("epochs", o.epochs());
            out.put("seed", o.seed());
            out.put("learning_rate", o.learningRate());
            out.put("batch", o.batchSize());
            if (init != null) out.put("test_accuracy_before_training", r.initialTestAccuracy());
            out.put("test_accuracy_before_bn_recalibration", r.trainedTestAccuracy());
            out.put("bn_recalibration_batches", o.bnRecalibration());
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

    /** Fails before minutes of training rather than after: the output must be writable and not the input. */
    private void checkOutput() throws IOException {
        Path abs = output.toAbsolutePath().normalize();
        if (abs.getParent() == null || !Files.isDirectory(abs.getParent())) throw new IOException(output + ": output folder does not exist");
        if (init != null && (init.toAbsolutePath().normalize().equals(abs) || (Files.exists(output) && Files.exists(init) && Files.isSameFile(init, output)))) {
            throw new IOException(output + ": output would overwrite the input file");
        }
    }
}
