package org.ternary4j.runtime.graph;

/**
 * What the ternary layers multiply their packed weights with: the float activations themselves,
 * or each activation vector quantized to int8 with one scale (summed in integers, like llama.cpp's
 * ternary formats).
 */
public enum Activations {
    /**
     * Int8 per vector in the MatMul and Gemm layers whose int8 product looks its sums up in tables:
     * weights in the TRIPLES layout (512-bit machines; 1.3–6× their float product at every batch
     * measured) or, on 256-bit machines, the same layers in TWO_BIT with the quad tables across
     * vectors (1.3–1.6× the float panels at 128 rows on a Zen 3), float in
     * every other ternary layer: convolutions and matrices in the base-3 or 2-bit layouts ran
     * slower or no faster with int8 activations on every model measured here (VGG, LeNet-5, the
     * three PaddleOCR models). The 3×3 stride-1 convs run by Winograd's F(2×2, 3×3) where a tile
     * row's transformed inputs fit the kernel's bound (each output the direct sum's up to
     * rounding): VGG's three ternary convs took 15–31 % less time than by their taps (one thread,
     * one image), the detector's 96-channel ones about 20 % less than by its panel products.
     */
    AUTO,
    /** Int8 per vector in every ternary layer. */
    INT8,
    /** Float in every ternary layer, every conv by its direct sum: each output is the dequantized layer's up to float rounding. */
    FLOAT;

    /** Whether 3×3 stride-1 ternary convs may run by Winograd's F(2×2, 3×3) (equal to the direct sum up to rounding, not bit for bit). */
    boolean winograd() {
        return this == AUTO;
    }

    /** Whether a ternary layer keeps float activations; {@code int8Pays}: the layer is one that AUTO gives int8. */
    boolean floatIn(boolean int8Pays) {
        return this == FLOAT || this == AUTO && !int8Pays;
    }
}
