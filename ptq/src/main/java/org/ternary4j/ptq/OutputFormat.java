package org.ternary4j.ptq;

import java.util.Locale;

/** How a quantized model stores its ternarized weights. */
public enum OutputFormat {
    /** Floats holding the dequantized ternary values, in the input's own format (the default). */
    DEQUANTIZED,
    /** ONNX: MatMul/Gemm weights as com.microsoft.MatMulNBits with 2-bit codes ({@link MatMulNBitsQuantization}). */
    MATMULNBITS,
    /** Safetensors: Hugging Face transformers' BitNet checkpoint ({@link HfBitNetExport}). */
    BITNET;

    /** The format named {@code spec} (any case); null means {@link #DEQUANTIZED}. */
    public static OutputFormat parse(String spec) {
        if (spec == null) return DEQUANTIZED;
        for (OutputFormat f : values()) if (f.name().equalsIgnoreCase(spec.strip())) return f;
        StringBuilder known = new StringBuilder();
        for (OutputFormat f : values()) known.append(known.isEmpty() ? "" : ", ").append(f.name().toLowerCase(Locale.ROOT));
        throw new IllegalArgumentException("output format '" + spec + "': unknown; one of " + known);
    }
}
