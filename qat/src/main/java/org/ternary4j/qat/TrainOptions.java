package org.ternary4j.qat;

import java.nio.file.Path;
import org.ternary4j.core.grouping.Grouping;

/**
 * Everything a training run depends on; the same options give the same model. Built with
 * {@link #builder}, which fills in each method's defaults.
 *
 * @param grouping        the groups that share a scale; null: the method's default
 * @param init            FP ONNX model to start from, or null for a random start
 * @param trainLimit      use only the first this-many training images (0: all), for quick runs
 * @param testLimit       evaluate on the first this-many test images (0: all)
 * @param bnRecalibration after training, this many train-mode forward batches (no weight
 *                        update) re-estimate the batch-norm statistics for the final weights; 0: none
 */
public record TrainOptions(Architecture architecture, Method method, Grouping grouping, boolean allLayers,
                           int epochs, long seed, float learningRate, int batchSize, Path init,
                           int trainLimit, int testLimit, int bnRecalibration) {
    public TrainOptions {
        if (epochs < 1) throw new IllegalArgumentException("epochs must be ≥ 1, got " + epochs);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be ≥ 1, got " + batchSize);
        if (!(learningRate > 0) || Float.isInfinite(learningRate)) throw new IllegalArgumentException("learning rate must be a positive number, got " + learningRate);
        if (bnRecalibration < 0) throw new IllegalArgumentException("batch-norm recalibration batches must be ≥ 0, got " + bnRecalibration);
        if (trainLimit < 0 || testLimit < 0) throw new IllegalArgumentException("subset sizes must be ≥ 0");
        if (grouping == null) grouping = Grouping.parse(method.defaultGrouping());
        method.checkGrouping(grouping);
    }

    /**
     * QAT moves the ternary weights in jumps, so the running statistics, averaged over the last
     * batches, lag behind the final weights; 100 batches re-estimate them.
     */
    public static final int DEFAULT_BN_RECALIBRATION = 100;

    /** Options for training {@code a} with {@code m}: one epoch, seed 1, batches of 128, the method's defaults. */
    public static Builder builder(Architecture a, Method m) {
        return new Builder(a, m);
    }

    /** A builder holding these options, to change some of them. */
    public Builder toBuilder() {
        return builder(architecture, method).grouping(grouping).allLayers(allLayers).epochs(epochs).seed(seed)
                .learningRate(learningRate).batchSize(batchSize).init(init).trainLimit(trainLimit).testLimit(testLimit)
                .bnRecalibration(bnRecalibration);
    }

    /** Unset values (and those set to null) take the method's default when built. */
    public static final class Builder {
        private final Architecture architecture;
        private final Method method;
        private Grouping grouping;
        private boolean allLayers;
        private int epochs = 1;
        private long seed = 1;
        private Float learningRate;
        private int batchSize = 128;
        private Path init;
        private int trainLimit;
        private int testLimit;
        private Integer bnRecalibration;

        private Builder(Architecture architecture, Method method) {
            this.architecture = architecture;
            this.method = method;
        }

        /** Null: the method's default grouping. */
        public Builder grouping(Grouping g) {
            grouping = g;
            return this;
        }

        /** Also ternarize the first and the last layer. */
        public Builder allLayers(boolean all) {
            allLayers = all;
            return this;
        }

        public Builder epochs(int e) {
            epochs = e;
            return this;
        }

        public Builder seed(long s) {
            seed = s;
            return this;
        }

        /** Null: 1e-3 for full precision, 2e-4 for quantization-aware training. */
        public Builder learningRate(Float lr) {
            learningRate = lr;
            return this;
        }

        public Builder batchSize(int b) {
            batchSize = b;
            return this;
        }

        public Builder init(Path p) {
            init = p;
            return this;
        }

        public Builder trainLimit(int n) {
            trainLimit = n;
            return this;
        }

        public Builder testLimit(int n) {
            testLimit = n;
            return this;
        }

        /** Null: {@link #DEFAULT_BN_RECALIBRATION} for quantization-aware training, 0 for full precision. */
        public Builder bnRecalibration(Integer batches) {
            bnRecalibration = batches;
            return this;
        }

        public TrainOptions build() {
            boolean fp = method == Method.FP;
            return new TrainOptions(architecture, method, grouping, allLayers,
                    epochs, seed, learningRate != null ? learningRate : fp ? 1e-3f : 2e-4f, batchSize, init,
                    trainLimit, testLimit, bnRecalibration != null ? bnRecalibration : fp ? 0 : DEFAULT_BN_RECALIBRATION);
        }
    }
}
