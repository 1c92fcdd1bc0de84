package org.ternary4j.formats.packed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.formats.safetensors.DType;

/**
 * What the packed file's metadata says about a tensor mixed precision kept out of ternary: its
 * canonical shape, original dtype and stored precision ({@code "kept":"int8"|"fp16"}). Stored as a
 * JSON string under the tensor's name, like {@link PackedEntry}; the {@code kept} field tells them apart.
 */
public record KeptEntry(int[] shape, DType dtype, KeptTensor.Precision precision) {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String FIELD = "kept";

    public KeptEntry {
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Fixed key order, so equal entries give byte-identical files. */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("shape").addAll(Arrays.stream(shape).mapToObj(JSON.getNodeFactory()::numberNode).toList());
        o.put("dtype", dtype.name());
        o.put(FIELD, precision.spec());
        return o.toString();
    }

    /** Whether a metadata value describes a kept tensor (it has a {@code kept} field). */
    static boolean describes(String json) {
        try {
            JsonNode o = JSON.readTree(json);
            return o != null && o.isObject() && o.has(FIELD);
        } catch (JsonProcessingException e) {
            return false; // PackedEntry.parse reports it
        }
    }

    /** Parses an entry; a clear {@link IllegalArgumentException} on anything missing or malformed. */
    public static KeptEntry parse(String json) {
        PackedEntry.ShapeAndType shapeAndType = PackedEntry.parseShapeAndType(json);
        JsonNode v;
        try {
            v = JSON.readTree(json).get(FIELD);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (v == null || !v.isTextual()) throw new IllegalArgumentException("missing or non-string " + FIELD);
        int[] shape = shapeAndType.shape();
        if (shape.length < 1) throw new IllegalArgumentException("a kept tensor needs a rank ≥ 1 shape");
        return new KeptEntry(shape, shapeAndType.dtype(), KeptTensor.Precision.parse(v.textValue()));
    }
}
