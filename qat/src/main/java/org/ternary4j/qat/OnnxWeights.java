package org.ternary4j.qat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ternary4j.formats.onnx.ElementType;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxTensor;

/** Reads the FLOAT initializers of an ONNX model, by name, through the model layer: the weights {@code --init} starts from. */
public final class OnnxWeights {
    private OnnxWeights() {}

    public static Map<String, FloatTensor> read(Path file) throws IOException {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        try (OnnxModel model = OnnxModel.read(file)) {
            for (OnnxTensor t : model.graph().initializers().values()) {
                if (t.type().orElse(null) != ElementType.FLOAT) continue;
                out.put(t.name(), new FloatTensor(t.shape(), t.floats()));
            }
        }
        return out;
    }
}
