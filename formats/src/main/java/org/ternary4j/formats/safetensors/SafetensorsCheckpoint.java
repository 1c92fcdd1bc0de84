package org.ternary4j.formats.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A safetensors checkpoint as Hugging Face stores it: one {@code .safetensors} file, or shards
 * named by a {@code *.safetensors.index.json} ({@code weight_map}: tensor → shard file beside the
 * index), or a folder holding {@code model.safetensors} or {@code model.safetensors.index.json}.
 * Every tensor is in exactly one shard; an index naming a tensor no shard holds, or a shard
 * outside the folder, is refused.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
    /** The name Hugging Face gives the index of a sharded checkpoint (and ternary4j its sharded outputs). */
    public static final String INDEX = "model.safetensors.index.json";
    public static final String SINGLE = "model.safetensors";

    /** One tensor and the open shard that holds it. */
    public record Entry(SafetensorsReader reader, TensorInfo info) {
        public String shard() {
            return reader.file().getFileName().toString();
        }
    }

    private final Path input;
    private final Path index;
    private final List<SafetensorsReader> readers;
    private final List<Entry> tensors;

    private SafetensorsCheckpoint(Path input, Path index, List<SafetensorsReader> readers, List<Entry> tensors) {
        this.input = input;
        this.index = index;
        this.readers = readers;
        this.tensors = tensors;
    }

    /** Whether {@code p} names a checkpoint this class opens rather than a single file: a folder or an index. */
    public static boolean isShardedOrFolder(Path p) {
        return Files.isDirectory(p) || p.getFileName() != null && p.getFileName().toString().endsWith(".index.json");
    }

    public static SafetensorsCheckpoint open(Path input, ReadLimits limits) throws IOException {
        Path file = resolve(input);
        boolean sharded = file.getFileName().toString().endsWith(".index.json");
        List<Path> shards = new ArrayList<>();
        Set<String> indexed = null;
        if (sharded) {
            indexed = new LinkedHashSet<>();
            Set<Path> seen = new LinkedHashSet<>();
            for (Map.Entry<String, JsonNode> e : weightMap(file).properties()) {
                String shard = e.getValue().asText();
                if (!e.getValue().isTextual() || shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
                    throw new IOException(file + ": tensor '" + e.getKey() + "' names shard '" + shard + "', not a file name beside the index");
                }
                seen.add(file.resolveSibling(shard));
                indexed.add(e.getKey());
            }
            shards.addAll(seen);
        } else {
            shards.add(file);
        }
        List<SafetensorsReader> readers = new ArrayList<>();
        try {
            List<Entry> entries = new ArrayList<>();
            Set<String> names = new LinkedHashSet<>();
            for (Path shard : shards) {
                SafetensorsReader r = SafetensorsReader.open(shard, limits);
                readers.add(r);
                for (TensorInfo t : r.tensors()) {
                    if (indexed != null && !indexed.contains(t.name())) continue;
                    if (!names.add(t.name())) throw new IOException(shard + ": tensor '" + t.name() + "' is also in another shard");
                    entries.add(new Entry(r, t));
                }
            }
            if (indexed != null && !names.containsAll(indexed)) {
                indexed.removeAll(names);
                throw new IOException(file + ": the index names tensors no shard holds: " + String.join(", ", indexed.stream().limit(5).toList()));
            }
            return new SafetensorsCheckpoint(file, sharded ? file : null, readers, List.copyOf(entries));
        } catch (IOException | RuntimeException e) {
            for (SafetensorsReader r : readers) r.close();
            throw e;
        }
    }

    private static Path resolve(Path input) throws IOException {
        if (!Files.isDirectory(input)) return input;
        for (String name : List.of(SINGLE, INDEX)) if (Files.isRegularFile(input.resolve(name))) return input.resolve(name);
        throw new IOException(input + ": folder has neither " + SINGLE + " nor " + INDEX);
    }

    private static JsonNode weightMap(Path index) throws IOException {
        JsonNode map;
        try {
            map = new ObjectMapper().readTree(index.toFile()).path("weight_map");
        } catch (IOException e) {
            throw new IOException(index + ": not valid JSON (" + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
        }
        if (!map.isObject() || map.isEmpty()) throw new IOException(index + ": no 'weight_map' naming the shards");
        return map;
    }

    /** The bytes of every shard of the checkpoint at {@code input} (headers only are read). */
    public static long shardBytes(Path input) throws IOException {
        try (SafetensorsCheckpoint c = open(input, ReadLimits.DEFAULT)) {
            long n = 0;
            for (Path p : c.shards()) n += Files.size(p);
            return n;
        }
    }

    /** The file read: the single .safetensors or the index. */
    public Path file() {
        return input;
    }

    /** The folder holding the checkpoint (config.json and tokenizer files sit beside it). */
    public Path folder() {
        return input.toAbsolutePath().getParent();
    }

    public boolean sharded() {
        return index != null;
    }

    /** Every tensor, shard by shard in the order the index first names them. */
    public List<Entry> tensors() {
        return tensors;
    }

    /** The first shard's {@code __metadata__} (Hugging Face's shards all carry {"format": "pt"}). */
    public Map<String, String> metadata() {
        return readers.getFirst().metadata();
    }

    /** The shard files in order. */
    public List<Path> shards() {
        return readers.stream().map(SafetensorsReader::file).toList();
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsReader r : readers) {
            try {
                r.close();
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }
}
