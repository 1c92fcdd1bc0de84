package org.ternary4j.formats.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON header of a safetensors file, validated against everything a hostile or broken file can
 * get wrong: each problem is one {@link IOException} line that names the file.
 *
 * @param tensors  in header order
 * @param metadata the {@code __metadata__} strings, in file order (empty when absent)
 */
public record SafetensorsHeader(List<TensorInfo> tensors, Map<String, String> metadata) {

    /** The largest header we accept (the reference implementation's limit too). */
    public static final long MAX_HEADER_BYTES = 100_000_000;
    public static final String METADATA_KEY = "__metadata__";

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(8)
                    .maxNumberLength(40)
                    .maxStringLength((int) MAX_HEADER_BYTES)
                    .maxDocumentLength(MAX_HEADER_BYTES)
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS); // no second document hidden after the header

    public SafetensorsHeader {
        tensors = List.copyOf(tensors);
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** Parses and validates {@code json}, the header of {@code file} whose data section has {@code dataLength} bytes. */
    public static SafetensorsHeader parse(String file, byte[] json, long dataLength) throws IOException {
        return parse(file, json, dataLength, ReadLimits.DEFAULT);
    }

    /** As {@link #parse(String, byte[], long)}, refusing headers that declare more than {@code limits} allow. */
    public static SafetensorsHeader parse(String file, byte[] json, long dataLength, ReadLimits limits) throws IOException {
        JsonNode root;
        try {
            // Decoded strictly as UTF-8 first: Jackson alone would guess UTF-16/32 from the first bytes.
            String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(json)).toString();
            checkCounts(file, text, limits);
            root = JSON.readTree(text);
        } catch (CharacterCodingException e) {
            throw problem(file, "header is not valid UTF-8");
        } catch (JsonProcessingException e) {
            throw problem(file, "malformed header JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) throw problem(file, "header is not a JSON object");
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) metadata = metadata(file, field.getValue());
            else tensors.add(tensor(file, field.getKey(), field.getValue(), dataLength));
        }
        checkCoverage(file, tensors, dataLength);
        return new SafetensorsHeader(tensors, metadata);
    }

    /**
     * Counts tensors, metadata entries and array lengths with the streaming parser before any tree
     * is built: a 100 MB header of tiny entries would otherwise become gigabytes of JSON nodes.
     */
    private static void checkCounts(String file, String text, ReadLimits limits) throws IOException {
        long tensors = 0, metadata = 0;
        boolean inMetadata = false;
        try (JsonParser p = JSON.createParser(text)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                JsonStreamContext ctx = p.getParsingContext();
                if (t == JsonToken.FIELD_NAME && ctx.getParent() != null && ctx.getParent().inRoot()) {
                    inMetadata = METADATA_KEY.equals(p.currentName());
                    if (!inMetadata && ++tensors > limits.maxTensors()) {
                        throw problem(file, "header declares more than " + limits.maxTensors() + " tensors, the tensor-count limit");
                    }
                } else if (t == JsonToken.FIELD_NAME && inMetadata && ctx.getParent() != null && ctx.getParent().getParent() != null
                        && ctx.getParent().getParent().inRoot() && ++metadata > limits.maxTensors()) {
                    throw problem(file, "header declares more than " + limits.maxTensors() + " " + METADATA_KEY + " entries, the limit");
                } else if (ctx.inArray() && ctx.getCurrentIndex() >= Math.max(2, limits.maxRank())) {
                    throw problem(file, "header has an array of more than " + Math.max(2, limits.maxRank()) + " entries (shapes are limited to rank " + limits.maxRank() + ")");
                }
            }
        }
    }

    private static Map<String, String> metadata(String file, JsonNode node) throws IOException {
        if (!node.isObject()) throw problem(file, METADATA_KEY + " is not a JSON object");
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) throw problem(file, METADATA_KEY + " value of '" + e.getKey() + "' is not a string");
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    private static TensorInfo tensor(String file, String name, JsonNode node, long dataLength) throws IOException {
        String where = "tensor '" + name + "': ";
        if (!node.isObject()) throw problem(file, where + "entry is not a JSON object");
        JsonNode dt = node.get("dtype");
        if (dt == null || !dt.isTextual()) throw problem(file, where + "missing or non-string dtype");
        DType dtype = DType.of(dt.textValue());
        if (dtype == null) throw problem(file, where + "unknown dtype '" + dt.textValue() + "'");
        long[] shape = longs(file, where, node.get("shape"), "shape", -1);
        long[] offsets = longs(file, where, node.get("data_offsets"), "data_offsets", 2);
        TensorSpec spec = new TensorSpec(name, dtype, shape);
        long bytes;
        try {
            bytes = spec.byteSize();
        } catch (ArithmeticException e) {
            throw problem(file, where + "shape " + spec.shapeString() + " overflows");
        }
        if (bytes < 0) throw problem(file, where + "shape " + spec.shapeString() + " of " + dtype + " does not fill whole bytes");
        long begin = offsets[0], end = offsets[1];
        if (begin > end) throw problem(file, where + "data_offsets [" + begin + ", " + end + "] run backwards");
        if (end > dataLength) throw problem(file, where + "data_offsets [" + begin + ", " + end + "] run past the data section (" + dataLength + " bytes)");
        if (end - begin != bytes) {
            throw problem(file, where + "data_offsets [" + begin + ", " + end + "] hold " + (end - begin) + " bytes but shape " + spec.shapeString() + " of " + dtype + " needs " + bytes);
        }
        return new TensorInfo(spec, begin, end);
    }

    /** A JSON array of non-negative integers that fit a long ({@code count} < 0: any length). */
    private static long[] longs(String file, String where, JsonNode node, String field, int count) throws IOException {
        if (node == null || !node.isArray()) throw problem(file, where + "missing or non-array " + field);
        if (count >= 0 && node.size() != count) throw problem(file, where + field + " must have " + count + " entries");
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw problem(file, where + field + " entry " + v + " is not a non-negative 64-bit integer");
            }
            out[i] = v.longValue();
        }
        return out;
    }

    /** The tensors must tile the data section exactly: no overlap, no hole, nothing after the last. */
    private static void checkCoverage(String file, List<TensorInfo> tensors, long dataLength) throws IOException {
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long covered = 0;
        TensorInfo previous = null;
        for (TensorInfo t : sorted) {
            if (t.begin() < covered) throw problem(file, "tensors '" + previous.name() + "' and '" + t.name() + "' overlap");
            if (t.begin() > covered) throw problem(file, "data bytes [" + covered + ", " + t.begin() + ") belong to no tensor");
            covered = t.end();
            previous = t;
        }
        if (covered != dataLength) throw problem(file, "data section has " + dataLength + " bytes but the tensors cover " + covered);
    }

    static IOException problem(String file, String what) {
        return new IOException(file + ": " + what);
    }
}
