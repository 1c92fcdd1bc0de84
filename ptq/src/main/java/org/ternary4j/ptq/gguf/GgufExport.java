package org.ternary4j.ptq.gguf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.formats.gguf.GgufData;
import org.ternary4j.formats.gguf.GgufTensor;
import org.ternary4j.formats.gguf.GgufType;
import org.ternary4j.formats.gguf.GgufValue;
import org.ternary4j.formats.gguf.GgufWriter;
import org.ternary4j.formats.gguf.TernaryBlocks;
import org.ternary4j.formats.safetensors.ReadLimits;
import org.ternary4j.formats.safetensors.SafetensorsCheckpoint;
import org.ternary4j.formats.safetensors.SafetensorsReader;
import org.ternary4j.formats.safetensors.TensorInfo;

/**
 * Ternarizes a safetensors checkpoint into a GGUF file for llama.cpp: every float matrix whose
 * rows are a multiple of 256 becomes TQ2_0 or TQ1_0, its codes and one scale per 256-block chosen
 * by the projection on that block; embeddings, the output head, other matrices and 1-D tensors are
 * kept as floats. A Llama checkpoint (config.json beside it naming LlamaForCausalLM) gets
 * llama.cpp's tensor names, its hyperparameter keys, tokenizer keys from a byte-level BPE
 * tokenizer.json, and the q/k row order llama.cpp's rotary embedding expects (rows move whole, so
 * each 256-block keeps its weights); any other checkpoint keeps its names and has no architecture key.
 * Projections that give +1 and −1 different scales are refused: the block formats hold one scale.
 */
public final class GgufExport {
    private static final int BLOCK = TernaryBlocks.BLOCK;
    private static final int CHUNK_BLOCKS = 1 << 14;
    private static final int CHUNK_FLOATS = 1 << 20;

    private GgufExport() {}

    /**
     * {@code input}: a .safetensors file, a sharded checkpoint's .safetensors.index.json, or a
     * folder holding model.safetensors or model.safetensors.index.json.
     */
    public record Request(Path input, Path output, Projection projection, Options options) {
        public static Request of(Path input, Path output, Projection projection) {
            return new Request(input, output, projection, Options.DEFAULT);
        }

        public Request with(Options o) {
            return new Request(input, output, projection, o);
        }
    }

    /** The block type of ternarized matrices, the float type of kept matrices, and the projection's threads. */
    public record Options(GgufType ternaryType, GgufType keptType, int threads) {
        public static final Options DEFAULT = new Options(GgufType.TQ2_0, GgufType.F16, 1);

        public Options {
            ternaryType.blocks(); // only TQ1_0 and TQ2_0 pass
            if (keptType != GgufType.F16 && keptType != GgufType.F32) throw new IllegalArgumentException("kept tensors are F16 or F32, not " + keptType);
            if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1");
        }

        public Options withTernaryType(GgufType t) {
            return new Options(t, keptType, threads);
        }

        public Options withKeptType(GgufType t) {
            return new Options(ternaryType, t, threads);
        }

        public Options withThreads(int n) {
            return new Options(ternaryType, keptType, n);
        }
    }

    /** One written tensor: its checkpoint and GGUF names, its GGUF type and why it has that type. */
    public record Written(String source, String name, GgufType type, String why) {}

    /** What was written; {@code notes} are what a user must know (skipped tensors, settings not carried). */
    public record Result(Path output, boolean llama, List<Written> tensors, List<String> notes) {
        public long count(GgufType type) {
            return tensors.stream().filter(t -> t.type() == type).count();
        }

        /** One line per kept tensor and per note, then a count per type. */
        public List<String> summary() {
            List<String> lines = new ArrayList<>();
            for (Written w : tensors) if (w.type() != GgufType.TQ1_0 && w.type() != GgufType.TQ2_0) lines.add(w.name() + ": " + w.type() + " (" + w.why() + ")");
            lines.addAll(notes);
            StringBuilder counts = new StringBuilder(output + ": " + tensors.size() + " tensors");
            for (GgufType t : GgufType.values()) if (count(t) > 0) counts.append(", ").append(count(t)).append(' ').append(t);
            lines.add(counts + (llama ? ", llama.cpp names and keys (architecture llama)" : ", checkpoint names, no architecture"));
            return lines;
        }
    }

    private record Source(SafetensorsReader reader, TensorInfo info) {}

    private record Planned(Source source, Written written, GgufTensor tensor, int ropeHeads) {}

    public static Result run(Request request) throws IOException {
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(request.input(), ReadLimits.DEFAULT)) {
            Path folder = checkpoint.folder();
            List<Source> sources = checkpoint.tensors().stream().map(e -> new Source(e.reader(), e.info())).toList();
            Optional<LlamaConfig> llama = LlamaConfig.find(folder);
            List<String> notes = new ArrayList<>();
            Map<String, GgufValue> metadata = new LinkedHashMap<>();
            if (llama.isPresent()) {
                metadata.putAll(llama.get().metadata());
                llama.get().unsupported().ifPresent(notes::add);
                LlamaTokenizer.addTo(folder, llama.get(), metadata, notes);
            } else {
                notes.add("not a Llama checkpoint (no config.json naming " + LlamaConfig.ARCHITECTURE + "): names kept, no architecture key, so llama.cpp cannot load it as a model");
            }
            int fileType = request.options().ternaryType() == GgufType.TQ1_0 ? 36 : 37; // llama_ftype MOSTLY_TQ1_0 / MOSTLY_TQ2_0
            metadata.put("general.file_type", new GgufValue.U32(fileType));
            metadata.put("general.quantization_version", new GgufValue.U32(2));
            List<Planned> plan = plan(sources, llama, request.options(), notes);
            List<GgufTensor> tensors = plan.stream().map(Planned::tensor).toList();
            Path[] inputs = sources.stream().map(s -> s.reader().file()).distinct().toArray(Path[]::new);
            try (GgufWriter w = GgufWriter.open(request.output(), new GgufWriter.Layout(metadata, tensors), inputs)) {
                Ternarizer ternarizer = new Ternarizer(request.projection(), new Grouping.Block(BLOCK), request.options().threads());
                for (Planned p : plan) write(w, p, ternarizer);
                w.commit();
            }
            return new Result(request.output(), llama.isPresent(), plan.stream().map(Planned::written).toList(), List.copyOf(notes));
        }
    }

    private static List<Planned> plan(List<Source> sources, Optional<LlamaConfig> llama, Options options, List<String> notes) throws IOException {
        List<Planned> plan = new ArrayList<>();
        for (Source s : sources) {
            String hf = s.info().name();
            Path file = s.reader().file();
            if (!s.info().dtype().isFloat()) throw new IOException(file + ": tensor '" + hf + "' is " + s.info().dtype() + "; GGUF export takes F32, F16 and BF16 tensors");
            String name = hf;
            int ropeHeads = 0;
            if (llama.isPresent()) {
                if (LlamaNames.recomputed(hf)) {
                    notes.add("skipped " + hf + " (llama.cpp computes rotary frequencies itself)");
                    continue;
                }
                name = LlamaNames.map(hf).orElseThrow(() -> new IOException(file + ": tensor '" + hf + "' has no llama.cpp name; llama.cpp would not load it"));
                ropeHeads = LlamaNames.ropeHeads(name, llama.get());
            }
            long[] shape = s.info().spec().shape();
            if (shape.length == 0) shape = new long[] {1};
            if (shape.length > 4) throw new IOException(file + ": tensor '" + hf + "' has rank " + shape.length + "; GGUF holds up to 4");
            if (ropeHeads > 0 && (shape[0] % (2L * ropeHeads) != 0)) {
                throw new IOException(file + ": tensor '" + hf + "' has " + shape[0] + " rows, not an even count per each of " + ropeHeads + " heads");
            }
            GgufType type;
            String why;
            long row = shape[shape.length - 1];
            if (shape.length == 1) {
                type = GgufType.F32;
                why = "1-D, kept";
            } else if (shape.length != 2) {
                type = options.keptType();
                why = "rank " + shape.length + ", kept";
            } else if (llama.isPresent() ? LlamaNames.embeddingOrHead(name) : isEmbeddingOrHead(hf)) {
                type = options.keptType();
                why = "embedding or output head, kept";
            } else if (row % BLOCK != 0) {
                type = options.keptType();
                why = "rows of " + row + " are not a multiple of 256, kept";
            } else {
                type = options.ternaryType();
                why = "ternarized" + (ropeHeads > 0 ? ", rows permuted for llama.cpp's rotary embedding" : "");
            }
            if (ropeHeads > 0 && type != options.ternaryType()) why += ", rows permuted for llama.cpp's rotary embedding";
            try {
                plan.add(new Planned(s, new Written(hf, name, type, why), new GgufTensor(name, shape, type), ropeHeads));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": " + e.getMessage());
            }
        }
        return plan;
    }

    /** Without a known architecture, embeddings and the head are recognised by Hugging Face's usual names. */
    private static boolean isEmbeddingOrHead(String hf) {
        return hf.contains("embed") || hf.startsWith("lm_head.");
    }

    private static void write(GgufWriter w, Planned p, Ternarizer ternarizer) throws IOException {
        Source s = p.source();
        float[] values = s.reader().readFloats(s.info());
        long[] shape = p.tensor().shape();
        if (p.ropeHeads() > 0) values = LlamaNames.permuteRows(values, (int) shape[0], p.ropeHeads());
        GgufType type = p.tensor().type();
        String where = s.reader().file() + ": tensor '" + s.info().name() + "': ";
        if (type == GgufType.F32 || type == GgufType.F16) {
            for (int from = 0; from < values.length; from += CHUNK_FLOATS) {
                int to = Math.min(values.length, from + CHUNK_FLOATS);
                w.writeTensor(GgufData.floats(type, values, from, to), to == values.length);
            }
            return;
        }
        TernaryTensor t;
        try {
            t = ternarizer.apply(s.info().spec().intShape(), values);
        } catch (IllegalArgumentException e) {
            throw new IOException(where + e.getMessage());
        }
        if (t.twoScales()) throw new IOException(where + "method '" + ternarizer.projection().spec() + "' gives +1 and −1 different scales; " + type + " stores one scale per block");
        int blocks = t.groupCount();
        for (int from = 0; from < blocks; from += CHUNK_BLOCKS) {
            int to = Math.min(blocks, from + CHUNK_BLOCKS);
            try {
                w.writeTensor(GgufData.ternary(type.blocks(), t.codes(), t.scalePos(), from, to), to == blocks);
            } catch (IllegalArgumentException e) {
                throw new IOException(where + e.getMessage());
            }
        }
    }
}
