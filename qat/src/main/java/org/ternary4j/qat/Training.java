package org.ternary4j.qat;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A whole training run from scratch in full precision: data, session, epochs with a progress bar and a log, export. */
public final class Training {

    /** What a run gives back: per-epoch statistics, the final model's test accuracy and the exportable parameters. */
    public record Result(TrainOptions options, List<EpochStats> epochs, double testAccuracy,
                         Map<String, FloatTensor> parameters, Map<String, String> metadata) {
        public ModelProto onnx() {
            return OnnxExport.model(options.architecture().layers(), parameters, metadata);
        }
    }

    private Training() {}

    /**
     * Trains as {@code o} says. {@code progress}: show a bar per epoch on stderr; {@code log}: the
     * CSV (or .json) log rewritten after every epoch, or null.
     */
    public static Result run(TrainOptions o, FashionMnist.Split train, FashionMnist.Split test, boolean progress, Path log) throws IOException {
        if (o.trainLimit() > 0) train = train.first(o.trainLimit());
        if (o.testLimit() > 0) test = test.first(o.testLimit());
        Network net = new Network(o.architecture());
        int steps = o.epochs() * ((train.count() + o.batchSize() - 1) / o.batchSize());
        List<EpochStats> epochs = new ArrayList<>();
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        try (TrainingSession s = new TrainingSession(net, o.seed(), o.learningRate(), steps)) {
            Random shuffle = new Random(o.seed());
            for (int e = 1; e <= o.epochs(); e++) {
                int[] order = permutation(train.count(), shuffle);
                long wall0 = System.nanoTime(), cpu0 = cpu.getCurrentThreadCpuTime();
                double[] r;
                try (ProgressBar bar = progress ? bar(e, o.epochs(), train.count()) : null) {
                    r = s.trainEpoch(train, order, o.batchSize(), (n, loss, acc) -> {
                        if (bar != null) {
                            bar.stepBy(n);
                            bar.setExtraMessage(String.format("loss %.4f acc %.4f", loss, acc));
                        }
                    });
                }
                double wall = (System.nanoTime() - wall0) / 1e9, cpuS = (cpu.getCurrentThreadCpuTime() - cpu0) / 1e9;
                double testAcc = s.accuracy(test);
                epochs.add(new EpochStats(e, r[0], r[1], testAcc, wall, cpuS));
                if (progress) System.err.printf("epoch %d/%d: loss %.4f, train acc %.4f, test acc %.4f, %.1f s%n", e, o.epochs(), r[0], r[1], testAcc, wall);
                if (log != null) TrainingLog.write(log, epochs);
            }
            double finalAcc = epochs.getLast().testAccuracy();
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("ternary4j.architecture", o.architecture().cliName());
            meta.put("ternary4j.method", Method.FP.cliName());
            meta.put("ternary4j.seed", Long.toString(o.seed()));
            meta.put("ternary4j.epochs", Integer.toString(o.epochs()));
            meta.put("ternary4j.test_accuracy", Double.toString(finalAcc));
            meta.put("ternary4j.test_images", Integer.toString(test.count()));
            meta.put("ternary4j.input", "x/255 in [0,1], NCHW [N,1,28,28], no normalisation");
            return new Result(o, epochs, finalAcc, s.exportParameters(), meta);
        }
    }

    /** A seeded Fisher–Yates shuffle of 0…n−1: the batch order of an epoch. */
    public static int[] permutation(int n, Random r) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static ProgressBar bar(int epoch, int epochs, int max) {
        return new ProgressBarBuilder().setTaskName("epoch " + epoch + "/" + epochs).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err))
                .setUpdateIntervalMillis(500).build();
    }
}
