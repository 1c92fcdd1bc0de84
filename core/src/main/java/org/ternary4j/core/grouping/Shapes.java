package org.ternary4j.core.grouping;

import java.util.Arrays;

/** Shape arithmetic the groupings share. */
public final class Shapes {
    private Shapes() {}

    /** Element count; a clear error when it does not fit a Java array or a dimension is negative. */
    public static int size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= d;
            if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more elements than one array can hold");
        }
        return (int) n;
    }

    static int spatial(int[] shape) {
        int s = 1;
        for (int i = 2; i < shape.length; i++) s *= shape[i];
        return s;
    }

    static void requireRank(Grouping g, int[] shape, int min) {
        if (shape.length < min) {
            throw new IllegalArgumentException("grouping '" + g.spec() + "' needs a tensor of rank ≥ " + min + ", got shape " + Arrays.toString(shape));
        }
    }

    /**
     * Groups over all (cout, cin) pairs that share a slice of the kernel: the spatial positions are
     * split into {@code groups} runs of {@code run} consecutive positions.
     */
    static GroupLayout bySpatialPosition(int[] shape, int groups, int run) {
        int pairs = shape[0] * shape[1], hw = spatial(shape);
        int[] starts = new int[groups + 1];
        int[] index = new int[pairs * hw];
        int k = 0;
        for (int g = 0; g < groups; g++) {
            starts[g] = k;
            for (int pair = 0; pair < pairs; pair++) {
                for (int j = 0; j < run; j++) index[k++] = pair * hw + g * run + j;
            }
        }
        starts[groups] = k;
        return new GroupLayout(starts, index);
    }
}
