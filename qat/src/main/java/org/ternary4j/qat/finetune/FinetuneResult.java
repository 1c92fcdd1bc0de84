package org.ternary4j.qat.finetune;

import java.util.List;
import java.util.Map;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.packed.PackedOnnxWeights;

/**
 * What a fine-tuning run gives back: the model to write (the original graph with the new weight
 * values), each weight layer's outcome, and the student measured on the training examples before
 * and after training.
 *
 * @param output        the original model with the ternary weights and trained biases written back
 * @param layers        every Conv/Gemm/MatMul weight in graph order, ternarized or not
 * @param ternary       the ternarized weights' codes and scales, as {@code --packed} stores them
 * @param keptAt        the layers a mixed-precision start kept at INT8/FP16 (frozen), as {@code --packed} stores them
 * @param before        the student at the start (projected or calibrated weights), before any step
 * @param after         the written model's weights
 * @param epochs        mean training loss, wall seconds and the training thread's CPU seconds per epoch
 * @param bitsTernary   average storage bits/weight over the ternarized layers (codes + fp32 scales)
 * @param bitsAll       the same over every Conv/Gemm/MatMul weight, kept layers at their stored width
 */
public record FinetuneResult(OnnxModel output, List<Layer> layers, List<PackedOnnxWeights.Weight> ternary, Map<String, KeptTensor> keptAt, Metrics before, Metrics after, List<Epoch> epochs,
                             double bitsTernary, double bitsAll) {

    /** One weight layer: ternarized (with its grouping and cost) or kept, and why. */
    public record Layer(String weight, String op, boolean ternarized, String reason, long weights, double bitsPerWeight, String grouping) {}

    /**
     * The student on the training examples.
     *
     * @param loss      the distillation loss (without the label term)
     * @param agreement share of examples (of positions, for sequence logits) whose arg-max class matches the full-precision model's (NaN without class logits)
     * @param accuracy  share of examples whose arg-max class is the label (NaN without labels)
     */
    public record Metrics(double loss, double agreement, double accuracy) {}

    /**
     * @param seconds    wall-clock seconds of the epoch
     * @param cpuSeconds CPU seconds of the thread that trained (PyTorch runs its operators on the calling thread
     *                   with one intra-op thread), NaN where the JVM cannot measure thread CPU time
     */
    public record Epoch(int epoch, double loss, double seconds, double cpuSeconds) {}

    /** Receives progress; every method may be left out. */
    public interface Listener {
        default void epochStarted(int epoch, int epochs, int examples) {}

        default void batchDone(int examples, double meanLoss) {}

        default void epochDone(Epoch e) {}

        default void note(String line) {}
    }
}
