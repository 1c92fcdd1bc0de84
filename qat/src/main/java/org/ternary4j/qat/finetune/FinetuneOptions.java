package org.ternary4j.qat.finetune;

import java.util.List;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.formats.onnx.NamePattern;
import org.ternary4j.qat.Method;

/**
 * How {@link Finetune} trains. Built with {@link #builder}, which fills in the defaults.
 *
 * @param grouping     the groups that share a scale (the method's default when not set); rank-2
 *                     weights take {@link Grouping#forRank}'s fallback, as the ternarizer does
 * @param allLayers    also ternarize the first and last weight layers
 * @param include      when not empty, only layers whose weight or node name matches one
 * @param exclude      layers whose weight or node name matches one stay full precision
 * @param learningRate Adam's rate, cosine-decayed to 1 % over the run
 * @param packing      the code packing bits/weight are counted for
 * @param bnExamples   examples the statistics of batch norms after ternarized Conv and Gemm layers are re-estimated on
 *                     before training (0: keep the model's)
 * @param hidden       intermediate values (by value name) also matched to the teacher's, e.g. each
 *                     encoder layer's hidden state; empty: the graph outputs only
 * @param hiddenWeight the weight the hidden targets share, against 1 for each graph output
 * @param trainNorms   batch norms after ternarized Conv and Gemm layers train in their training form (batch
 *                     statistics, scale and shift trained), their statistics re-estimated on
 *                     {@code bnExamples} examples after training
 * @param trainLayerNorms the scale and shift of layer normalisations train too ({@link LayerNorms})
 * @param distillWeight the factor on the match to the full-precision model's outputs; 0 with labels trains on the labels alone
 * @param trainKept    the weights and biases of the Conv/Gemm/MatMul layers kept in full precision
 *                     train too, in float (quantization-aware training of a whole network)
 * @param halfScales   scales rounded to FP16 in every forward pass and in the written model (stored as FP16)
 * @param pooledWeight the weight of 1 − cosine of the mean-pooled per-token output (a sentence embedding)
 *                     against 1 for the per-token error
 */
public record FinetuneOptions(Method method, Grouping grouping, boolean allLayers, List<NamePattern> include, List<NamePattern> exclude,
                              int epochs, long seed, float learningRate, int batchSize, Packing packing, int bnExamples,
                              List<NamePattern> hidden, float hiddenWeight, boolean trainNorms, boolean trainLayerNorms, boolean trainKept, float distillWeight, float pooledWeight, boolean halfScales) {
    public FinetuneOptions {
        if (method == Method.FP) throw new IllegalArgumentException("fine-tuning ternarizes: method fp has nothing to learn");
        if (epochs < 1) throw new IllegalArgumentException("epochs must be ≥ 1, got " + epochs);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be ≥ 1, got " + batchSize);
        if (!(learningRate > 0) || Float.isInfinite(learningRate)) throw new IllegalArgumentException("learning rate must be a positive number, got " + learningRate);
        if (bnExamples < 0) throw new IllegalArgumentException("batch-norm re-estimation examples must be ≥ 0, got " + bnExamples);
        if (trainNorms && bnExamples == 0) throw new IllegalArgumentException("batch norms trained in their training form need their statistics re-estimated after training: examples for it must be ≥ 1");
        if (!(hiddenWeight >= 0) || Float.isInfinite(hiddenWeight)) throw new IllegalArgumentException("hidden-state weight must be a number ≥ 0, got " + hiddenWeight);
        if (!(distillWeight >= 0) || Float.isInfinite(distillWeight)) throw new IllegalArgumentException("distillation weight must be a number ≥ 0, got " + distillWeight);
        if (!(pooledWeight >= 0) || Float.isInfinite(pooledWeight)) throw new IllegalArgumentException("pooled-embedding weight must be a number ≥ 0, got " + pooledWeight);
        hidden = List.copyOf(hidden);
        if (grouping == null) grouping = Grouping.parse(method.defaultGrouping());
        method.checkGrouping(grouping);
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
    }

    public static Builder builder(Method m) {
        return new Builder(m);
    }

    /** Batch-norm re-estimation examples of {@link #quantizationAware}: one batch of them fits VGG in about 4 GB. */
    public static final int QAT_BN_EXAMPLES = 8192;

    /**
     * Quantization-aware training of a trained classifier on its labels ({@code ternary4j train
     * --method M --init MODEL.onnx}): the labels alone (distillation weight 0), the layers kept in
     * full precision and the batch norms (in their training form) trained too, rate 2e-4, batches of
     * 128, batch-norm statistics re-estimated on {@value #QAT_BN_EXAMPLES} examples.
     */
    public static Builder quantizationAware(Method m) {
        return new Builder(m).learningRate(2e-4f).batchSize(128).trainNorms(true).trainKept(true).distillWeight(0).bnExamples(QAT_BN_EXAMPLES);
    }

    /** Defaults: the method's grouping, first and last layers full precision, 10 epochs, seed 1, rate 1e-4, batches of 32, base-3 packing, batch-norm statistics re-estimated on 256 examples, no hidden targets (weight 1 when given), batch norms frozen, layer norms frozen, kept layers frozen, distillation weight 1, pooled-embedding weight 1, FP32 scales. */
    public static final class Builder {
        private final Method method;
        private Grouping grouping;
        private boolean allLayers;
        private List<NamePattern> include = List.of(), exclude = List.of();
        private int epochs = 10;
        private long seed = 1;
        private float learningRate = 1e-4f;
        private int batchSize = 32;
        private Packing packing = Packing.BASE3;
        private int bnExamples = 256;
        private List<NamePattern> hidden = List.of();
        private float hiddenWeight = 1;
        private boolean trainNorms;
        private boolean trainLayerNorms;
        private boolean trainKept;
        private float distillWeight = 1;
        private float pooledWeight = 1;
        private boolean halfScales;

        private Builder(Method method) {
            this.method = method;
        }

        public Builder grouping(Grouping g) {
            grouping = g;
            return this;
        }

        public Builder allLayers(boolean v) {
            allLayers = v;
            return this;
        }

        public Builder include(List<NamePattern> v) {
            include = v;
            return this;
        }

        public Builder exclude(List<NamePattern> v) {
            exclude = v;
            return this;
        }

        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder learningRate(float v) {
            learningRate = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder packing(Packing v) {
            packing = v;
            return this;
        }

        public Builder bnExamples(int v) {
            bnExamples = v;
            return this;
        }

        public Builder hidden(List<NamePattern> v) {
            hidden = v;
            return this;
        }

        public Builder hiddenWeight(float v) {
            hiddenWeight = v;
            return this;
        }

        public Builder trainNorms(boolean v) {
            trainNorms = v;
            return this;
        }

        public Builder trainLayerNorms(boolean v) {
            trainLayerNorms = v;
            return this;
        }

        public Builder trainKept(boolean v) {
            trainKept = v;
            return this;
        }

        public Builder distillWeight(float v) {
            distillWeight = v;
            return this;
        }

        public Builder pooledWeight(float v) {
            pooledWeight = v;
            return this;
        }

        public Builder halfScales(boolean v) {
            halfScales = v;
            return this;
        }

        public FinetuneOptions build() {
            return new FinetuneOptions(method, grouping, allLayers, include, exclude, epochs, seed, learningRate, batchSize, packing, bnExamples,
                    hidden, hiddenWeight, trainNorms, trainLayerNorms, trainKept, distillWeight, pooledWeight, halfScales);
        }
    }
}
