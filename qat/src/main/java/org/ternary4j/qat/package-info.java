/**
 * ternary4j train and finetune: full-precision training of a small model zoo on Fashion-MNIST with
 * DJL 0.35.1 + PyTorch (CPU) and ONNX export without a converter; the methods' weight quantizers;
 * and, in {@link org.ternary4j.qat.finetune}, quantization-aware training of any ONNX model the
 * interpreter ({@link org.ternary4j.qat.graph}) runs.
 *
 * <p>A zoo network is data ({@link org.ternary4j.qat.Layer}, {@link org.ternary4j.qat.Architecture});
 * {@link org.ternary4j.qat.Network} builds the DJL blocks from it and
 * {@link org.ternary4j.qat.OnnxExport} the ONNX graph, so the two cannot drift apart;
 * {@link org.ternary4j.qat.Training} trains it from scratch. A {@link org.ternary4j.qat.WeightQuantizer}
 * (TTQ, SYQ, TGA, or a core projection inside an STE) gives a ternarized layer's weight for each
 * forward pass with the method's backward built in by stop-gradients; fine-tuning
 * ({@link org.ternary4j.qat.finetune.Finetune}) puts one on every ternarized weight of the ONNX
 * graph. Quantization-aware training of a zoo model ({@code ternary4j train --method M --init
 * MODEL.onnx}) is fine-tuning on the labels with every layer trained
 * ({@link org.ternary4j.qat.finetune.FinetuneOptions#quantizationAware}).
 */
package org.ternary4j.qat;
