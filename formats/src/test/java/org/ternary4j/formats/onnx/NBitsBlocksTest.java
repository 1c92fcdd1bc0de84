package org.ternary4j.formats.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

class NBitsBlocksTest {

    private static TernaryTensor random(int n, int k, Grouping g, boolean twoScales, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] codes = new byte[n * k];
        for (int i = 0; i < codes.length; i++) codes[i] = (byte) (r.nextInt(3) - 1);
        int groups = g.layout(new int[] {n, k}).groupCount();
        float[] pos = new float[groups], neg = twoScales ? new float[groups] : null;
        for (int i = 0; i < groups; i++) {
            pos[i] = 0.01f + (float) r.nextDouble();
            if (neg != null) neg[i] = 0.01f + (float) r.nextDouble();
        }
        return new TernaryTensor(new int[] {n, k}, g, "test", codes, pos, neg);
    }

    /** Bit-exact: what ONNX Runtime computes from the blocks, (q − zero point)·scale, is the dequantized tensor. */
    private static NBitsBlocks exact(TernaryTensor t) {
        NBitsBlocks b = NBitsBlocks.of(t, 4);
        assertArrayEquals(t.dequantize(), b.dequantize());
        assertEquals(b.n() * b.blocks() * b.blockSize() / 4, b.codes().length);
        assertEquals(b.n() * b.blocks(), b.scales().length);
        return b;
    }

    @Test
    void rowGroupingPicksTheSmallestExactBlocks() {
        // K = 20: one padded block of 32 (8 B codes + 4 B scale) beats two of 16 (8 B + 8 B).
        assertEquals(32, exact(random(3, 20, new Grouping.Row(), false, 1)).blockSize());
        // K = 384: three blocks of 128 (96 B + 12 B) beat one padded block of 512 (128 B + 4 B).
        assertEquals(128, exact(random(2, 384, new Grouping.Row(), false, 2)).blockSize());
        assertEquals(256, exact(random(2, 256, new Grouping.WholeTensor(), false, 3)).blockSize());
        // K = 1568 = 49·32: ONNX Runtime's table-lookup kernel takes K and blocks that are multiples
        // of 32 and aborts on a padded last block, so blocks of 32, though thirteen padded blocks of
        // 128 would be smaller; K = 784 (not a multiple of 32) keeps its padded blocks of 128.
        assertEquals(32, exact(random(2, 1568, new Grouping.Row(), false, 8)).blockSize());
        assertEquals(128, exact(random(2, 784, new Grouping.Row(), false, 9)).blockSize());
    }

    @Test
    void blockGroupingsMapWhereTheyAlign() {
        assertEquals(64, exact(random(4, 256, new Grouping.Block(64), false, 4)).blockSize());
        // 48 = 3·16: blocks of 16 each lie inside one group of 48.
        assertEquals(16, exact(random(4, 96, new Grouping.Block(48), false, 5)).blockSize());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NBitsBlocks.of(random(4, 40, new Grouping.Block(10), false, 6), 4));
        assertTrue(e.getMessage().contains("block:10"), e.getMessage());
    }

    @Test
    void separatePositiveAndNegativeScalesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NBitsBlocks.of(random(2, 64, new Grouping.Row(), true, 7), 4));
        assertTrue(e.getMessage().contains("negative scales"), e.getMessage());
    }

    @Test
    void codesAreLowBitsFirstAlongKWithZeroPointOne() {
        byte[] codes = {-1, 0, 1, 1, 0, 0, 0, -1};
        TernaryTensor t = new TernaryTensor(new int[] {1, 8}, new Grouping.Row(), "test", codes, new float[] {0.5f}, null);
        NBitsBlocks b = NBitsBlocks.of(t, 4);
        assertEquals(16, b.blockSize());
        // q = t + 1: elements 0..3 → 0, 1, 2, 2 → 0b10_10_01_00; 4..7 → 1, 1, 1, 0 → 0b00_01_01_01; padding q = 1.
        assertArrayEquals(new byte[] {(byte) 0b10100100, (byte) 0b00010101, 0x55, 0x55}, b.codes());
        assertArrayEquals(new float[] {0.5f}, b.scales());
        assertArrayEquals(new byte[] {0x55}, b.zeroPoints());
    }
}
