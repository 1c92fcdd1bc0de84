package org.ternary4j.ptq;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.HalfFloats;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/** Writes small Llama-shaped checkpoints with random weights in Hugging Face's sharded layout, for tests. */
final class LlamaCheckpoints {
    static final int LAYERS = 2, HIDDEN = 256, FFN = 512, HEADS = 4, KV_HEADS = 2, VOCAB = 64;
    static final String SHARD1 = "model-00001-of-00002.safetensors", SHARD2 = "model-00002-of-00002.safetensors";

    record T(DType dtype, int[] shape, float[] values) {}

    private LlamaCheckpoints() {}

    /** Two shards (layer 0 and the embeddings in the first), the index, config.json; returns every tensor by name. */
    static Map<String, T> write(Path folder, long seed) throws IOException {
        Random rnd = new Random(seed);
        Map<String, T> first = new LinkedHashMap<>(), second = new LinkedHashMap<>();
        first.put("model.embed_tokens.weight", random(rnd, VOCAB, HIDDEN));
        int hd = HIDDEN / HEADS;
        for (int l = 0; l < LAYERS; l++) {
            Map<String, T> m = l == 0 ? first : second;
            String p = "model.layers." + l + ".";
            m.put(p + "self_attn.q_proj.weight", random(rnd, HEADS * hd, HIDDEN));
            m.put(p + "self_attn.k_proj.weight", random(rnd, KV_HEADS * hd, HIDDEN));
            m.put(p + "self_attn.v_proj.weight", random(rnd, KV_HEADS * hd, HIDDEN));
            m.put(p + "self_attn.o_proj.weight", random(rnd, HIDDEN, HIDDEN));
            m.put(p + "mlp.gate_proj.weight", random(rnd, FFN, HIDDEN));
            m.put(p + "mlp.up_proj.weight", random(rnd, FFN, HIDDEN));
            m.put(p + "mlp.down_proj.weight", random(rnd, HIDDEN, FFN));
            m.put(p + "input_layernorm.weight", random(rnd, HIDDEN));
            m.put(p + "post_attention_layernorm.weight", random(rnd, HIDDEN));
        }
        second.put("model.norm.weight", random(rnd, HIDDEN));
        second.put("lm_head.weight", random(rnd, VOCAB, HIDDEN));
        Files.createDirectories(folder);
        shard(folder.resolve(SHARD1), first);
        shard(folder.resolve(SHARD2), second);
        StringBuilder index = new StringBuilder("{\"metadata\": {\"total_size\": 0}, \"weight_map\": {");
        String sep = "";
        for (String n : first.keySet()) { index.append(sep).append('"').append(n).append("\": \"").append(SHARD1).append('"'); sep = ", "; }
        for (String n : second.keySet()) index.append(", \"").append(n).append("\": \"").append(SHARD2).append('"');
        Files.writeString(folder.resolve("model.safetensors.index.json"), index + "}}");
        Files.writeString(folder.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 256, "intermediate_size": 512,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 2048,
                 "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "vocab_size": 64, "tie_word_embeddings": false, "torch_dtype": "bfloat16"}
                """);
        Map<String, T> all = new LinkedHashMap<>(first);
        all.putAll(second);
        return all;
    }

    private static T random(Random rnd, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = HalfFloats.roundTo(DType.BF16, (float) (rnd.nextGaussian() * 0.05));
        return new T(DType.BF16, shape, v);
    }

    private static void shard(Path file, Map<String, T> tensors) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        tensors.forEach((name, t) -> specs.add(TensorSpec.of(name, t.dtype(), t.shape())));
        try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, Map.of("format", "pt"))) {
            for (Map.Entry<String, T> e : tensors.entrySet()) w.writeFloats(e.getKey(), e.getValue().values());
            w.commit();
        }
    }
}
