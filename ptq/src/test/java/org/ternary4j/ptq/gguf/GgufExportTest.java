package org.ternary4j.ptq.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.gguf.GgufType;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.HalfFloats;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

class GgufExportTest {
    @TempDir
    Path dir;

    private record T(DType dtype, int[] shape, float[] values) {}

    private static T random(Random rnd, DType dtype, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = HalfFloats.roundTo(dtype, (float) (rnd.nextGaussian() * 0.05));
        return new T(dtype, shape, v);
    }

    private static void write(Path file, Map<String, T> tensors) throws Exception {
        List<TensorSpec> specs = new ArrayList<>();
        tensors.forEach((name, t) -> specs.add(TensorSpec.of(name, t.dtype(), t.shape())));
        try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, Map.of())) {
            for (Map.Entry<String, T> e : tensors.entrySet()) w.writeFloats(e.getKey(), e.getValue().values());
            w.commit();
        }
    }

    /** The project's dequantized output: codes × the f16-rounded scale of each 256-block. */
    private static float[] ternaryValues(Projection p, int[] shape, float[] w) {
        TernaryTensor t = new Ternarizer(p, new Grouping.Block(256)).apply(shape, w);
        float[] scales = t.scalePos().clone();
        for (int g = 0; g < scales.length; g++) scales[g] = Float.float16ToFloat(Float.floatToFloat16(scales[g]));
        return new TernaryTensor(shape, t.grouping(), t.method(), t.codes(), scales, null).dequantize();
    }

    private static float[] f16(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = HalfFloats.roundTo(DType.F16, v[i]);
        return out;
    }

    private static void assertProjectDecodes(Path gguf, Map<String, float[]> expected) throws Exception {
        GgufFile file = new GgufFile(gguf);
        assertEquals(expected.keySet(), file.tensors.keySet());
        for (Map.Entry<String, float[]> e : expected.entrySet()) assertArrayEquals(e.getValue(), file.floats(e.getKey()), e.getKey());
    }

    /** ggml's own reader and dequantizers give exactly the expected bits for every tensor. */
    static GgmlCheck.Output assertGgmlDecodes(Path program, Path gguf, Map<String, float[]> expected) throws Exception {
        GgmlCheck.Output ggml = GgmlCheck.run(program, gguf);
        assertEquals(expected.keySet(), ggml.values().keySet());
        for (Map.Entry<String, float[]> e : expected.entrySet()) {
            float[] want = e.getValue(), got = ggml.values().get(e.getKey());
            assertEquals(want.length, got.length, e.getKey());
            for (int i = 0; i < want.length; i++) {
                if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                    throw new AssertionError(e.getKey() + "[" + i + "]: ggml " + got[i] + ", project " + want[i]);
                }
            }
        }
        return ggml;
    }

    private record Export(Path gguf, GgufExport.Result result, Map<String, float[]> expected) {}

    /** A small mixed checkpoint exported with twn: what was written and the values it stands for. */
    private Export exportMixed(GgufType type) throws Exception {
        Random rnd = new Random(5);
        Map<String, T> ts = new LinkedHashMap<>();
        ts.put("encoder.embed_tokens.weight", random(rnd, DType.F32, 10, 256));
        ts.put("encoder.fc1.weight", random(rnd, DType.F32, 6, 512));
        ts.put("encoder.fc2.weight", random(rnd, DType.BF16, 3, 768));
        ts.put("encoder.odd.weight", random(rnd, DType.F16, 4, 300));
        ts.put("encoder.norm.weight", random(rnd, DType.F32, 300));
        Path in = dir.resolve("m.safetensors");
        write(in, ts);
        Projection p = Projections.parse("twn");
        Path out = dir.resolve(type + ".gguf");
        GgufExport.Result r = GgufExport.run(GgufExport.Request.of(in, out, p).with(GgufExport.Options.DEFAULT.withTernaryType(type)));
        Map<String, float[]> expected = new LinkedHashMap<>();
        expected.put("encoder.embed_tokens.weight", f16(ts.get("encoder.embed_tokens.weight").values()));
        expected.put("encoder.fc1.weight", ternaryValues(p, new int[] {6, 512}, ts.get("encoder.fc1.weight").values()));
        expected.put("encoder.fc2.weight", ternaryValues(p, new int[] {3, 768}, ts.get("encoder.fc2.weight").values()));
        expected.put("encoder.odd.weight", ts.get("encoder.odd.weight").values());
        expected.put("encoder.norm.weight", ts.get("encoder.norm.weight").values());
        return new Export(out, r, expected);
    }

    @Test
    void ternarizesBlocksAndKeepsTheRest() throws Exception {
        for (GgufType type : List.of(GgufType.TQ2_0, GgufType.TQ1_0)) {
            Export x = exportMixed(type);
            assertFalse(x.result().llama());
            assertEquals(List.of(GgufType.F16, type, type, GgufType.F16, GgufType.F32), x.result().tensors().stream().map(GgufExport.Written::type).toList());
            assertEquals("rows of 300 are not a multiple of 256, kept", x.result().tensors().get(3).why());
            String last = x.result().summary().getLast();
            assertTrue(last.endsWith("5 tensors, 1 F32, 2 F16, 2 " + type + ", checkpoint names, no architecture"), last);
            assertProjectDecodes(x.gguf(), x.expected());
        }
    }

    @Test
    void ggmlDequantizesToExactlyTheProjectsValues() throws Exception {
        Optional<Path> program = GgmlCheck.program();
        assumeTrue(program.isPresent(), "gguf_check not built (scripts/build-gguf-check.sh)");
        for (GgufType type : List.of(GgufType.TQ2_0, GgufType.TQ1_0)) {
            Export x = exportMixed(type);
            GgmlCheck.Output ggml = assertGgmlDecodes(program.get(), x.gguf(), x.expected());
            assertEquals("gguf version 3 alignment 32 kv 2 tensors 5", ggml.header());
            // ggml's view of the layout: ne reversed, after the F16 embedding's 5120 bytes.
            assertEquals("tensor encoder.fc1.weight " + type.name().toLowerCase() + " 512,6 5120", ggml.tensors().get(1));
        }
    }

    private static final int LAYERS = 2, HIDDEN = 256, FFN = 512, HEADS = 4, KV_HEADS = 2, VOCAB = 40;

    /**
     * A Llama-shaped checkpoint in Hugging Face's sharded layout (two shards, an index, config.json),
     * exported with absmean; the expected values come from the checkpoint through the rotary
     * permutation and the projection, computed here independently of the export.
     */
    private Export exportLlama(GgufType type) throws Exception {
        Random rnd = new Random(9);
        Map<String, T> first = new LinkedHashMap<>(), second = new LinkedHashMap<>();
        first.put("model.embed_tokens.weight", random(rnd, DType.BF16, VOCAB, HIDDEN));
        int hd = HIDDEN / HEADS;
        for (int l = 0; l < LAYERS; l++) {
            Map<String, T> m = l == 0 ? first : second;
            String p = "model.layers." + l + ".";
            m.put(p + "self_attn.q_proj.weight", random(rnd, DType.BF16, HEADS * hd, HIDDEN));
            m.put(p + "self_attn.k_proj.weight", random(rnd, DType.BF16, KV_HEADS * hd, HIDDEN));
            m.put(p + "self_attn.v_proj.weight", random(rnd, DType.BF16, KV_HEADS * hd, HIDDEN));
            m.put(p + "self_attn.o_proj.weight", random(rnd, DType.BF16, HIDDEN, HIDDEN));
            m.put(p + "mlp.gate_proj.weight", random(rnd, DType.BF16, FFN, HIDDEN));
            m.put(p + "mlp.up_proj.weight", random(rnd, DType.BF16, FFN, HIDDEN));
            m.put(p + "mlp.down_proj.weight", random(rnd, DType.BF16, HIDDEN, FFN));
            m.put(p + "input_layernorm.weight", random(rnd, DType.BF16, HIDDEN));
            m.put(p + "post_attention_layernorm.weight", random(rnd, DType.BF16, HIDDEN));
        }
        second.put("model.layers.1.self_attn.rotary_emb.inv_freq", random(rnd, DType.F32, hd / 2));
        second.put("model.norm.weight", random(rnd, DType.BF16, HIDDEN));
        second.put("lm_head.weight", random(rnd, DType.BF16, VOCAB, HIDDEN));
        Path ckpt = Files.createDirectories(dir.resolve("llama"));
        write(ckpt.resolve("model-00001-of-00002.safetensors"), first);
        write(ckpt.resolve("model-00002-of-00002.safetensors"), second);
        StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        String sep = "";
        for (String n : first.keySet()) { index.append(sep).append('"').append(n).append("\": \"model-00001-of-00002.safetensors\""); sep = ", "; }
        for (String n : second.keySet()) index.append(", \"").append(n).append("\": \"model-00002-of-00002.safetensors\"");
        Files.writeString(ckpt.resolve("model.safetensors.index.json"), index + "}}");
        Files.writeString(ckpt.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 256, "intermediate_size": 512,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 2048,
                 "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "vocab_size": 40, "rope_scaling": null, "tie_word_embeddings": false,
                 "bos_token_id": 36, "eos_token_id": [37, 38]}
                """);
        Files.writeString(ckpt.resolve("tokenizer.json"), tokenizerJson());
        Projection p = Projections.parse("absmean");
        Path out = dir.resolve("llama-" + type + ".gguf");
        GgufExport.Result r = GgufExport.run(GgufExport.Request.of(ckpt, out, p).with(GgufExport.Options.DEFAULT.withTernaryType(type)));

        Map<String, T> all = new LinkedHashMap<>(first);
        all.putAll(second);
        Map<String, float[]> expected = new LinkedHashMap<>();
        for (Map.Entry<String, T> e : all.entrySet()) {
            String hf = e.getKey();
            T t = e.getValue();
            if (hf.endsWith("inv_freq")) continue;
            String name = hf.replace("model.embed_tokens", "token_embd").replace("model.norm", "output_norm").replace("lm_head", "output")
                    .replaceAll("model\\.layers\\.(\\d+)\\.", "blk.$1.").replace("self_attn.q_proj", "attn_q").replace("self_attn.k_proj", "attn_k")
                    .replace("self_attn.v_proj", "attn_v").replace("self_attn.o_proj", "attn_output").replace("mlp.gate_proj", "ffn_gate")
                    .replace("mlp.up_proj", "ffn_up").replace("mlp.down_proj", "ffn_down").replace("post_attention_layernorm", "ffn_norm")
                    .replace("input_layernorm", "attn_norm");
            float[] v = t.values();
            if (t.shape().length == 1) expected.put(name, v);
            else if (name.startsWith("token_embd") || name.startsWith("output.")) expected.put(name, f16(v));
            else {
                int heads = name.contains("attn_q") ? HEADS : name.contains("attn_k") ? KV_HEADS : 0;
                if (heads > 0) v = permuteAsNumpy(v, t.shape()[0], heads);
                expected.put(name, ternaryValues(p, t.shape(), v));
            }
        }
        return new Export(out, r, expected);
    }

    /** A byte-level BPE tokenizer.json as Llama 3 ships it, with 36 tokens, two merges and three special tokens. */
    private static String tokenizerJson() throws Exception {
        var om = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = om.createObjectNode();
        var added = root.putArray("added_tokens");
        for (int i = 0; i < 3; i++) added.addObject().put("id", 36 + i).put("content", "<|special_" + i + "|>").put("special", true);
        var pre = root.putObject("pre_tokenizer").put("type", "Sequence").putArray("pretokenizers");
        pre.addObject().put("type", "Split").putObject("pattern").put("Regex", LlamaTokenizer.LLAMA3_SPLIT);
        pre.addObject().put("type", "ByteLevel");
        var model = root.putObject("model").put("type", "BPE").put("byte_fallback", false);
        var vocab = model.putObject("vocab");
        for (int i = 0; i < 34; i++) vocab.put(String.valueOf((char) ('0' + i)), i);
        vocab.put("01", 34);
        vocab.put("012", 35);
        var merges = model.putArray("merges");
        merges.add("0 1");
        merges.addArray().add("01").add("2");
        return om.writeValueAsString(root);
    }

    /** reshape(heads, 2, rows/heads/2, cols).swapaxes(1, 2): out row (h, i, j) is source row (h, j, i). */
    private static float[] permuteAsNumpy(float[] w, int rows, int heads) {
        int half = rows / heads / 2, cols = w.length / rows;
        float[] out = new float[w.length];
        for (int r = 0; r < rows; r++) {
            int h = r / (2 * half), i = (r % (2 * half)) / 2, j = r % 2;
            System.arraycopy(w, ((h * 2 + j) * half + i) * cols, out, r * cols, cols);
        }
        return out;
    }

    @Test
    void exportsAShardedLlamaCheckpointWithLlamaCppNamesKeysAndRowOrder() throws Exception {
        Export x = exportLlama(GgufType.TQ2_0);
        assertTrue(x.result().llama());
        assertEquals(2 * 9 + 3, x.result().tensors().size());
        assertTrue(x.result().notes().contains("skipped model.layers.1.self_attn.rotary_emb.inv_freq (llama.cpp computes rotary frequencies itself)"), x.result().notes().toString());
        assertEquals(GgufType.F16, x.result().tensors().stream().filter(w -> w.name().equals("output.weight")).findFirst().orElseThrow().type());
        assertEquals("ternarized, rows permuted for llama.cpp's rotary embedding",
                x.result().tensors().stream().filter(w -> w.name().equals("blk.1.attn_k.weight")).findFirst().orElseThrow().why());
        assertEquals(14, x.result().count(GgufType.TQ2_0));
        GgufFile f = new GgufFile(x.gguf());
        Map<String, Object> kv = new LinkedHashMap<>();
        kv.put("general.architecture", "llama");
        kv.put("llama.context_length", 2048);
        kv.put("llama.embedding_length", 256);
        kv.put("llama.block_count", 2);
        kv.put("llama.feed_forward_length", 512);
        kv.put("llama.attention.head_count", 4);
        kv.put("llama.attention.head_count_kv", 2);
        kv.put("llama.rope.dimension_count", 64);
        kv.put("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        kv.put("llama.rope.freq_base", 500000f);
        kv.put("llama.vocab_size", 40);
        kv.put("tokenizer.ggml.model", "gpt2");
        kv.put("tokenizer.ggml.pre", "llama-bpe");
        List<Object> tokens = new ArrayList<>();
        for (int i = 0; i < 34; i++) tokens.add(String.valueOf((char) ('0' + i)));
        tokens.addAll(List.of("01", "012", "<|special_0|>", "<|special_1|>", "<|special_2|>", "[PAD39]"));
        kv.put("tokenizer.ggml.tokens", tokens);
        List<Object> types = new ArrayList<>(java.util.Collections.nCopies(36, 1));
        types.addAll(List.of(3, 3, 3, 5));
        kv.put("tokenizer.ggml.token_type", types);
        kv.put("tokenizer.ggml.merges", List.of("0 1", "01 2"));
        kv.put("tokenizer.ggml.bos_token_id", 36);
        kv.put("tokenizer.ggml.eos_token_id", 37);
        kv.put("general.file_type", 37);
        kv.put("general.quantization_version", 2);
        assertEquals(kv, f.kv);
        assertArrayEquals(new long[] {256, 128}, f.tensors.get("blk.0.attn_k.weight").ne());
        assertEquals(35, f.tensors.get("blk.0.attn_k.weight").type());
        assertProjectDecodes(x.gguf(), x.expected());
    }

    @Test
    void ggmlLoadsTheLlamaExport() throws Exception {
        Optional<Path> program = GgmlCheck.program();
        assumeTrue(program.isPresent(), "gguf_check not built (scripts/build-gguf-check.sh)");
        Export x = exportLlama(GgufType.TQ1_0);
        GgmlCheck.Output ggml = assertGgmlDecodes(program.get(), x.gguf(), x.expected());
        assertEquals("gguf version 3 alignment 32 kv 20 tensors 21", ggml.header());
        assertTrue(ggml.kv().contains("kv general.architecture str llama"), ggml.kv().toString());
        assertTrue(ggml.kv().contains("kv llama.attention.head_count_kv u32 2"), ggml.kv().toString());
        assertTrue(ggml.kv().contains("kv tokenizer.ggml.tokens arr str[40]"), ggml.kv().toString());
        assertTrue(ggml.kv().contains("kv tokenizer.ggml.token_type arr i32[40]"), ggml.kv().toString());
        assertEquals(14, ggml.tensors().stream().filter(t -> t.split(" ")[2].equals("tq1_0")).count());
        assertEquals(5, ggml.tensors().stream().filter(t -> t.split(" ")[2].equals("f32")).count());
        assertTrue(ggml.tensors().contains("tensor token_embd.weight f16 256,40 0"), ggml.tensors().toString());
    }

    @Test
    void twoScaleMethodsAndBadInputsAreRefusedWithoutOutput() throws Exception {
        Random rnd = new Random(1);
        Path in = dir.resolve("m.safetensors");
        write(in, Map.of("fc.weight", random(rnd, DType.F32, 2, 256)));
        Path out = dir.resolve("m.gguf");
        var e = assertThrows(java.io.IOException.class, () -> GgufExport.run(GgufExport.Request.of(in, out, Projections.parse("two-scale"))));
        assertEquals(in + ": tensor 'fc.weight': method 'two-scale' gives +1 and −1 different scales; TQ2_0 stores one scale per block", e.getMessage());
        assertFalse(Files.exists(out));
        var f = assertThrows(java.io.IOException.class, () -> GgufExport.run(GgufExport.Request.of(dir, out, Projections.parse("tnt"))));
        assertEquals(dir + ": folder has neither model.safetensors nor model.safetensors.index.json", f.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GgufExport.Options.DEFAULT.withTernaryType(GgufType.F16));
    }
}
