package org.ternary4j.qat;

import java.nio.file.Path;
import org.ternary4j.core.grouping.Grouping;

/**
 * Everything a training run depends on; the same options give the same model.
 *
 * @param grouping   null: the method's default
 * @param init       FP ONNX model to start from, or null for a random start
 * @param trainLimit use only the first this-many training images (0: all), for quick runs
 * @param testLimit  evaluate on the first this-many test images (0: all)
 * @param bnRecalibration after training, this many train-mode forward batches (no weight
 *                   update) re-estimate the batch-norm statistics for the final weights; 0: none
 */
public record TrainOptions(Architecture architecture, Method method, Grouping grouping, boolean allLayers,
                           int epochs, long seed, float learningRate, int batchSize, Path init,
                           int trainLimit, int testLimit, int bnRecalibration) {
    public TrainOptions {
        if (epochs < 1) throw new IllegalArgumentException("--epochs must be ≥ 1, got " + epochs);
        if (batchSize < 1) throw new IllegalArgumentException("--batch must be ≥ 1, got " + batchSize);
        if (!(learningRate > 0) || Float.isInfinite(learningRate)) throw new IllegalArgumentException("--lr must be a positive number, got " + learningRate);
        if (bnRecalibration < 0) throw new IllegalArgumentException("--bn-recalibrate must be ≥ 0, got " + bnRecalibration);
        if (trainLimit < 0 || testLimit < 0) throw new IllegalArgumentException("subset sizes must be ≥ 0");
        if (grouping == null) grouping = Grouping.parse(method.defaultGrouping());
        method.checkGrouping(grouping);
    }

    /**
     * QAT moves the ternary weights in jumps, so the running statistics, averaged over the last
     * batches, lag behind the final weights; 100 batches re-estimate them.
     */
    public static final int DEFAULT_BN_RECALIBRATION = 100;

    public static TrainOptions defaults(Architecture a, Method m) {
        return new TrainOptions(a, m, null, false, 1, 1, m == Method.FP ? 1e-3f : 2e-4f, 128, null, 0, 0, m == Method.FP ? 0 : DEFAULT_BN_RECALIBRATION);
    }

    public TrainOptions withEpochs(int e) {
        return new TrainOptions(architecture, method, grouping, allLayers, e, seed, learningRate, batchSize, init, trainLimit, testLimit, bnRecalibration);
    }

    public TrainOptions withSeed(long s) {
        return new TrainOptions(architecture, method, grouping, allLayers, epochs, s, learningRate, batchSize, init, trainLimit, testLimit, bnRecalibration);
    }

    public TrainOptions withInit(Path p) {
        return new TrainOptions(architecture, method, grouping, allLayers, epochs, seed, learningRate, batchSize, p, trainLimit, testLimit, bnRecalibration);
    }

    public TrainOptions withLimits(int train, int test) {
        return new TrainOptions(architecture, method, grouping, allLayers, epochs, seed, learningRate, batchSize, init, train, test, bnRecalibration);
    }

    public TrainOptions withLearningRate(float lr) {
        return new TrainOptions(architecture, method, grouping, allLayers, epochs, seed, lr, batchSize, init, trainLimit, testLimit, bnRecalibration);
    }

    public TrainOptions withBnRecalibration(int batches) {
        return new TrainOptions(architecture, method, grouping, allLayers, epochs, seed, learningRate, batchSize, init, trainLimit, testLimit, batches);
    }

    public TrainOptions withAllLayers(boolean all) {
        return new TrainOptions(architecture, method, grouping, all, epochs, seed, learningRate, batchSize, init, trainLimit, testLimit, bnRecalibration);
    }
}
