package org.ternary4j.qat.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.onnx.ElementType;
import org.ternary4j.formats.onnx.ValueInfo;

/** Batches of examples: consecutive without a token mask; with one, of similar length, still every example once. */
class InputsTest {
    private static Inputs inputs(int n, int tokens, boolean mask, Random r) {
        float[] ids = new float[n * tokens], m = new float[n * tokens];
        for (int i = 0; i < n; i++) {
            int len = 1 + r.nextInt(tokens);
            for (int j = 0; j < len; j++) {
                ids[i * tokens + j] = 1 + r.nextInt(100);
                m[i * tokens + j] = 1;
            }
        }
        List<Dataset.NamedArray> arrays = new ArrayList<>(List.of(new Dataset.NamedArray("input_ids", new NdArray(new int[] {n, tokens}, ids))));
        List<ValueInfo> infos = new ArrayList<>(List.of(info("input_ids")));
        if (mask) {
            arrays.add(new Dataset.NamedArray("attention_mask", new NdArray(new int[] {n, tokens}, m)));
            infos.add(info("attention_mask"));
        }
        return new Inputs(new Dataset("t.npz", arrays, null), infos, "model.onnx");
    }

    private static ValueInfo info(String name) {
        return new ValueInfo(name, java.util.Optional.of(ElementType.INT64), List.of("n", "t"), true);
    }

    @Test
    void withoutATokenMaskBatchesAreConsecutiveSlices() {
        Inputs in = inputs(10, 5, false, new Random(1));
        int[] order = {3, 1, 4, 0, 5, 9, 2, 6, 8, 7};
        List<int[]> b = in.batches(order, 4, new Random(2));
        assertEquals(3, b.size());
        assertArrayEquals(new int[] {3, 1, 4, 0}, b.get(0));
        assertArrayEquals(new int[] {8, 7}, b.get(2));
        assertEquals(0, in.length(order));
    }

    @Test
    void withATokenMaskBatchesHoldSimilarLengthsAndEveryExampleOnce() {
        Random r = new Random(3);
        int n = 1000, tokens = 64, size = 8;
        Inputs in = inputs(n, tokens, true, r);
        int[] order = org.ternary4j.qat.Training.permutation(n, r);
        List<int[]> b = in.batches(order, size, new Random(4));
        int[] seen = b.stream().flatMapToInt(Arrays::stream).sorted().toArray();
        assertArrayEquals(java.util.stream.IntStream.range(0, n).toArray(), seen);
        // Fed positions: sorted windows of 16 batches need far fewer than the longest of random batches.
        long bucketed = 0, random = 0;
        for (int[] idx : b) bucketed += (long) idx.length * in.length(idx);
        for (int s = 0; s < n; s += size) {
            int[] idx = Arrays.copyOfRange(order, s, Math.min(n, s + size));
            random += (long) idx.length * in.length(idx);
        }
        assertTrue(bucketed < 0.7 * random, bucketed + " vs " + random);
        int[] lengths = in.lengths();
        for (int[] idx : b) for (int i : idx) assertTrue(lengths[i] <= in.length(idx));
    }
}
