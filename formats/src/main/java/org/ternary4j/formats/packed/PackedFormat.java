package org.ternary4j.formats.packed;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * The ternary4j packed format (PACKED_FORMAT.md): a safetensors file in which each ternarized
 * tensor NAME becomes {@code NAME.codes} (U8, packed codes) and {@code NAME.scales} (F32, [G] or
 * [G, 2]), described by a metadata entry NAME; every other tensor is stored unchanged.
 */
public final class PackedFormat {
    public static final String FORMAT_KEY = "format";
    public static final String FORMAT = "ternary4j.packed";
    public static final String VERSION_KEY = "version";
    public static final String VERSION = "1";

    private PackedFormat() {}

    public static String codesName(String name) {
        return name + ".codes";
    }

    public static String scalesName(String name) {
        return name + ".scales";
    }

    /** The metadata every packed file starts with. */
    public static Map<String, String> header() {
        return Map.of(FORMAT_KEY, FORMAT, VERSION_KEY, VERSION);
    }

    /** The two stored tensors of a ternarized tensor, known before it is ternarized. */
    public static List<TensorSpec> specs(String name, int[] shape, Grouping grouping, boolean twoScales, Packing packing) {
        long elements = 1;
        for (int d : shape) elements *= d;
        int groups = grouping.layout(shape).groupCount();
        TensorSpec codes = new TensorSpec(codesName(name), DType.U8, new long[] {packing.packedBytes(elements)});
        TensorSpec scales = new TensorSpec(scalesName(name), DType.F32, twoScales ? new long[] {groups, 2} : new long[] {groups});
        return List.of(codes, scales);
    }

    /** Writes the codes and scales of {@code t}, which must come next in the writer's order. */
    public static void write(SafetensorsWriter out, String name, TernaryTensor t, Packing packing) throws IOException {
        out.writeBytes(codesName(name), packing.pack(t.codes()));
        out.writeFloats(scalesName(name), scales(t));
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
