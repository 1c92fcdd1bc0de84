package org.ternary4j.ptq.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class LlamaNamesTest {
    @Test
    void mapsHuggingFaceNamesToLlamaCpps() {
        assertEquals(Optional.of("token_embd.weight"), LlamaNames.map("model.embed_tokens.weight"));
        assertEquals(Optional.of("output_norm.weight"), LlamaNames.map("model.norm.weight"));
        assertEquals(Optional.of("output.weight"), LlamaNames.map("lm_head.weight"));
        assertEquals(Optional.of("blk.12.attn_q.weight"), LlamaNames.map("model.layers.12.self_attn.q_proj.weight"));
        assertEquals(Optional.of("blk.0.attn_output.weight"), LlamaNames.map("model.layers.0.self_attn.o_proj.weight"));
        assertEquals(Optional.of("blk.3.attn_k.bias"), LlamaNames.map("model.layers.3.self_attn.k_proj.bias"));
        assertEquals(Optional.of("blk.1.ffn_down.weight"), LlamaNames.map("model.layers.1.mlp.down_proj.weight"));
        assertEquals(Optional.of("blk.1.attn_norm.weight"), LlamaNames.map("model.layers.1.input_layernorm.weight"));
        assertEquals(Optional.of("blk.1.ffn_norm.weight"), LlamaNames.map("model.layers.1.post_attention_layernorm.weight"));
        assertEquals(Optional.empty(), LlamaNames.map("model.layers.1.mlp.experts.0.weight"));
        assertEquals(Optional.empty(), LlamaNames.map("vision.embed.weight"));
    }

    /** convert_hf_to_gguf's permute: reshape(heads, 2, rows/heads/2, cols).swapaxes(1, 2).reshape(rows, cols). */
    private static float[] numpyPermute(float[] w, int rows, int heads) {
        int half = rows / heads / 2, cols = w.length / rows;
        float[] out = new float[w.length];
        int k = 0;
        // Walk the swapped view [heads][half][2][cols] in row-major order, reading the source [heads][2][half][cols].
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int j = 0; j < 2; j++)
                    for (int c = 0; c < cols; c++) out[k++] = w[((h * 2 + j) * half + i) * cols + c];
        return out;
    }

    @Test
    void permutesRowsAsConvertHfToGguf() {
        // One head of four rows: the halves [0 1 | 2 3] interleave to 0 2 1 3.
        assertArrayEquals(new float[] {0, 2, 1, 3}, LlamaNames.permuteRows(new float[] {0, 1, 2, 3}, 4, 1));
        float[] w = new float[24 * 3];
        for (int i = 0; i < w.length; i++) w[i] = i;
        for (int heads : new int[] {1, 2, 3, 6, 12}) assertArrayEquals(numpyPermute(w, 24, heads), LlamaNames.permuteRows(w, 24, heads), "heads " + heads);
    }
}
