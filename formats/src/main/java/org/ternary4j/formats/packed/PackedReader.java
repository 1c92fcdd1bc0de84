package org.ternary4j.formats.packed;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Shapes;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.ReadLimits;
import org.ternary4j.formats.safetensors.SafetensorsReader;
import org.ternary4j.formats.safetensors.TensorInfo;

/**
 * Reads a packed file (PACKED_FORMAT.md) one tensor at a time. Opening checks that the metadata
 * and the stored tensors agree (names, dtypes, byte counts, scale counts; every metadata entry has
 * its codes and scales and every codes/scales pair its metadata entry); decoding a tensor
 * additionally rejects code bytes no packer writes and negative or non-finite scales.
 */
public final class PackedReader implements AutoCloseable {
    private final SafetensorsReader file;
    private final Map<String, PackedEntry> entries;
    private final Map<String, KeptEntry> kept;
    private final List<TensorInfo> unchanged;

    private PackedReader(SafetensorsReader file, Map<String, PackedEntry> entries, Map<String, KeptEntry> kept, List<TensorInfo> unchanged) {
        this.file = file;
        this.entries = entries;
        this.kept = kept;
        this.unchanged = unchanged;
    }

    public static PackedReader open(Path path) throws IOException {
        return open(path, ReadLimits.DEFAULT);
    }

    public static PackedReader open(Path path, ReadLimits limits) throws IOException {
        SafetensorsReader file = SafetensorsReader.open(path, limits);
        try {
            Map<String, String> meta = file.metadata();
            if (!PackedFormat.FORMAT.equals(meta.get(PackedFormat.FORMAT_KEY))) {
                throw bad(path, "not a ternary4j packed file (metadata format is " + quoted(meta.get(PackedFormat.FORMAT_KEY)) + ")");
            }
            String version = meta.get(PackedFormat.VERSION_KEY);
            if (!PackedFormat.VERSION.equals(version) && !PackedFormat.VERSION_KEPT.equals(version)) {
                throw bad(path, "packed format version " + quoted(version) + " is not supported (expected " + PackedFormat.VERSION + " or "
                        + PackedFormat.VERSION_KEPT + ")");
            }
            Map<String, PackedEntry> entries = new LinkedHashMap<>();
            Map<String, KeptEntry> kept = new LinkedHashMap<>();
            Set<String> consumed = new HashSet<>();
            for (Map.Entry<String, String> m : meta.entrySet()) {
                String name = m.getKey();
                if (name.equals(PackedFormat.FORMAT_KEY) || name.equals(PackedFormat.VERSION_KEY)) continue;
                if (KeptEntry.describes(m.getValue())) {
                    if (!PackedFormat.VERSION_KEPT.equals(version)) throw bad(path, "tensor '" + name + "' is a kept tensor, which needs format version 2");
                    KeptEntry k;
                    try {
                        k = KeptEntry.parse(m.getValue());
                    } catch (IllegalArgumentException ex) {
                        throw bad(path, "metadata of tensor '" + name + "': " + ex.getMessage());
                    }
                    consumed.addAll(checkKept(file, path, name, k));
                    kept.put(name, k);
                    continue;
                }
                PackedEntry e;
                try {
                    e = PackedEntry.parse(m.getValue());
                } catch (IllegalArgumentException ex) {
                    throw bad(path, "metadata of tensor '" + name + "': " + ex.getMessage());
                }
                checkStored(file, path, name, e);
                entries.put(name, e);
                consumed.add(PackedFormat.codesName(name));
                consumed.add(PackedFormat.scalesName(name));
            }
            Set<String> stored = new HashSet<>();
            for (TensorInfo t : file.tensors()) stored.add(t.name());
            List<TensorInfo> unchanged = new ArrayList<>();
            for (TensorInfo t : file.tensors()) {
                if (consumed.contains(t.name())) continue;
                String base = t.name().endsWith(".codes") ? t.name().substring(0, t.name().length() - ".codes".length()) : null;
                if (base != null && stored.contains(PackedFormat.scalesName(base))) {
                    // A codes/scales pair whose metadata entry is gone: the weights would silently be missing.
                    throw bad(path, "tensor '" + base + "' has stored codes and scales but no metadata entry (a damaged packed file)");
                }
                if (entries.containsKey(t.name()) || kept.containsKey(t.name())) throw bad(path, "tensor '" + t.name() + "' is stored both packed and unchanged");
                unchanged.add(t);
            }
            return new PackedReader(file, Collections.unmodifiableMap(entries), Collections.unmodifiableMap(kept), List.copyOf(unchanged));
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** The stored codes and scales must have exactly the sizes the entry implies. */
    private static void checkStored(SafetensorsReader file, Path path, String name, PackedEntry e) throws IOException {
        String where = "tensor '" + name + "': ";
        int elements, groups;
        try {
            elements = Shapes.size(e.shape());
            groups = e.grouping().layout(e.shape()).groupCount();
        } catch (IllegalArgumentException ex) {
            throw bad(path, where + ex.getMessage());
        }
        TensorInfo codes = file.tensor(PackedFormat.codesName(name));
        long want = e.packing().packedBytes(elements);
        if (codes.dtype() != DType.U8 || !Arrays.equals(codes.spec().shape(), new long[] {want})) {
            throw bad(path, where + "codes are " + codes.dtype() + " " + codes.spec().shapeString() + ", expected U8 [" + want + "] for "
                    + elements + " " + e.packing().spec() + " codes");
        }
        TensorInfo scales = file.tensor(PackedFormat.scalesName(name));
        long[] s = scales.spec().shape();
        boolean ok = (scales.dtype() == DType.F32 || scales.dtype() == DType.F16) && s.length >= 1 && s[0] == groups && (s.length == 1 || (s.length == 2 && s[1] == 2));
        if (!ok) {
            throw bad(path, where + "scales are " + scales.dtype() + " " + scales.spec().shapeString() + ", expected F32 or F16 [" + groups + "] or ["
                    + groups + ", 2] for grouping " + e.grouping().spec());
        }
    }

    /** The stored tensors of a kept entry must have exactly the shapes and dtypes it implies; returns their names. */
    private static List<String> checkKept(SafetensorsReader file, Path path, String name, KeptEntry e) throws IOException {
        String where = "tensor '" + name + "': ";
        List<String> names = new ArrayList<>();
        for (org.ternary4j.formats.safetensors.TensorSpec want : PackedFormat.keptSpecs(name, e.shape(), e.precision())) {
            TensorInfo got = file.tensor(want.name());
            if (got.dtype() != want.dtype() || !Arrays.equals(got.spec().shape(), want.shape())) {
                throw bad(path, where + "'" + want.name() + "' is " + got.dtype() + " " + got.spec().shapeString() + ", expected " + want.dtype() + " "
                        + want.shapeString() + " for a " + e.precision().spec() + " tensor of shape " + Arrays.toString(e.shape()));
            }
            names.add(want.name());
        }
        return names;
    }

    /** Names of the tensors kept at INT8 or FP16, in metadata order. */
    public Set<String> keptNames() {
        return kept.keySet();
    }

    public KeptEntry keptEntry(String name) throws IOException {
        KeptEntry e = kept.get(name);
        if (e == null) throw bad(file.file(), "no kept tensor '" + name + "'");
        return e;
    }

    /** Decodes one kept tensor; scales must be finite and ≥ 0, INT8 values within ±127. */
    public KeptTensor readKept(String name) throws IOException {
        KeptEntry e = keptEntry(name);
        try {
            return switch (e.precision()) {
                case INT8 -> new KeptTensor.Int8(e.shape(), file.readBytes(file.tensor(PackedFormat.int8Name(name))),
                        file.readFloats(file.tensor(PackedFormat.scalesName(name))));
                case FP16 -> new KeptTensor.Fp16(e.shape(), file.readShorts(file.tensor(PackedFormat.fp16Name(name))));
            };
        } catch (IllegalArgumentException ex) {
            throw bad(file.file(), "tensor '" + name + "': " + ex.getMessage());
        }
    }

    /** Every kept tensor decoded, by name in metadata order (the runtime's and fine-tuning's kept layers). */
    public Map<String, KeptTensor> readAllKept() throws IOException {
        Map<String, KeptTensor> all = new LinkedHashMap<>();
        for (String name : keptNames()) all.put(name, readKept(name));
        return all;
    }

    /** Names of the ternarized tensors, in metadata order. */
    public Set<String> ternaryNames() {
        return entries.keySet();
    }

    public PackedEntry entry(String name) throws IOException {
        PackedEntry e = entries.get(name);
        if (e == null) throw bad(file.file(), "no ternarized tensor '" + name + "'");
        return e;
    }

    /** Every ternarized tensor decoded, by name in metadata order (what {@code TernaryModel.load} takes). */
    public Map<String, TernaryTensor> readAllTernary() throws IOException {
        Map<String, TernaryTensor> all = new LinkedHashMap<>();
        for (String name : ternaryNames()) all.put(name, read(name));
        return all;
    }

    /** Decodes one ternarized tensor. */
    public TernaryTensor read(String name) throws IOException {
        PackedEntry e = entry(name);
        TensorInfo scalesInfo = file.tensor(PackedFormat.scalesName(name));
        try {
            byte[] codes = e.packing().unpack(file.readBytes(file.tensor(PackedFormat.codesName(name))), Shapes.size(e.shape()));
            float[] flat = file.readFloats(scalesInfo); // F32 or F16, checked when the file was opened
            for (float v : flat) {
                if (!(v >= 0) || Float.isInfinite(v)) throw new IllegalArgumentException("scale " + v + " is not a finite non-negative number");
            }
            boolean two = scalesInfo.spec().rank() == 2;
            int groups = two ? flat.length / 2 : flat.length;
            float[] pos = two ? new float[groups] : flat;
            float[] neg = two ? new float[groups] : null;
            if (two) {
                for (int g = 0; g < groups; g++) {
                    pos[g] = flat[2 * g];
                    neg[g] = flat[2 * g + 1];
                }
            }
            return new TernaryTensor(e.shape(), e.grouping(), e.method(), codes, pos, neg);
        } catch (IllegalArgumentException ex) {
            throw bad(file.file(), "tensor '" + name + "': " + ex.getMessage());
        }
    }

    /** Whether the tensor's scales are stored as F16 (then every scale of {@link #read} is an FP16 value). */
    public boolean halfScales(String name) throws IOException {
        entry(name);
        return file.tensor(PackedFormat.scalesName(name)).dtype() == DType.F16;
    }

    /** The tensors stored unchanged, in file order; read them through {@link #file()}. */
    public List<TensorInfo> unchanged() {
        return unchanged;
    }

    /** The underlying safetensors file. */
    public SafetensorsReader file() {
        return file;
    }

    private static IOException bad(Path path, String what) {
        return new IOException(path + ": " + what);
    }

    private static String quoted(String s) {
        return s == null ? "missing" : "'" + s + "'";
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
