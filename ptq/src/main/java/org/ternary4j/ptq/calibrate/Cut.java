package org.ternary4j.ptq.calibrate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.onnx.ElementType;
import org.ternary4j.formats.onnx.OnnxModel;

/**
 * Every calibration example's values at one cut ({@link Stretches}), part by part in temporary
 * files: only the part a stretch or a statistic works on is in memory, so memory does not grow
 * with the number of examples (all of them at a cut were most of the recogniser's 2.5 GB). File
 * pages written and read through a channel stay out of the process's resident memory, which
 * mapped or native copies would not. A value passed through unchanged to the next cut shares its
 * file with it.
 */
final class Cut implements AutoCloseable {
    private final String file;
    private final List<Examples> parts = new ArrayList<>();
    private final Map<String, Slab> slabs = new LinkedHashMap<>();
    private boolean closed;

    /** An empty cut; {@code file} names the model in messages. */
    Cut(String file) {
        this.file = file;
        StretchRun.Values.holdPool();
    }

    /**
     * Every example's values {@code names}, computed from the model's inputs {@code data}: the whole
     * graph with those values as its outputs (its own input declarations bind the data; ONNX Runtime
     * runs only the nodes they need). Token models' examples go in the batches of their {@link
     * TokenCut}, each part at its own token count; others in order.
     */
    static Cut first(OnnxModel model, Set<String> names, Dataset data, String file) throws IOException {
        Cut out = new Cut(file);
        int[] seen = {0};
        TokenCut cut = TokenCut.plan(model.graph(), data, StretchRun.Values.PART);
        try (IntermediateRunner r = IntermediateRunner.open(model.withOutputs(List.copyOf(names)).toBytes(), file)) {
            if (cut != null) {
                for (Examples b : cut.batches()) r.run(cut.batch(data, b), names, b.count(), batch -> out.appendAll(StretchRun.Values.of(b, batch, file)));
                return out;
            }
            // Parts' worth at a time: ONNX Runtime's memory for the nodes before the cut grows with the batch.
            r.run(data, names, StretchRun.Values.PART, batch -> {
                List<StretchRun.Values> parts = StretchRun.Values.of(seen[0], batch, file);
                for (StretchRun.Values p : parts) seen[0] += p.count();
                out.appendAll(parts);
            });
            return out;
        } catch (IOException | RuntimeException e) {
            out.close();
            throw e;
        }
    }

    int parts() {
        return parts.size();
    }

    Examples part(int i) {
        return parts.get(i);
    }

    Set<String> names() {
        return slabs.keySet();
    }

    /** The bytes of this cut's largest part: what loading one part of it takes in memory. */
    long largestPart() {
        long most = 0;
        for (int i = 0; i < parts.size(); i++) {
            long bytes = 0;
            for (Slab s : slabs.values()) bytes += s.bytes(i);
            most = Math.max(most, bytes);
        }
        return most;
    }

    /** Element types of the values, by name in sorted order, for declaring a stretch's inputs. */
    Map<String, ElementType> types() {
        Map<String, ElementType> out = new LinkedHashMap<>();
        new TreeMap<>(slabs).forEach((n, s) -> out.put(n, s.type));
        return out;
    }

    /** Appends the parts and closes them. */
    private void appendAll(List<StretchRun.Values> parts) throws IOException {
        try {
            for (StretchRun.Values p : parts) append(p);
        } finally {
            parts.forEach(StretchRun.Values::close);
        }
    }

    /** Appends a part: its values go to the files (the part stays open; the caller closes it). */
    void append(StretchRun.Values part) throws IOException {
        for (String name : part.names()) {
            Slab s = slabs.get(name);
            if (s == null) {
                s = new Slab(part.elementType(name), file);
                slabs.put(name, s);
            }
            if (s.parts() != parts.size()) throw new IllegalStateException("value '" + name + "' has " + s.parts() + " parts where the cut has " + parts.size());
            s.append(part.bytes(name), part.shape(name), part.javaType(name));
        }
        parts.add(part.examples());
    }

    /** Part {@code i} in memory, with only the values {@code names}; the caller closes it. */
    StretchRun.Values load(int i, Collection<String> names) throws IOException {
        Map<String, StretchRun.Values.Stored> stored = new LinkedHashMap<>();
        for (String name : names) {
            Slab s = slabs.get(name);
            if (s == null) throw new IllegalStateException("no value '" + name + "' at this cut");
            stored.put(name, s.stored(i));
        }
        return StretchRun.Values.read(parts.get(i), stored, file);
    }

    interface PartAction {
        void accept(StretchRun.Values part) throws IOException;
    }

    /** Runs {@code action} on every part in order, each loaded with the values {@code names} and closed after. */
    void forEach(Collection<String> names, PartAction action) throws IOException {
        for (int i = 0; i < parts.size(); i++) {
            try (StretchRun.Values v = load(i, names)) {
                action.accept(v);
            }
        }
    }

    /**
     * The next cut, whose values {@code next} are passed through from here or computed by {@code
     * stretch} (null: none) part by part; {@code extras} sees each part's whole result. This cut stays open.
     */
    Cut step(StretchRun stretch, Set<String> next, StretchRun.Extras extras) throws IOException {
        Cut out = new Cut(file);
        try {
            Set<String> computed = new LinkedHashSet<>();
            for (String name : next) {
                Slab s = slabs.get(name);
                if (s == null) computed.add(name);
                else {
                    s.refs++;
                    out.slabs.put(name, s);
                }
            }
            if (stretch == null) {
                if (!computed.isEmpty()) throw new IllegalStateException("no stretch computes " + computed);
                out.parts.addAll(parts);
                return out;
            }
            forEach(stretch.inputs(), in -> {
                try (StretchRun.Values got = in.step(stretch, computed, extras)) {
                    out.append(got);
                }
            });
            return out;
        } catch (IOException | RuntimeException e) {
            out.close();
            throw e;
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            for (Slab s : slabs.values()) s.release();
            slabs.clear();
        } finally {
            StretchRun.Values.unholdPool();
        }
    }

    /** One value of every part, in a temporary file of its own that is gone once nothing holds it. */
    private static final class Slab {
        private final ElementType type;
        private final String file;
        private final FileChannel channel;
        private final List<long[]> shapes = new ArrayList<>();
        private final List<Long> offsets = new ArrayList<>();
        private ai.onnxruntime.OnnxJavaType javaType;
        private long end;
        private int refs = 1;

        Slab(ElementType type, String file) throws IOException {
            this.type = type;
            this.file = file;
            Path tmp = Files.createTempFile("t4j-cut-", ".bin");
            try {
                channel = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
        }

        int parts() {
            return offsets.size();
        }

        void append(ByteBuffer data, long[] shape, ai.onnxruntime.OnnxJavaType javaType) throws IOException {
            this.javaType = javaType;
            offsets.add(end);
            shapes.add(shape.clone());
            long at = end;
            try {
                while (data.hasRemaining()) at += channel.write(data, at);
            } catch (IOException e) {
                throw new IOException(file + ": cannot write calibration values to a temporary file: " + e.getMessage(), e);
            }
            end = at;
        }

        long bytes(int part) {
            return (part + 1 < offsets.size() ? offsets.get(part + 1) : end) - offsets.get(part);
        }

        StretchRun.Values.Stored stored(int part) {
            long from = offsets.get(part), to = from + bytes(part);
            return new StretchRun.Values.Stored(shapes.get(part), javaType, to - from, dst -> {
                long at = from;
                try {
                    while (dst.hasRemaining()) {
                        int n = channel.read(dst, at);
                        if (n < 0) throw new IOException("ends early");
                        at += n;
                    }
                } catch (IOException e) {
                    throw new IOException(file + ": cannot read calibration values back from a temporary file: " + e.getMessage(), e);
                }
            });
        }

        void release() {
            if (--refs > 0) return;
            try {
                channel.close();
            } catch (IOException e) {
                throw new IllegalStateException(file + ": cannot remove a temporary file of calibration values: " + e.getMessage(), e);
            }
        }
    }
}
