package org.ternary4j.qat;

/**
 * Everything a full-precision training run from scratch depends on; the same options give the same
 * model. Built with {@link #builder}. (Quantization-aware training starts from a trained ONNX model
 * and runs on the fine-tuning path, {@link org.ternary4j.qat.finetune.Finetune}.)
 *
 * @param trainLimit use only the first this-many training images (0: all), for quick runs
 * @param testLimit  evaluate on the first this-many test images (0: all)
 */
public record TrainOptions(Architecture architecture, int epochs, long seed, float learningRate, int batchSize, int trainLimit, int testLimit) {
    public TrainOptions {
        if (epochs < 1) throw new IllegalArgumentException("epochs must be ≥ 1, got " + epochs);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be ≥ 1, got " + batchSize);
        if (!(learningRate > 0) || Float.isInfinite(learningRate)) throw new IllegalArgumentException("learning rate must be a positive number, got " + learningRate);
        if (trainLimit < 0 || testLimit < 0) throw new IllegalArgumentException("subset sizes must be ≥ 0");
    }

    /** The default Adam rate from scratch. */
    public static final float DEFAULT_LEARNING_RATE = 1e-3f;

    /** Options for training {@code a}: one epoch, seed 1, rate 1e-3, batches of 128, every image. */
    public static Builder builder(Architecture a) {
        return new Builder(a);
    }

    /** A builder holding these options, to change some of them. */
    public Builder toBuilder() {
        return builder(architecture).epochs(epochs).seed(seed).learningRate(learningRate).batchSize(batchSize).trainLimit(trainLimit).testLimit(testLimit);
    }

    /** Unset values (and a learning rate set to null) take the defaults when built. */
    public static final class Builder {
        private final Architecture architecture;
        private int epochs = 1;
        private long seed = 1;
        private Float learningRate;
        private int batchSize = 128;
        private int trainLimit;
        private int testLimit;

        private Builder(Architecture architecture) {
            this.architecture = architecture;
        }

        public Builder epochs(int e) {
            epochs = e;
            return this;
        }

        public Builder seed(long s) {
            seed = s;
            return this;
        }

        /** Null: {@link #DEFAULT_LEARNING_RATE}. */
        public Builder learningRate(Float lr) {
            learningRate = lr;
            return this;
        }

        public Builder batchSize(int b) {
            batchSize = b;
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

        public TrainOptions build() {
            return new TrainOptions(architecture, epochs, seed, learningRate != null ? learningRate : DEFAULT_LEARNING_RATE, batchSize, trainLimit, testLimit);
        }
    }
}
