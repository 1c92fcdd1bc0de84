package org.ternary4j.ptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.gguf.GgufType;
import org.ternary4j.formats.onnx.NamePattern;
import org.ternary4j.formats.safetensors.SafetensorsReader;
import org.ternary4j.formats.safetensors.TensorInfo;
import org.ternary4j.ptq.gguf.GgufExport;

/** {@link SafetensorsQuantization} on Hugging Face's sharded checkpoints: index or folder in, folder (sharded, indexed) out. */
class SafetensorsCheckpointQuantizationTest {

    private static SafetensorsQuantization.Request request(Path in, Path out, String grouping) {
        return SafetensorsQuantization.Request.of(in, out, Projections.parse("absmean"), Grouping.parse(grouping)).withThreads(1);
    }

    /** Every tensor of a folder output, read back through its index, by name. */
    private static Map<String, float[]> readIndexed(Path folder) throws IOException {
        JsonNode index = new ObjectMapper().readTree(folder.resolve("model.safetensors.index.json").toFile());
        Map<String, float[]> values = new LinkedHashMap<>();
        long bytes = 0;
        for (var e : index.get("weight_map").properties()) {
            try (SafetensorsReader r = SafetensorsReader.open(folder.resolve(e.getValue().asText()))) {
                TensorInfo t = r.tensor(e.getKey());
                values.put(e.getKey(), r.readFloats(t));
                bytes += t.spec().byteSize();
            }
        }
        assertEquals(bytes, index.get("metadata").get("total_size").asLong(), "total_size is the tensors' bytes");
        return values;
    }

    @Test
    void shardedInShardedOutKeepsEmbeddingsHeadAndNorms(@TempDir Path dir) throws IOException {
        Path ckpt = dir.resolve("llama"), out = dir.resolve("llama-ternary");
        Map<String, LlamaCheckpoints.T> in = LlamaCheckpoints.write(ckpt, 5);

        SafetensorsQuantization.Outcome o = SafetensorsQuantization.quantize(request(ckpt.resolve("model.safetensors.index.json"), out, "row"),
                SafetensorsQuantization.Monitor.NONE);

        assertEquals(Set.of(LlamaCheckpoints.SHARD1, LlamaCheckpoints.SHARD2, "model.safetensors.index.json", "config.json"),
                new HashSet<>(List.of(out.toFile().list())));
        assertEquals(Files.readString(ckpt.resolve("config.json")), Files.readString(out.resolve("config.json")));
        Map<String, float[]> q = readIndexed(out);
        assertEquals(in.keySet(), q.keySet());
        try (SafetensorsReader r = SafetensorsReader.open(out.resolve(LlamaCheckpoints.SHARD2))) {
            assertTrue(r.tensors().stream().allMatch(t -> t.name().startsWith("model.layers.1.") || t.name().equals("model.norm.weight")
                    || t.name().equals("lm_head.weight")), "tensors stay in their input shard");
        }
        for (var e : in.entrySet()) {
            String n = e.getKey();
            boolean kept = n.contains("embed_tokens") || n.startsWith("lm_head") || e.getValue().shape().length == 1;
            if (kept) assertArrayEquals(e.getValue().values(), q.get(n), n);
            else assertTernaryRows(q.get(n), e.getValue().shape(), n);
        }
        assertEquals(7 * LlamaCheckpoints.LAYERS, o.report().tensors().size());
        Map<String, Long> reasons = new LinkedHashMap<>();
        o.kept().forEach(k -> reasons.merge(k.why(), 1L, Long::sum));
        assertEquals(Map.of("embedding or output head", 2L, "1-D: norms, biases", 2L * LlamaCheckpoints.LAYERS + 1), reasons);
    }

    /** Each row of a ternarized matrix holds at most one magnitude besides zero. */
    private static void assertTernaryRows(float[] v, int[] shape, String name) {
        int cols = v.length / shape[0];
        for (int r = 0; r < shape[0]; r++) {
            Set<Float> mags = new HashSet<>();
            for (int j = 0; j < cols; j++) if (v[r * cols + j] != 0) mags.add(Math.abs(v[r * cols + j]));
            assertTrue(mags.size() <= 1, name + " row " + r + ": " + mags);
        }
    }

    @Test
    void folderInputAllTensorsSkipsWhatRowGroupingCannotHold(@TempDir Path dir) throws IOException {
        Path ckpt = dir.resolve("llama"), out = dir.resolve("merged.safetensors");
        LlamaCheckpoints.write(ckpt, 6);

        SafetensorsQuantization.Outcome o = SafetensorsQuantization.quantize(request(ckpt, out, "row").withAllTensors(true),
                SafetensorsQuantization.Monitor.NONE);

        assertTrue(Files.isRegularFile(out), "a file output merges the shards");
        assertEquals(7 * LlamaCheckpoints.LAYERS, o.report().tensors().size());
        assertEquals(2L * LlamaCheckpoints.LAYERS + 1, o.kept().stream().filter(k -> k.why().equals("grouping row does not apply to rank 1")).count());
    }

    @Test
    void layerKindPatternsAreRefusedForCheckpointTensors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Selection(List.of(), List.of(NamePattern.parse("kind:matmul"))));
        assertEquals("pattern 'kind:matmul': layer kinds select ONNX layers, not checkpoint tensors", e.getMessage());
    }

    @Test
    void includeAndExcludeChooseTensors(@TempDir Path dir) throws IOException {
        Path ckpt = dir.resolve("llama");
        LlamaCheckpoints.write(ckpt, 7);
        Selection onlyAttention = new Selection(List.of(NamePattern.parse("*.self_attn.*"), NamePattern.parse("lm_head.weight")),
                List.of(NamePattern.parse("*.o_proj.*")));

        SafetensorsQuantization.Outcome o = SafetensorsQuantization.quantize(request(ckpt, dir.resolve("out"), "row").withSelection(onlyAttention),
                SafetensorsQuantization.Monitor.NONE);

        Set<String> ternarized = new HashSet<>();
        o.report().tensors().forEach(t -> ternarized.add(t.name()));
        assertEquals(3 * LlamaCheckpoints.LAYERS + 1, ternarized.size(), ternarized.toString());
        assertTrue(ternarized.contains("lm_head.weight"), "an include names the head explicitly");
        assertFalse(ternarized.stream().anyMatch(n -> n.contains("o_proj") || n.contains("mlp")));
        assertEquals(LlamaCheckpoints.LAYERS, o.kept().stream().filter(k -> k.why().equals("excluded")).count());
    }

    @Test
    void ggufFromTheShardedOutput(@TempDir Path dir) throws IOException {
        Path ckpt = dir.resolve("llama"), out = dir.resolve("llama-ternary"), gguf = dir.resolve("llama.gguf");
        LlamaCheckpoints.write(ckpt, 8);
        SafetensorsQuantization.quantize(request(ckpt, out, "block:256"), SafetensorsQuantization.Monitor.NONE);

        GgufExport.Result r = GgufExport.run(GgufExport.Request.of(out, gguf, Projections.parse("absmean")));

        assertTrue(r.llama(), "config.json travelled with the shards");
        assertEquals(7 * LlamaCheckpoints.LAYERS, r.count(GgufType.TQ2_0));
        assertEquals(GgufType.F16, r.tensors().stream().filter(w -> w.name().equals("token_embd.weight")).findFirst().orElseThrow().type());
        assertNotEquals(0, Files.size(gguf));
    }
}
