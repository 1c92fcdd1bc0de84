/**
 * ternary4j train: full-precision and quantization-aware training of a small model zoo on
 * Fashion-MNIST with DJL 0.35.1 + PyTorch (CPU), and ONNX export without a converter.
 *
 * <p>A network is data ({@link org.ternary4j.qat.Layer}, {@link org.ternary4j.qat.Architecture});
 * {@link org.ternary4j.qat.Network} builds the DJL blocks from it and
 * {@link org.ternary4j.qat.OnnxExport} the ONNX graph, so the two cannot drift apart. Every
 * convolution and FC layer is a {@link org.ternary4j.qat.WeightBlock} whose
 * {@link org.ternary4j.qat.WeightQuantizer} (TTQ, SYQ, TGA, or a core projection inside an STE)
 * gives the weight of each forward pass with the method's backward built in by stop-gradients.
 * {@link org.ternary4j.qat.Training} runs the epochs; the CLI command is {@code ternary4j train}.
 */
package org.ternary4j.qat;
