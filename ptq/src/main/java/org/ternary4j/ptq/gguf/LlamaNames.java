package org.ternary4j.ptq.gguf;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face Llama tensor names to llama.cpp's (the names convert_hf_to_gguf.py writes for
 * LLM_ARCH_LLAMA). A name this does not know is not a tensor llama.cpp would load.
 */
final class LlamaNames {
    private LlamaNames() {}

    private static final Map<String, String> GLOBAL = Map.of(
            "model.embed_tokens", "token_embd",
            "model.norm", "output_norm",
            "lm_head", "output");
    private static final Map<String, String> LAYER = Map.of(
            "self_attn.q_proj", "attn_q",
            "self_attn.k_proj", "attn_k",
            "self_attn.v_proj", "attn_v",
            "self_attn.o_proj", "attn_output",
            "mlp.gate_proj", "ffn_gate",
            "mlp.up_proj", "ffn_up",
            "mlp.down_proj", "ffn_down",
            "input_layernorm", "attn_norm",
            "post_attention_layernorm", "ffn_norm");
    private static final Pattern LAYER_NAME = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)\\.(weight|bias)");
    private static final Pattern GLOBAL_NAME = Pattern.compile("(.+)\\.(weight|bias)");

    /** llama.cpp's name for a Hugging Face tensor, or empty when llama.cpp has none. */
    static Optional<String> map(String hf) {
        Matcher m = LAYER_NAME.matcher(hf);
        if (m.matches()) {
            String part = LAYER.get(m.group(2));
            return part == null ? Optional.empty() : Optional.of("blk." + Integer.parseInt(m.group(1)) + "." + part + "." + m.group(3));
        }
        m = GLOBAL_NAME.matcher(hf);
        if (m.matches() && GLOBAL.containsKey(m.group(1))) return Optional.of(GLOBAL.get(m.group(1)) + "." + m.group(2));
        return Optional.empty();
    }

    /** Buffers that checkpoints sometimes carry but llama.cpp recomputes (rotary inverse frequencies). */
    static boolean recomputed(String hf) {
        return hf.endsWith(".rotary_emb.inv_freq");
    }

    /** Whether llama.cpp keeps this tensor as a plain float table rather than a matrix product weight. */
    static boolean embeddingOrHead(String gguf) {
        return gguf.startsWith("token_embd.") || gguf.startsWith("output.");
    }

    /**
     * The heads whose rows llama.cpp wants interleaved for its rotary embedding (convert_hf_to_gguf's
     * {@code permute}): query rows by attention heads, key rows by key/value heads; 0 for other tensors.
     */
    static int ropeHeads(String gguf, LlamaConfig config) {
        if (gguf.contains(".attn_q.")) return config.heads();
        if (gguf.contains(".attn_k.")) return config.kvHeads();
        return 0;
    }

    /**
     * Reorders rows as convert_hf_to_gguf's permute: within each head of {@code rows/heads} rows,
     * row {@code j·half + i} (j = 0, 1) moves to {@code 2i + j}.
     */
    static float[] permuteRows(float[] w, int rows, int heads) {
        int per = rows / heads, half = per / 2, cols = w.length / rows;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(w, (h * per + j * half + i) * cols, out, (h * per + 2 * i + j) * cols, cols);
                }
            }
        }
        return out;
    }
}
