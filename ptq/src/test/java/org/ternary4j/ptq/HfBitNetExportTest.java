package org.ternary4j.ptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.onnx.NamePattern;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.HalfFloats;
import org.ternary4j.formats.safetensors.SafetensorsReader;
import org.ternary4j.formats.safetensors.TensorInfo;

class HfBitNetExportTest {

    /** transformers' unpack_weights, written out: row i·P + r of the unpacked tensor is bits 2i..2i+1 of packed row r, minus 1. */
    private static byte[] unpackAsTransformers(byte[] packed, int p, int cols) {
        byte[] out = new byte[4 * p * cols];
        for (int i = 0; i < 4; i++) {
            for (int r = 0; r < p; r++) {
                for (int c = 0; c < cols; c++) out[((i * p) + r) * cols + c] = (byte) (((packed[r * cols + c] >> (2 * i)) & 3) - 1);
            }
        }
        return out;
    }

    @Test
    void packsAsTransformersUnpacksWithInverseScalesAndConfig(@TempDir Path dir) throws IOException {
        Path ckpt = dir.resolve("llama"), out = dir.resolve("bitnet");
        Map<String, LlamaCheckpoints.T> in = LlamaCheckpoints.write(ckpt, 3);
        Selection keepDown = new Selection(List.of(), List.of(NamePattern.parse("*.down_proj.*")));

        SafetensorsQuantization.Outcome o = HfBitNetExport.run(new HfBitNetExport.Request(ckpt, out, Projections.parse("absmean"), keepDown, 1));

        assertEquals(6 * LlamaCheckpoints.LAYERS, o.report().tensors().size());
        JsonNode q = new ObjectMapper().readTree(out.resolve("config.json").toFile()).get("quantization_config");
        assertEquals("bitnet", q.get("quant_method").asText());
        assertEquals("bitlinear", q.get("linear_class").asText());
        assertEquals("offline", q.get("quantization_mode").asText());
        assertEquals("[\"model.embed_tokens\",\"model.layers.0.mlp.down_proj\",\"model.layers.1.mlp.down_proj\",\"lm_head\"]", q.get("modules_to_not_convert").toString());
        String name = "model.layers.1.self_attn.q_proj.weight";
        LlamaCheckpoints.T w = in.get(name);
        TernaryTensor expected = new Ternarizer(Projections.parse("absmean"), new Grouping.WholeTensor()).apply(w.shape(), w.values().clone());
        try (SafetensorsReader r = SafetensorsReader.open(out.resolve(LlamaCheckpoints.SHARD2))) {
            TensorInfo packed = r.tensor(name);
            assertEquals(DType.U8, packed.dtype());
            assertArrayEquals(new long[] {w.shape()[0] / 4, w.shape()[1]}, packed.spec().shape());
            assertArrayEquals(expected.codes(), unpackAsTransformers(r.readBytes(packed), w.shape()[0] / 4, w.shape()[1]));
            TensorInfo scale = r.tensor(name + "_scale");
            assertEquals(DType.BF16, scale.dtype());
            assertEquals(HalfFloats.roundTo(DType.BF16, 1 / expected.scalePos()[0]), r.readFloats(scale)[0]);
            assertArrayEquals(in.get("model.layers.1.mlp.down_proj.weight").values(), r.readFloats(r.tensor("model.layers.1.mlp.down_proj.weight")));
        }
        assertTrue(Files.exists(out.resolve("model.safetensors.index.json")));
    }

    @Test
    void twoScaleMethodsAndFileOutputsAreRefused(@TempDir Path dir) throws IOException {
        Path ckpt = dir.resolve("llama");
        LlamaCheckpoints.write(ckpt, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HfBitNetExport.run(new HfBitNetExport.Request(ckpt, dir.resolve("out"), Projections.parse("two-scale"), Selection.DEFAULT, 1)));
        assertTrue(e.getMessage().contains("different scales"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out")), "nothing left behind");
        assertThrows(IllegalArgumentException.class,
                () -> HfBitNetExport.run(new HfBitNetExport.Request(ckpt, dir.resolve("x.safetensors"), Projections.parse("absmean"), Selection.DEFAULT, 1)));
    }
}
