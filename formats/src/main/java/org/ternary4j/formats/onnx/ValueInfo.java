package org.ternary4j.formats.onnx;

import java.util.List;
import java.util.Optional;

/**
 * A graph input or output as declared: its element type (empty when not a tensor of a fixed-size
 * type) and its dimensions, each a number or a symbolic name (−1 in {@link #shape()}).
 *
 * @param dims one entry per dimension: the number as a string, the symbol, or "?" when unnamed
 */
public record ValueInfo(String name, Optional<ElementType> type, List<String> dims, boolean hasShape) {
    public ValueInfo {
        dims = List.copyOf(dims);
    }

    /** Fixed dimensions as numbers, −1 for symbolic or unknown ones. */
    public long[] shape() {
        long[] s = new long[dims.size()];
        for (int i = 0; i < s.length; i++) s[i] = dims.get(i).chars().allMatch(Character::isDigit) && !dims.get(i).isEmpty() ? Long.parseLong(dims.get(i)) : -1;
        return s;
    }
}
