package org.ternary4j.runtime.kernel;

import java.util.Random;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

/** Random weights and activations for the kernel and graph tests, and the thread pools they share. */
public final class RandomTensors {
    private RandomTensors() {}

    /** Pools shared by the kernel tests; their workers are daemon threads, left for the JVM to end. */
    static final Parallel TWO = Parallel.of(2);
    static final Parallel THREE = Parallel.of(3);

    /** Uniform codes in {−1, 0, +1}; scales in [0.05, 0.35), the −1 scales (two-scale groups) after all +1 scales. */
    public static TernaryTensor ternary(Random rnd, int[] shape, Grouping grouping, boolean twoScale) {
        int n = 1;
        for (int d : shape) n *= d;
        byte[] codes = new byte[n];
        for (int i = 0; i < n; i++) codes[i] = (byte) (rnd.nextInt(3) - 1);
        int groups = grouping.layout(shape).groupCount();
        float[] pos = scales(rnd, groups), neg = twoScale ? scales(rnd, groups) : null;
        return new TernaryTensor(shape, grouping, "test", codes, pos, neg);
    }

    private static float[] scales(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 0.05f + rnd.nextFloat() * 0.3f;
        return v;
    }

    /** Standard normal values. */
    public static float[] gaussian(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }
}
