package org.ternary4j.qat;

import ai.djl.ndarray.types.Shape;
import java.util.stream.IntStream;
import org.ternary4j.core.grouping.Grouping;

/**
 * The groupings whose scales broadcast over the weight, so a learned scale can be one small
 * parameter tensor: the whole tensor, one per output channel, SYQ's per kernel pixel or row.
 */
final class ScaleShape {
    private ScaleShape() {}

    static Shape of(Grouping g, Shape w, String method) {
        long[] s = new long[w.dimension()];
        java.util.Arrays.fill(s, 1);
        switch (g) {
            case Grouping.WholeTensor t -> {}
            case Grouping.Row r -> s[0] = w.get(0);
            case Grouping.SyqPixel p -> { if (w.dimension() == 4) { s[2] = w.get(2); s[3] = w.get(3); } }
            case Grouping.SyqRow r -> { if (w.dimension() == 4) s[2] = w.get(2); }
            default -> throw new IllegalArgumentException("method " + method + " learns broadcast scales: grouping '" + g.spec()
                    + "' is not supported (use tensor, row, syq-pixel or syq-row)");
        }
        return new Shape(s);
    }

    /** The axes a group spans: those where the scale has extent 1. */
    static int[] groupAxes(Shape scale) {
        return IntStream.range(0, scale.dimension()).filter(d -> scale.get(d) == 1).toArray();
    }
}
