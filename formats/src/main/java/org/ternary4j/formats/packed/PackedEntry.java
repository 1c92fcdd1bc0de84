package org.ternary4j.formats.packed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.formats.safetensors.DType;

/**
 * What the packed file's metadata says about one ternarized tensor: its original shape and
 * dtype, and how it was ternarized and packed. Stored as a JSON string under the tensor's name.
 */
public record PackedEntry(int[] shape, DType dtype, Grouping grouping, String method, Packing packing) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public PackedEntry {
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
        o.put("grouping", grouping.spec());
        o.put("method", method);
        o.put("packing", packing.spec());
        return o.toString();
    }

    /** Parses an entry; a clear {@link IllegalArgumentException} on anything missing or malformed. */
    public static PackedEntry parse(String json) {
        JsonNode o = object(json);
        int[] shape = shape(o);
        DType dtype = dtype(o);
        return new PackedEntry(shape, dtype, Grouping.parse(text(o, "grouping")), text(o, "method"), Packing.parse(text(o, "packing")));
    }

    /** The fields every metadata entry has (what {@link KeptEntry} shares with this one). */
    record ShapeAndType(int[] shape, DType dtype) {}

    static ShapeAndType parseShapeAndType(String json) {
        JsonNode o = object(json);
        return new ShapeAndType(shape(o), dtype(o));
    }

    private static JsonNode object(String json) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (o == null || !o.isObject()) throw new IllegalArgumentException("not a JSON object");
        return o;
    }

    private static int[] shape(JsonNode o) {
        JsonNode s = o.get("shape");
        if (s == null || !s.isArray()) throw new IllegalArgumentException("missing shape");
        int[] shape = new int[s.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!s.get(i).isInt() || s.get(i).intValue() < 0) throw new IllegalArgumentException("shape entry " + s.get(i) + " is not a non-negative int");
            shape[i] = s.get(i).intValue();
        }
        return shape;
    }

    private static DType dtype(JsonNode o) {
        DType dtype = DType.of(text(o, "dtype"));
        if (dtype == null || !dtype.isFloat()) throw new IllegalArgumentException("dtype '" + text(o, "dtype") + "' is not F32, F16 or BF16");
        return dtype;
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isTextual() || v.textValue().isEmpty()) throw new IllegalArgumentException("missing or non-string " + field);
        return v.textValue();
    }
}
