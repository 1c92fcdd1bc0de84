package org.ternary4j.ptq.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.ternary4j.formats.gguf.GgufValue;

/** The hyperparameters of a Hugging Face Llama config.json that llama.cpp reads from GGUF metadata. */
record LlamaConfig(Path file, JsonNode json, int heads, int kvHeads) {
    static final String ARCHITECTURE = "LlamaForCausalLM";

    /** config.json beside the checkpoint when it declares a Llama causal LM; empty otherwise. */
    static Optional<LlamaConfig> find(Path folder) throws IOException {
        Path file = folder.resolve("config.json");
        if (!Files.isRegularFile(file)) return Optional.empty();
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        boolean llama = false;
        for (JsonNode a : json.path("architectures")) llama |= ARCHITECTURE.equals(a.asText());
        if (!llama) return Optional.empty();
        int heads = positive(file, json, "num_attention_heads");
        int kvHeads = json.has("num_key_value_heads") ? positive(file, json, "num_key_value_heads") : heads;
        return Optional.of(new LlamaConfig(file, json, heads, kvHeads));
    }

    private static int positive(Path file, JsonNode json, String key) throws IOException {
        JsonNode v = json.get(key);
        if (v == null || !v.canConvertToInt() || v.asInt() < 1) throw new IOException(file + ": '" + key + "' missing or not a positive integer");
        return v.asInt();
    }

    /** The llama.* keys (and general.architecture) llama.cpp's loader requires or uses. */
    Map<String, GgufValue> metadata() throws IOException {
        int hidden = positive(file, json, "hidden_size");
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("general.architecture", new GgufValue.Str("llama"));
        kv.put("llama.context_length", new GgufValue.U32(positive(file, json, "max_position_embeddings")));
        kv.put("llama.embedding_length", new GgufValue.U32(hidden));
        kv.put("llama.block_count", new GgufValue.U32(positive(file, json, "num_hidden_layers")));
        kv.put("llama.feed_forward_length", new GgufValue.U32(positive(file, json, "intermediate_size")));
        kv.put("llama.attention.head_count", new GgufValue.U32(heads));
        kv.put("llama.attention.head_count_kv", new GgufValue.U32(kvHeads));
        int headDim = json.has("head_dim") ? positive(file, json, "head_dim") : hidden / heads;
        kv.put("llama.rope.dimension_count", new GgufValue.U32(headDim));
        JsonNode eps = json.get("rms_norm_eps");
        if (eps == null || !eps.isNumber()) throw new IOException(file + ": 'rms_norm_eps' missing or not a number");
        kv.put("llama.attention.layer_norm_rms_epsilon", new GgufValue.F32(eps.floatValue()));
        if (json.path("rope_theta").isNumber()) kv.put("llama.rope.freq_base", new GgufValue.F32(json.get("rope_theta").floatValue()));
        if (json.has("vocab_size")) kv.put("llama.vocab_size", new GgufValue.U32(positive(file, json, "vocab_size")));
        return kv;
    }

    /** Settings that change the model but have no GGUF key here, to be reported. */
    Optional<String> unsupported() {
        JsonNode s = json.get("rope_scaling");
        if (s != null && !s.isNull()) return Optional.of("config.json's rope_scaling " + s + " is not written (llama.cpp would need rope scaling keys and, for llama3 scaling, a rope_freqs tensor)");
        return Optional.empty();
    }
}
