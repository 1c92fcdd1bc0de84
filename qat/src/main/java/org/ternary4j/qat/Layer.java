package org.ternary4j.qat;

import java.util.List;

/**
 * A network described as data. The same description builds the DJL blocks for training and the
 * ONNX graph for export, so the two cannot drift apart. Names are unique per network and become
 * the ONNX initializer names ({@code name.weight}, {@code name.bias}, ...).
 */
public sealed interface Layer {

    /** A layer with a weight tensor (and optionally a bias). */
    sealed interface Weighted extends Layer {
        String name();

        int out();

        boolean bias();
    }

    /** 2-D convolution, square kernel, symmetric padding. Weight [out, in, k, k]. */
    record Conv(String name, int out, int kernel, int stride, int pad, boolean bias) implements Weighted {}

    /** Fully connected; input [N, in]. Weight [out, in] (ONNX Gemm with transB = 1). */
    record Dense(String name, int out, boolean bias) implements Weighted {}

    /** Batch normalisation over axis 1 (channels or features); epsilon 1e-5. */
    record BatchNorm(String name) implements Layer {}

    record Relu() implements Layer {}

    record MaxPool(int size) implements Layer {}

    /** [N, C, H, W] → [N, C·H·W]. */
    record Flatten() implements Layer {}

    /** [N, C, H, W] → [N, C, 1, 1]. */
    record GlobalAvgPool() implements Layer {}

    /** out = main(x) + shortcut(x); an empty shortcut is the identity. */
    record Residual(List<Layer> main, List<Layer> shortcut) implements Layer {}

    float BN_EPSILON = 1e-5f;
}
