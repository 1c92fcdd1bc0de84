package org.ternary4j.formats.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Groups a stored ONNX weight's values by output channel with index arithmetic written from the
 * ONNX operator definitions, independently of {@link WeightLayout}.
 */
final class Channels {
    private Channels() {}

    /** Conv [out, in/g, k…], Gemm transB=1 [out, in]. */
    static Map<Integer, Set<Float>> outFirst(float[] w, int[] shape) {
        int per = w.length / shape[0];
        Map<Integer, Set<Float>> m = new HashMap<>();
        for (int i = 0; i < w.length; i++) m.computeIfAbsent(i / per, k -> new TreeSet<>()).add(w[i]);
        return m;
    }

    /** MatMul B and Gemm transB=0: [in, out], output channel = column. */
    static Map<Integer, Set<Float>> inOut(float[] w, int[] shape) {
        Map<Integer, Set<Float>> m = new HashMap<>();
        for (int i = 0; i < w.length; i++) m.computeIfAbsent(i % shape[1], k -> new TreeSet<>()).add(w[i]);
        return m;
    }

    /** ConvTranspose [in, out/g, k…]: output channel = group·(out/g) + o. */
    static Map<Integer, Set<Float>> convTranspose(float[] w, int[] shape, int groups) {
        int k = w.length / (shape[0] * shape[1]);
        int inPer = shape[0] / groups;
        Map<Integer, Set<Float>> m = new HashMap<>();
        for (int i = 0; i < w.length; i++) {
            int ci = i / (shape[1] * k), o = (i / k) % shape[1];
            m.computeIfAbsent((ci / inPer) * shape[1] + o, x -> new TreeSet<>()).add(w[i]);
        }
        return m;
    }

    static void assertTernaryPerChannel(Map<Integer, Set<Float>> channels, int expectedChannels) {
        assertTrue(channels.size() == expectedChannels, "channels: " + channels.size());
        for (var e : channels.entrySet()) {
            Set<Float> nonzero = new TreeSet<>(e.getValue());
            nonzero.remove(0f);
            nonzero.remove(-0f);
            assertTrue(e.getValue().size() <= 3 && nonzero.size() <= 2, "channel " + e.getKey() + " holds " + e.getValue());
        }
    }

    /** Every group of a canonical-layout array holds at most one positive, one negative value and zero. */
    static void assertTernaryPerGroup(float[] canonical, org.ternary4j.core.grouping.GroupLayout layout) {
        Map<Integer, Set<Float>> m = new HashMap<>();
        for (int g = 0; g < layout.groupCount(); g++) {
            for (int j = 0; j < layout.size(g); j++) m.computeIfAbsent(g, k -> new TreeSet<>()).add(canonical[layout.position(g, j)]);
        }
        for (var e : m.entrySet()) {
            assertTrue(e.getValue().size() <= 3, "group " + e.getKey() + " holds " + e.getValue());
            assertTwoLevels(e.getValue());
        }
    }

    /** Sign pattern of a ternary channel: at most one positive and one negative value. */
    static void assertTwoLevels(Set<Float> values) {
        long pos = values.stream().filter(v -> v > 0).count(), neg = values.stream().filter(v -> v < 0).count();
        assertTrue(pos <= 1 && neg <= 1, "values " + values);
    }
}
