package org.ternary4j.qat.finetune;

import java.util.Arrays;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.grouping.Grouping;

/**
 * Reads a dequantized weight back as codes and scales: each group may hold at most one positive
 * value, one negative value and zero. What proves a fine-tuned weight ternary, and what its
 * storage cost is counted from.
 */
final class TernaryGroups {
    private TernaryGroups() {}

    /** The ternary tensor {@code values} (canonical layout) stands for; fails naming the group that is not ternary. */
    static TernaryTensor of(String name, int[] shape, float[] values, Grouping grouping, String method) {
        GroupLayout layout = grouping.layout(shape);
        byte[] codes = new byte[values.length];
        float[] pos = new float[layout.groupCount()], neg = new float[layout.groupCount()];
        boolean symmetric = true;
        for (int g = 0; g < layout.groupCount(); g++) {
            float p = Float.NaN, n = Float.NaN;
            for (int j = 0; j < layout.size(g); j++) {
                int at = layout.position(g, j);
                float v = values[at];
                if (v > 0) {
                    if (!Float.isNaN(p) && p != v) throw notTernary(name, g, p, v);
                    p = v;
                    codes[at] = 1;
                } else if (v < 0) {
                    if (!Float.isNaN(n) && n != -v) throw notTernary(name, g, -n, v);
                    n = -v;
                    codes[at] = -1;
                } else if (v != 0) {
                    throw new IllegalStateException(name + ": group " + g + " holds " + v);
                }
            }
            pos[g] = Float.isNaN(p) ? (Float.isNaN(n) ? 0 : n) : p;
            neg[g] = Float.isNaN(n) ? pos[g] : n;
            if (pos[g] != neg[g]) symmetric = false;
        }
        return new TernaryTensor(shape, grouping, method, codes, pos, symmetric ? null : neg);
    }

    private static IllegalStateException notTernary(String name, int group, float a, float b) {
        return new IllegalStateException(name + ": group " + group + " is not ternary (holds both " + a + " and " + b + ")");
    }

    static int[] ints(long[] shape) {
        return Arrays.stream(shape).mapToInt(Math::toIntExact).toArray();
    }
}
