package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.core.grouping.Shapes;

/**
 * Reads the original (full-precision) values of named weight layers in core's canonical layout,
 * as {@link OnnxTernarizer} saw them before ternarizing: what a report needs to draw a weight
 * histogram beside the chosen thresholds.
 */
public final class OnnxWeights {
    private OnnxWeights() {}

    /** The canonical float values of each named weight that is a weight layer of the model. */
    public static Map<String, float[]> canonical(Path modelFile, Set<String> weightNames) throws IOException {
        return canonical(OnnxModelFile.read(modelFile), modelFile, weightNames);
    }

    /** As {@link #canonical(Path, Set)} for a model already read (its file is not parsed again). */
    public static Map<String, float[]> canonical(OnnxModel model, Set<String> weightNames) throws IOException {
        return canonical(model.proto(), model.file(), weightNames);
    }

    private static Map<String, float[]> canonical(ModelProto model, Path modelFile, Set<String> weightNames) throws IOException {
        String file = modelFile.toString();
        GraphScan scan = GraphScan.of(model, file, true);
        Map<TensorSource, WeightLayer> wanted = new HashMap<>();
        for (WeightLayer l : scan.layers) if (weightNames.contains(l.weightName())) wanted.putIfAbsent(l.source(), l);
        Map<String, float[]> out = new HashMap<>();
        try (ExternalData ext = new ExternalData(modelFile)) {
            ModelTensors.forEach(model, file, (src, t) -> {
                WeightLayer l = wanted.get(src);
                if (l == null || out.containsKey(l.weightName())) return;
                float[] stored = TensorCodec.decode(t, l.type(), ext, file + ": tensor '" + l.weightName() + "'");
                if (stored.length != Shapes.size(l.storedShape())) throw new IOException(file + ": tensor '" + l.weightName() + "' has the wrong size");
                out.put(l.weightName(), l.layout().toCanonical(stored, l.storedShape()));
            });
        }
        return out;
    }

    /** Convenience for the ternarized layers of a run. */
    public static Map<String, float[]> canonical(Path modelFile, List<OnnxTernaryTensor> tensors) throws IOException {
        return canonical(modelFile, Set.copyOf(tensors.stream().map(OnnxTernaryTensor::name).toList()));
    }
}
