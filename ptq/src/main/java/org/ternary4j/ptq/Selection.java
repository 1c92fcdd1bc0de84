package org.ternary4j.ptq;

import java.util.List;
import org.ternary4j.formats.onnx.NamePattern;

/**
 * Which tensors of a checkpoint are ternarized. By default embeddings and the output head stay in
 * full precision (language models lose most where tokens enter and leave), as do tensors of rank
 * &lt; 2 unless all tensors are asked for; {@code include}, when not empty, limits ternarization to
 * the tensors it names and overrides the embedding/head default for them; {@code exclude} keeps the
 * tensors it names.
 */
public record Selection(List<NamePattern> include, List<NamePattern> exclude) {
    public static final Selection DEFAULT = new Selection(List.of(), List.of());

    public Selection {
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
        for (List<NamePattern> patterns : List.of(include, exclude)) {
            for (NamePattern p : patterns) {
                if (p.byKind()) throw new IllegalArgumentException("pattern '" + p.spec() + "': layer kinds select ONNX layers, not checkpoint tensors");
            }
        }
    }

    /**
     * Why tensor {@code name} of rank {@code rank} stays in full precision, or null when it is
     * ternarized; {@code allTensors} lifts the rank rule.
     */
    public String keptWhy(String name, int rank, boolean allTensors) {
        if (NamePattern.any(exclude, name)) return "excluded";
        boolean included = NamePattern.any(include, name);
        if (!include.isEmpty() && !included) return "not included";
        if (!included && embeddingOrHead(name)) return "embedding or output head";
        if (rank < 2 && !allTensors) return rank == 0 ? "scalar" : "1-D: norms, biases";
        return null;
    }

    /**
     * Hugging Face's usual names for token/position embeddings and the output head: a name part
     * containing "embed" (embed_tokens, word_embeddings, tok_embeddings), GPT-2's wte/wpe, and
     * lm_head / embed_out / Meta's output.weight.
     */
    public static boolean embeddingOrHead(String name) {
        if (name.equals("output.weight")) return true;
        for (String part : name.split("\\.")) {
            if (part.contains("embed") || part.equals("wte") || part.equals("wpe") || part.equals("lm_head")) return true;
        }
        return false;
    }
}
