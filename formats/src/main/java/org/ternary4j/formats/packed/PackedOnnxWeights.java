package org.ternary4j.formats.packed;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * The packed file of an ONNX model's ternary weights: codes and scales of each ternarized weight,
 * then the layers mixed precision kept at INT8/FP16, under their ONNX names, in canonical layout.
 * {@code quantize --packed} and {@code finetune --packed} write it; {@code run --packed} reads it.
 */
public final class PackedOnnxWeights {
    /** One ternarized weight: its ONNX name, the ONNX element type it had (FLOAT, FLOAT16, BFLOAT16), codes and scales in canonical layout. */
    public record Weight(String name, String dataType, TernaryTensor tensor) {}

    private PackedOnnxWeights() {}

    /** Writes {@code packed} (atomically; refused if it is one of {@code inputs}); {@code halfScales} stores the scales as FP16. */
    public static void write(Path packed, List<Weight> ternary, Map<String, KeptTensor> kept, Packing packing, boolean halfScales, Path... inputs)
            throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(PackedFormat.FORMAT_KEY, PackedFormat.FORMAT);
        meta.put(PackedFormat.VERSION_KEY, kept.isEmpty() ? PackedFormat.VERSION : PackedFormat.VERSION_KEPT);
        for (Weight t : ternary) {
            if (t.name().equals(PackedFormat.FORMAT_KEY) || t.name().equals(PackedFormat.VERSION_KEY)) {
                throw new IOException(packed + ": tensor name '" + t.name() + "' is reserved in the packed format's metadata");
            }
            DType dtype = switch (t.dataType()) {
                case "FLOAT" -> DType.F32;
                case "FLOAT16" -> DType.F16;
                case "BFLOAT16" -> DType.BF16;
                default -> throw new IOException(packed + ": tensor '" + t.name() + "' is " + t.dataType()
                        + "; the packed format stores F32, F16 and BF16 weights");
            };
            TernaryTensor tt = t.tensor();
            specs.addAll(PackedFormat.specs(t.name(), tt.shape(), tt.grouping(), tt.twoScales(), packing, halfScales));
            meta.put(t.name(), new PackedEntry(tt.shape(), dtype, tt.grouping(), tt.method(), packing).toJson());
        }
        for (Map.Entry<String, KeptTensor> k : kept.entrySet()) {
            if (meta.containsKey(k.getKey())) throw new IOException(packed + ": tensor name '" + k.getKey() + "' is reserved or stored twice");
            specs.addAll(PackedFormat.keptSpecs(k.getKey(), k.getValue().shape(), k.getValue().precision()));
            meta.put(k.getKey(), new KeptEntry(k.getValue().shape(), DType.F32, k.getValue().precision()).toJson());
        }
        try (SafetensorsWriter w = SafetensorsWriter.open(packed, specs, meta, inputs)) {
            for (Weight t : ternary) PackedFormat.write(w, t.name(), t.tensor(), packing, halfScales);
            for (Map.Entry<String, KeptTensor> k : kept.entrySet()) PackedFormat.writeKept(w, k.getKey(), k.getValue());
            w.commit();
        } catch (IllegalArgumentException e) {
            throw new IOException(packed + ": " + e.getMessage());
        }
    }
}
