package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/** {@code quantize} on a sharded checkpoint: folder in, folder out, what is kept said on stdout. */
class QuantizeCheckpointTest {
    @TempDir Path dir;

    private static void shard(Path file, Map<String, int[]> tensors) throws Exception {
        List<TensorSpec> specs = tensors.entrySet().stream().map(e -> TensorSpec.of(e.getKey(), DType.F32, e.getValue())).toList();
        try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, Map.of("format", "pt"))) {
            for (TensorSpec s : specs) {
                float[] v = new float[(int) s.elements()];
                for (int i = 0; i < v.length; i++) v[i] = (float) Math.sin(i * 0.37 + s.name().length());
                w.writeFloats(s.name(), v);
            }
            w.commit();
        }
    }

    @Test
    void folderInFolderOutWithIncludeExcludeAndKeptTensorsListed() throws Exception {
        Path ckpt = Files.createDirectories(dir.resolve("ckpt")), out = dir.resolve("ternary");
        shard(ckpt.resolve("model-00001-of-00002.safetensors"), Map.of("model.embed_tokens.weight", new int[] {8, 16}, "model.layers.0.mlp.up_proj.weight", new int[] {16, 16}));
        shard(ckpt.resolve("model-00002-of-00002.safetensors"), Map.of("model.norm.weight", new int[] {16}, "lm_head.weight", new int[] {8, 16},
                "model.layers.0.self_attn.q_proj.weight", new int[] {16, 16}));
        Files.writeString(ckpt.resolve("model.safetensors.index.json"), """
                {"metadata": {"total_size": 1}, "weight_map": {"model.embed_tokens.weight": "model-00001-of-00002.safetensors",
                 "model.layers.0.mlp.up_proj.weight": "model-00001-of-00002.safetensors", "model.norm.weight": "model-00002-of-00002.safetensors",
                 "lm_head.weight": "model-00002-of-00002.safetensors", "model.layers.0.self_attn.q_proj.weight": "model-00002-of-00002.safetensors"}}""");
        Files.writeString(ckpt.resolve("config.json"), "{}");

        Path html = dir.resolve("report.html");
        CliRun run = CliRun.of("quantize", ckpt.toString(), "-o", out.toString(), "--method", "tnt", "--grouping", "row", "--exclude", "*.mlp.*",
                "--no-progress", "--html", html.toString());

        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("kept in full precision (embedding or output head): 2 tensors, model.embed_tokens.weight, lm_head.weight"), run.out());
        assertTrue(run.out().contains("kept in full precision (excluded): 1 tensor, model.layers.0.mlp.up_proj.weight"), run.out());
        assertTrue(run.out().contains("kept in full precision (1-D: norms, biases): 1 tensor, model.norm.weight"), run.out());
        var index = new ObjectMapper().readTree(out.resolve("model.safetensors.index.json").toFile());
        assertEquals("model-00002-of-00002.safetensors", index.get("weight_map").get("model.layers.0.self_attn.q_proj.weight").asText());
        assertTrue(Files.exists(out.resolve("config.json")));
        String page = Files.readString(html);
        assertTrue(page.contains("model.layers.0.self_attn.q_proj.weight") && !page.contains("up_proj"), "the HTML report lists the ternarized tensors");

        run = CliRun.of("quantize", ckpt.toString(), "-o", ckpt.toString(), "--method", "tnt", "--grouping", "row");
        assertEquals("ternary4j: " + ckpt + ": output folder is the input's own folder; the shards would overwrite the input\n", run.err());
        Path bad = dir.resolve("never");
        run = CliRun.of("quantize", ckpt.toString(), "-o", bad.toString(), "--method", "tnt", "--grouping", "kernel");
        assertEquals(1, run.exitCode());
        assertFalse(Files.exists(bad), "a failed run leaves no output folder");
    }
}
