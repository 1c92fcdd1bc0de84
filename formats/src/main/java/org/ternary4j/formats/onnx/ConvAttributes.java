package org.ternary4j.formats.onnx;

import java.util.Arrays;

/**
 * The window attributes of a Conv or pooling node (Conv, MaxPool, AveragePool) with ONNX's
 * defaults filled in and checked: one stride and dilation per spatial axis (default 1), pads
 * {@code [begin…, end…]} (default 0), group (default 1), auto_pad and ceil_mode. The kernel comes
 * from {@code kernel_shape} when present (pooling requires it; a Conv may take it from its weight).
 *
 * @param kernelShape the kernel_shape attribute, or an empty array when the node has none
 */
public record ConvAttributes(int[] kernelShape, int[] strides, int[] pads, int[] dilations, int group, AutoPad autoPad, boolean ceilMode) {

    /** How pads are chosen: explicit ({@code NOTSET}), none, or split around the input so the output has ⌈in/stride⌉ positions. */
    public enum AutoPad {
        NOTSET, VALID, SAME_UPPER, SAME_LOWER;

        /** Pads that depend on the input size. */
        public boolean same() {
            return this == SAME_UPPER || this == SAME_LOWER;
        }
    }

    public ConvAttributes {
        kernelShape = kernelShape.clone();
        strides = strides.clone();
        pads = pads.clone();
        dilations = dilations.clone();
    }

    /**
     * The attributes of {@code n} for {@code spatialRank} spatial axes (2 for images). Wrong lengths,
     * values out of range or an unknown auto_pad throw an IllegalArgumentException naming the node.
     */
    public static ConvAttributes of(OnnxNode n, int spatialRank) {
        String node = "node '" + n.label() + "' (" + n.opType() + ")";
        int[] kernel = ints(n, "kernel_shape", spatialRank, 0, 1, node);
        int[] strides = ints(n, "strides", spatialRank, 1, 1, node);
        int[] dilations = ints(n, "dilations", spatialRank, 1, 1, node);
        int[] pads = ints(n, "pads", 2 * spatialRank, 0, 0, node);
        long group = n.intAttr("group", 1);
        if (group < 1 || group > Integer.MAX_VALUE) throw new IllegalArgumentException(node + ": group must be ≥ 1, got " + group);
        String auto = n.stringAttr("auto_pad", "NOTSET");
        AutoPad autoPad = Arrays.stream(AutoPad.values()).filter(a -> a.name().equals(auto)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(node + ": unknown auto_pad '" + auto + "'"));
        long ceil = n.intAttr("ceil_mode", 0);
        if (ceil != 0 && ceil != 1) throw new IllegalArgumentException(node + ": ceil_mode must be 0 or 1, got " + ceil);
        return new ConvAttributes(n.has("kernel_shape") ? kernel : new int[0], strides, pads, dilations, (int) group, autoPad, ceil == 1);
    }

    /** An ints attribute of exactly {@code length} values, each ≥ {@code min}; absent: all {@code dflt}. */
    private static int[] ints(OnnxNode n, String attribute, int length, int dflt, int min, String node) {
        long[] v = n.intsAttr(attribute);
        int[] out = new int[length];
        if (v == null) {
            Arrays.fill(out, dflt);
            return out;
        }
        if (v.length != length) throw new IllegalArgumentException(node + ": " + attribute + " has " + v.length + " values, " + length + " expected");
        for (int i = 0; i < length; i++) {
            if (v[i] < min || v[i] > Integer.MAX_VALUE) throw new IllegalArgumentException(node + ": " + attribute + " " + Arrays.toString(v) + " out of range (each ≥ " + min + ")");
            out[i] = (int) v[i];
        }
        return out;
    }

    public int spatialRank() {
        return strides.length;
    }

    @Override
    public int[] kernelShape() {
        return kernelShape.clone();
    }

    @Override
    public int[] strides() {
        return strides.clone();
    }

    @Override
    public int[] pads() {
        return pads.clone();
    }

    @Override
    public int[] dilations() {
        return dilations.clone();
    }

    /**
     * The pads {@code [begin…, end…]} for a kernel over an input of the given spatial size: the
     * explicit ones, none for VALID, and for SAME the total ONNX needs for ⌈in/stride⌉ outputs, the
     * odd one at the end (SAME_UPPER) or the beginning (SAME_LOWER).
     */
    public int[] pads(int[] kernel, int[] input) {
        int r = spatialRank();
        if (kernel.length != r || input.length != r) throw new IllegalArgumentException("kernel and input need " + r + " spatial sizes, got " + kernel.length + " and " + input.length);
        return switch (autoPad) {
            case NOTSET -> pads.clone();
            case VALID -> new int[2 * r];
            case SAME_UPPER, SAME_LOWER -> {
                int[] p = new int[2 * r];
                for (int a = 0; a < r; a++) {
                    long out = ((long) input[a] + strides[a] - 1) / strides[a];
                    long total = Math.max(0, (out - 1) * strides[a] + (long) (kernel[a] - 1) * dilations[a] + 1 - input[a]);
                    if (total > Integer.MAX_VALUE) throw new IllegalArgumentException("SAME padding of " + total + " does not fit an int");
                    int small = (int) (total / 2), big = (int) total - small;
                    p[a] = autoPad == AutoPad.SAME_UPPER ? small : big;
                    p[a + r] = (int) total - p[a];
                }
                yield p;
            }
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConvAttributes c && Arrays.equals(kernelShape, c.kernelShape) && Arrays.equals(strides, c.strides)
                && Arrays.equals(pads, c.pads) && Arrays.equals(dilations, c.dilations) && group == c.group && autoPad == c.autoPad && ceilMode == c.ceilMode;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {Arrays.hashCode(kernelShape), Arrays.hashCode(strides), Arrays.hashCode(pads), Arrays.hashCode(dilations), group,
                autoPad.ordinal(), ceilMode ? 1 : 0});
    }

    @Override
    public String toString() {
        return "ConvAttributes[kernelShape=" + Arrays.toString(kernelShape) + ", strides=" + Arrays.toString(strides) + ", pads=" + Arrays.toString(pads)
                + ", dilations=" + Arrays.toString(dilations) + ", group=" + group + ", autoPad=" + autoPad + ", ceilMode=" + ceilMode + "]";
    }
}
