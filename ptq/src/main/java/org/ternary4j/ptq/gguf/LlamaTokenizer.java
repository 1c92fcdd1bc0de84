package org.ternary4j.ptq.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ternary4j.formats.gguf.GgufValue;

/**
 * The tokenizer.ggml.* keys for a byte-level BPE tokenizer.json (Llama 3's kind), as
 * convert_hf_to_gguf.py writes them for its "gpt2" vocabularies: tokens by id, their types, the
 * merges, the special token ids. llama.cpp will not load a model without these keys.
 */
final class LlamaTokenizer {
    /** llama_token_type values. */
    private static final int NORMAL = 1, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5;
    /** The split pattern of Llama 3's tokenizer.json, which llama.cpp calls pre-tokenizer "llama-bpe". */
    static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private LlamaTokenizer() {}

    /** Adds the tokenizer keys to {@code kv}, or a note to {@code notes} saying why none are written. */
    static void addTo(Path folder, LlamaConfig config, Map<String, GgufValue> kv, List<String> notes) throws IOException {
        Path file = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            notes.add("no tokenizer.json beside the checkpoint: no tokenizer.ggml.* keys, which llama.cpp needs to load the model");
            return;
        }
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        JsonNode model = json.path("model");
        if (!"BPE".equals(model.path("type").asText()) || model.path("byte_fallback").asBoolean(false)) {
            notes.add(file + ": not a byte-level BPE tokenizer (SentencePiece-style vocabularies are not converted): no tokenizer.ggml.* keys, which llama.cpp needs to load the model");
            return;
        }
        Map<Integer, String> byId = new LinkedHashMap<>();
        Map<Integer, Integer> types = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : model.path("vocab").properties()) {
            byId.put(e.getValue().asInt(), e.getKey());
            types.put(e.getValue().asInt(), NORMAL);
        }
        for (JsonNode a : json.path("added_tokens")) {
            byId.put(a.path("id").asInt(), a.path("content").asText());
            types.put(a.path("id").asInt(), a.path("special").asBoolean() ? CONTROL : USER_DEFINED);
        }
        if (byId.isEmpty()) throw new IOException(file + ": empty vocabulary");
        int size = Math.max(byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1, config.json().path("vocab_size").asInt(0));
        List<String> tokens = new ArrayList<>(size);
        int[] tokenTypes = new int[size];
        for (int i = 0; i < size; i++) {
            // Ids the tokenizer never produces still need a row name, as convert_hf_to_gguf pads them.
            tokens.add(byId.getOrDefault(i, "[PAD" + i + "]"));
            tokenTypes[i] = types.getOrDefault(i, UNUSED);
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
        kv.put("tokenizer.ggml.model", new GgufValue.Str("gpt2"));
        if (json.path("pre_tokenizer").toString().contains(new ObjectMapper().writeValueAsString(LLAMA3_SPLIT))) {
            kv.put("tokenizer.ggml.pre", new GgufValue.Str("llama-bpe"));
        } else {
            notes.add(file + ": pre-tokenizer not recognised as Llama 3's; no tokenizer.ggml.pre, llama.cpp falls back to its default");
        }
        kv.put("tokenizer.ggml.tokens", new GgufValue.StrArray(tokens));
        kv.put("tokenizer.ggml.token_type", new GgufValue.I32Array(tokenTypes));
        kv.put("tokenizer.ggml.merges", new GgufValue.StrArray(merges));
        for (String special : Arrays.asList("bos", "eos")) {
            JsonNode id = config.json().path(special + "_token_id");
            if (id.isArray() && !id.isEmpty()) id = id.get(0); // several end tokens: llama.cpp takes one
            if (id.canConvertToInt()) kv.put("tokenizer.ggml." + special + "_token_id", new GgufValue.U32(id.asInt()));
        }
    }
}
