package org.ternary4j.qat.finetune;

/**
 * A teacher's per-token values ([tokens, width] per example) kept for the positions up to each
 * example's last real token only, as IEEE half floats: the teacher's hidden states of thousands
 * of texts would otherwise take gigabytes, most of it padding. Half precision (11 significant
 * bits) is far finer than the gap a ternary student closes.
 */
final class TokenValues {
    private final short[] halves;
    /** Per example, its first row; one entry more than examples. */
    private final long[] start;
    private final int width;

    /** Room for {@code lengths[i]} rows of {@code width} values for each example i. */
    TokenValues(int[] lengths, int width) {
        this.width = width;
        start = new long[lengths.length + 1];
        for (int i = 0; i < lengths.length; i++) start[i + 1] = start[i] + lengths[i];
        halves = new short[Math.toIntExact(Math.multiplyExact(start[lengths.length], width))];
    }

    int width() {
        return width;
    }

    /** Stores example {@code example}'s rows from {@code src} at {@code offset} (a [tokens, width] block with at least its rows). */
    void put(int example, float[] src, int offset) {
        int rows = (int) (start[example + 1] - start[example]);
        int at = (int) (start[example] * width);
        for (int i = 0; i < rows * width; i++) halves[at + i] = Float.floatToFloat16(src[offset + i]);
    }

    /** The examples {@code idx} as [idx.length, tokens, width], zero past each example's stored rows. */
    float[] get(int[] idx, int tokens) {
        float[] out = new float[idx.length * tokens * width];
        for (int i = 0; i < idx.length; i++) {
            int rows = (int) Math.min(tokens, start[idx[i] + 1] - start[idx[i]]);
            int at = (int) (start[idx[i]] * width), to = i * tokens * width;
            for (int k = 0; k < rows * width; k++) out[to + k] = Float.float16ToFloat(halves[at + k]);
        }
        return out;
    }
}
