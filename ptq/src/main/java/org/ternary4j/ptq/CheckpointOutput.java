package org.ternary4j.ptq;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ternary4j.formats.AtomicOutput;
import org.ternary4j.formats.safetensors.SafetensorsCheckpoint;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * Where a quantized checkpoint goes: one .safetensors file (every shard merged), or a folder
 * laid out as Hugging Face lays out checkpoints: the input's shards under their own names, a
 * rewritten {@code model.safetensors.index.json} when the input was sharded, and the small files
 * beside the input (config.json, tokenizer files) copied, so the folder loads as the input did.
 * Nothing is visible before {@link #commit}; a folder this class created is removed again when
 * the run fails.
 */
final class CheckpointOutput implements AutoCloseable {
    /** Files copied into an output folder: configuration and tokenizer files, never weights. */
    private static final List<String> SIDE_FILE_ENDINGS = List.of(".json", ".txt", ".model", ".tiktoken", ".jinja");
    private static final long SIDE_FILE_LIMIT = 256L << 20;

    private final Path target;
    private final boolean createdFolder;
    private final Map<String, SafetensorsWriter> writers = new LinkedHashMap<>();
    private final Map<String, String> shardOf = new LinkedHashMap<>();
    private final List<AtomicOutput> extras = new ArrayList<>();
    private final List<Path> written = new ArrayList<>();

    private CheckpointOutput(Path target, boolean createdFolder) {
        this.target = target;
        this.createdFolder = createdFolder;
    }

    /**
     * Whether {@code out} names a folder output: for a checkpoint input (an index or a folder),
     * an existing folder or a path without an extension that does not exist yet; a single-file
     * input is written to a file whatever its name.
     */
    static boolean isFolder(Path out, boolean checkpointInput) {
        if (!checkpointInput) return false;
        if (Files.isDirectory(out)) return true;
        String name = out.getFileName() == null ? "" : out.getFileName().toString();
        return !Files.exists(out) && !name.contains(".");
    }

    /** Opens every output file with its header; {@code specs} are the output tensors in the order they will be written. */
    static CheckpointOutput open(Target out, SafetensorsCheckpoint in, List<TensorSpec> specs) throws IOException {
        Map<String, List<TensorSpec>> byInput = new LinkedHashMap<>();
        for (TensorSpec s : specs) byInput.put(s.name(), List.of(s));
        return open(out, in, byInput, Map.of());
    }

    /** The output path and whether it is a folder (see {@link #isFolder}). */
    record Target(Path path, boolean folder) {}

    /**
     * Opens every output file: {@code outputs} gives, per input tensor name in checkpoint order,
     * the output tensors it becomes (written in that order, in the input tensor's shard);
     * {@code replaced} gives new contents for side files by name (config.json, say).
     */
    static CheckpointOutput open(Target target, SafetensorsCheckpoint in, Map<String, List<TensorSpec>> outputs, Map<String, byte[]> replaced) throws IOException {
        Path out = target.path();
        Path[] inputs = in.shards().toArray(Path[]::new);
        List<TensorSpec> specs = outputs.values().stream().flatMap(List::stream).toList();
        if (!target.folder()) {
            if (!replaced.isEmpty()) throw new IOException(out + ": " + String.join(", ", replaced.keySet()) + " must be written too; give a folder as the output");
            CheckpointOutput o = new CheckpointOutput(out, false);
            try {
                o.writers.put("", SafetensorsWriter.open(out, specs, in.metadata(), inputs));
            } catch (IOException | RuntimeException e) {
                o.close();
                throw e;
            }
            for (TensorSpec s : specs) o.shardOf.put(s.name(), "");
            o.written.add(out);
            return o;
        }
        if (Files.exists(out) && Files.isSameFile(out, in.folder())) {
            throw new IOException(out + ": output folder is the input's own folder; the shards would overwrite the input");
        }
        boolean created = !Files.exists(out);
        if (created) Files.createDirectory(out);
        CheckpointOutput o = new CheckpointOutput(out, created);
        try {
            Map<String, List<TensorSpec>> byShard = new LinkedHashMap<>();
            Map<String, Map<String, String>> metadata = new LinkedHashMap<>();
            for (SafetensorsCheckpoint.Entry e : in.tensors()) {
                for (TensorSpec s : outputs.get(e.info().name())) {
                    byShard.computeIfAbsent(e.shard(), k -> new ArrayList<>()).add(s);
                    o.shardOf.put(s.name(), e.shard());
                }
                metadata.putIfAbsent(e.shard(), e.reader().metadata());
            }
            for (var e : byShard.entrySet()) {
                Path p = out.resolve(e.getKey());
                o.writers.put(e.getKey(), SafetensorsWriter.open(p, e.getValue(), metadata.get(e.getKey()), inputs));
                o.written.add(p);
            }
            if (in.sharded()) o.index(specs);
            o.copySideFiles(in, inputs, replaced);
            return o;
        } catch (IOException | RuntimeException e) {
            o.close();
            throw e;
        }
    }

    /** The writer of the file that takes tensor {@code name}. */
    SafetensorsWriter writer(String name) {
        return writers.get(shardOf.get(name));
    }

    /** Every file this output will hold once committed. */
    List<Path> files() {
        return List.copyOf(written);
    }

    private void index(List<TensorSpec> specs) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.putObject("metadata").put("total_size", specs.stream().mapToLong(TensorSpec::byteSize).sum());
        ObjectNode map = root.putObject("weight_map");
        for (TensorSpec s : specs) map.put(s.name(), shardOf.get(s.name()));
        Path p = target.resolve(SafetensorsCheckpoint.INDEX);
        AtomicOutput a = AtomicOutput.open(p);
        extras.add(a);
        JsonFiles.write(a, json.writeValueAsBytes(root));
        written.add(p);
    }

    private void copySideFiles(SafetensorsCheckpoint in, Path[] inputs, Map<String, byte[]> replaced) throws IOException {
        for (var e : replaced.entrySet()) {
            AtomicOutput a = AtomicOutput.open(target.resolve(e.getKey()), inputs);
            extras.add(a);
            JsonFiles.write(a, e.getValue());
            written.add(target.resolve(e.getKey()));
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(in.folder())) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                String lower = name.toLowerCase(Locale.ROOT);
                if (!Files.isRegularFile(f) || name.startsWith(".") || lower.endsWith(".index.json") || Files.size(f) > SIDE_FILE_LIMIT) continue;
                if (SIDE_FILE_ENDINGS.stream().noneMatch(lower::endsWith) || replaced.containsKey(name)) continue;
                AtomicOutput a = AtomicOutput.open(target.resolve(name), inputs);
                extras.add(a);
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                    for (long at = 0, size = ch.size(); at < size; ) at += ch.transferTo(at, size - at, a.channel());
                }
                written.add(target.resolve(name));
            }
        }
    }

    void commit() throws IOException {
        for (SafetensorsWriter w : writers.values()) w.commit();
        for (AtomicOutput a : extras) a.commit();
    }

    /** Drops whatever was not committed; a folder created here and left empty goes too. */
    @Override
    public void close() throws IOException {
        for (SafetensorsWriter w : writers.values()) w.close();
        for (AtomicOutput a : extras) a.close();
        if (createdFolder) {
            boolean empty;
            try (DirectoryStream<Path> left = Files.newDirectoryStream(target)) {
                empty = !left.iterator().hasNext();
            }
            if (empty) Files.deleteIfExists(target);
        }
    }
}
