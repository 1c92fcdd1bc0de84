package org.ternary4j.formats.packed;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * The ternary4j packed format (PACKED_FORMAT.md): a safetensors file in which each ternarized
 * tensor NAME becomes {@code NAME.codes} (U8, packed codes) and {@code NAME.scales} (F32 or F16,
 * [G] or [G, 2]), described by a metadata entry NAME; every other tensor is stored unchanged. Version 2
 * adds tensors mixed precision kept out of ternary ({@link KeptEntry}): {@code NAME.int8} (I8,
 * canonical shape) with {@code NAME.scales} (F32 [rows]), or {@code NAME.fp16} (F16, canonical
 * shape). Files without kept tensors are still written as version 1.
 */
public final class PackedFormat {
    public static final String FORMAT_KEY = "format";
    public static final String FORMAT = "ternary4j.packed";
    public static final String VERSION_KEY = "version";
    public static final String VERSION = "1";
    /** The version of files that hold kept (INT8/FP16) tensors. */
    public static final String VERSION_KEPT = "2";

    private PackedFormat() {}

    public static String codesName(String name) {
        return name + ".codes";
    }

    public static String scalesName(String name) {
        return name + ".scales";
    }

    public static String int8Name(String name) {
        return name + ".int8";
    }

    public static String fp16Name(String name) {
        return name + ".fp16";
    }

    /** The metadata every packed file without kept tensors starts with. */
    public static Map<String, String> header() {
        return Map.of(FORMAT_KEY, FORMAT, VERSION_KEY, VERSION);
    }

    /** The two stored tensors of a ternarized tensor with F32 scales, known before it is ternarized. */
    public static List<TensorSpec> specs(String name, int[] shape, Grouping grouping, boolean twoScales, Packing packing) {
        return specs(name, shape, grouping, twoScales, packing, false);
    }

    /** The two stored tensors of a ternarized tensor, scales F16 when {@code halfScales}, else F32. */
    public static List<TensorSpec> specs(String name, int[] shape, Grouping grouping, boolean twoScales, Packing packing, boolean halfScales) {
        long elements = 1;
        for (int d : shape) elements *= d;
        int groups = grouping.layout(shape).groupCount();
        TensorSpec codes = new TensorSpec(codesName(name), DType.U8, new long[] {packing.packedBytes(elements)});
        TensorSpec scales = new TensorSpec(scalesName(name), halfScales ? DType.F16 : DType.F32, twoScales ? new long[] {groups, 2} : new long[] {groups});
        return List.of(codes, scales);
    }

    /** The metadata a packed file starts with: version 2 only when it holds kept tensors, so older readers still read the rest. */
    public static Map<String, String> header(boolean kept) {
        return Map.of(FORMAT_KEY, FORMAT, VERSION_KEY, kept ? VERSION_KEPT : VERSION);
    }

    /** The stored tensors of a kept tensor: INT8 values and per-row scales, or FP16 values. */
    public static List<TensorSpec> keptSpecs(String name, int[] shape, KeptTensor.Precision precision) {
        long[] dims = java.util.Arrays.stream(shape).asLongStream().toArray();
        return switch (precision) {
            case INT8 -> List.of(new TensorSpec(int8Name(name), DType.I8, dims), new TensorSpec(scalesName(name), DType.F32, new long[] {shape[0]}));
            case FP16 -> List.of(new TensorSpec(fp16Name(name), DType.F16, dims));
        };
    }

    /** Writes the stored tensors of {@code t}, which must come next in the writer's order. */
    public static void writeKept(SafetensorsWriter out, String name, KeptTensor t) throws IOException {
        switch (t) {
            case KeptTensor.Int8 i -> {
                out.writeBytes(int8Name(name), i.values());
                out.writeFloats(scalesName(name), i.scales());
            }
            case KeptTensor.Fp16 h -> out.writeShorts(fp16Name(name), h.bits());
        }
    }

    /** Writes the codes and F32 scales of {@code t}, which must come next in the writer's order. */
    public static void write(SafetensorsWriter out, String name, TernaryTensor t, Packing packing) throws IOException {
        write(out, name, t, packing, false);
    }

    /**
     * Writes the codes and scales of {@code t}, which must come next in the writer's order; with
     * {@code halfScales} the scales are stored as F16 and must already be FP16 values
     * ({@link TernaryTensor#withHalfScales}): the file never rounds them itself.
     */
    public static void write(SafetensorsWriter out, String name, TernaryTensor t, Packing packing, boolean halfScales) throws IOException {
        out.writeBytes(codesName(name), packing.pack(t.codes()));
        if (!halfScales) {
            out.writeFloats(scalesName(name), scales(t));
            return;
        }
        if (!t.halfScales()) throw new IllegalArgumentException("tensor '" + name + "': scales are not FP16 values; round them before storing them as F16");
        float[] s = scales(t);
        short[] bits = new short[s.length];
        for (int i = 0; i < s.length; i++) bits[i] = Float.floatToFloat16(s[i]);
        out.writeShorts(scalesName(name), bits);
    }

    /** [G] one scale per group, or [G, 2] (pos, neg) per group. */
    static float[] scales(TernaryTensor t) {
        return scales(t.scalePos(), t.scaleNeg());
    }

    /** The stored scales tensor's values: {@code pos} alone, or (pos, neg) per group when {@code neg} is not null. */
    public static float[] scales(float[] pos, float[] neg) {
        if (neg == null) return pos.clone();
        float[] s = new float[2 * pos.length];
        for (int g = 0; g < pos.length; g++) {
            s[2 * g] = pos[g];
            s[2 * g + 1] = neg[g];
        }
        return s;
    }
}
