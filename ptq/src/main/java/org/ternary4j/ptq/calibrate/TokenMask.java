package org.ternary4j.ptq.calibrate;

import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;

/**
 * Which token positions of the calibration examples are real text, from a transformer's
 * {@value #INPUT} input ([examples, tokens], 0 = padding). Rows of padded tokens are computed by
 * the model but never used (attention and pooling mask them), so their activations say nothing
 * about the error that matters; in a batch padded to its longest text they can be half of all rows.
 * Calibration leaves them out of every layer's statistics whose rows are (example, token) pairs.
 */
record TokenMask(int examples, int tokens, boolean[] real) {
    static final String INPUT = "attention_mask";

    TokenMask {
        if (real.length != (long) examples * tokens) throw new IllegalArgumentException("mask of " + real.length + " for " + examples + " × " + tokens);
    }

    /** The mask of the data's {@value #INPUT} array, or null when it has none (or not [examples, tokens]). */
    static TokenMask of(Dataset data) {
        for (Dataset.NamedArray a : data.inputs()) {
            if (!INPUT.equals(a.name())) continue;
            NdArray m = a.array();
            if (m.shape().length != 2) return null;
            boolean[] real = new boolean[m.data().length];
            for (int i = 0; i < real.length; i++) real[i] = m.data()[i] != 0;
            return new TokenMask(m.shape()[0], m.shape()[1], real);
        }
        return null;
    }

    /**
     * Whether a dense layer's input or output of this shape has one row per (example, token), in a
     * part whose token values have {@code partTokens} positions per example (0: all of the mask's).
     */
    boolean applies(long[] shape, int partTokens) {
        return shape.length == 3 && shape[1] == (partTokens == 0 ? tokens : partTokens);
    }

    /** Whether position {@code position} of example {@code example} (its index in the calibration set) is a real token. */
    boolean keeps(int example, long position) {
        return real[example * tokens + (int) position];
    }

    /** One past the example's last real token (0 when it has none). */
    int length(int example) {
        for (int t = tokens; t > 0; t--) if (real[example * tokens + t - 1]) return t;
        return 0;
    }

    /** How many rows are real tokens. */
    long realCount() {
        long n = 0;
        for (boolean r : real) if (r) n++;
        return n;
    }
}
