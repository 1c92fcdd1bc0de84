package org.ternary4j.eval.ort;

import ai.onnxruntime.OnnxJavaType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ternary4j.formats.onnx.ElementType;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.ValueInfo;

/**
 * The inputs a model declares, read from the file by the model layer, as {@link OrtModel#inputs()}
 * would give them after opening it with the same fixed dimensions: for commands that need the
 * inputs' names, types and shapes but not an ONNX Runtime session (loading one costs the native
 * library and the whole model a second time).
 */
public final class DeclaredInputs {
    private DeclaredInputs() {}

    /** Inputs without an initializer, in declared order; symbolic dimensions named in {@code dims} fixed, the others −1. */
    public static List<OrtModel.Input> of(OnnxModel model, Map<String, Long> dims) throws IOException {
        requirePositive(dims);
        requireDeclared(model, dims);
        List<OrtModel.Input> inputs = new ArrayList<>();
        for (ValueInfo v : model.graph().runtimeInputs()) {
            if (v.type().isEmpty()) throw new IOException(model.file() + ": input '" + v.name() + "' is not a tensor");
            OnnxJavaType type = javaType(v.type().get());
            long[] shape = v.shape();
            for (int i = 0; i < shape.length; i++) {
                Long fixed = dims.get(v.dims().get(i));
                if (shape[i] < 0 && fixed != null) shape[i] = fixed;
            }
            inputs.add(new OrtModel.Input(v.name(), type, shape));
        }
        return List.copyOf(inputs);
    }

    /**
     * Every name in {@code dims} must be a symbolic dimension of one of the model's inputs: ONNX
     * Runtime ignores an override of a name it does not find, so a misspelt one would leave the
     * dimension free without a word.
     */
    static void requireDeclared(OnnxModel model, Map<String, Long> dims) {
        java.util.Set<String> names = new java.util.LinkedHashSet<>();
        for (ValueInfo v : model.graph().runtimeInputs()) {
            long[] shape = v.shape();
            for (int i = 0; i < shape.length; i++) if (shape[i] < 0 && !v.dims().get(i).equals("?")) names.add(v.dims().get(i));
        }
        for (String name : dims.keySet()) {
            if (!names.contains(name)) {
                throw new IllegalArgumentException(model.file() + ": no input has a symbolic dimension named '" + name + "' ("
                        + (names.isEmpty() ? "the inputs have none" : "the inputs' symbolic dimensions: " + String.join(", ", names)) + ")");
            }
        }
    }

    /** Fixed sizes of symbolic dimensions must be ≥ 1, whichever route reads the declared inputs. */
    static void requirePositive(Map<String, Long> dims) {
        for (var d : dims.entrySet()) {
            if (d.getValue() < 1) throw new IllegalArgumentException("dimension " + d.getKey() + " must be ≥ 1, got " + d.getValue());
        }
    }

    /** The type ONNX Runtime's Java API names for an ONNX element type; it has none for the wide unsigned ones (InputPlan refuses UNKNOWN by name). */
    private static OnnxJavaType javaType(ElementType t) {
        return switch (t) {
            case FLOAT -> OnnxJavaType.FLOAT;
            case DOUBLE -> OnnxJavaType.DOUBLE;
            case FLOAT16 -> OnnxJavaType.FLOAT16;
            case BFLOAT16 -> OnnxJavaType.BFLOAT16;
            case INT8 -> OnnxJavaType.INT8;
            case UINT8 -> OnnxJavaType.UINT8;
            case INT16 -> OnnxJavaType.INT16;
            case INT32 -> OnnxJavaType.INT32;
            case INT64 -> OnnxJavaType.INT64;
            case BOOL -> OnnxJavaType.BOOL;
            case UINT16, UINT32, UINT64 -> OnnxJavaType.UNKNOWN;
        };
    }
}
