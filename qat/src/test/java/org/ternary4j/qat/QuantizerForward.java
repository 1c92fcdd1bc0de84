package org.ternary4j.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/** The forward value of a quantizer on given weights and parameters, read back as floats. */
final class QuantizerForward {
    private QuantizerForward() {}

    static float[] of(WeightQuantizer q, float[] w, Shape shape, float[]... params) {
        try (NDManager m = NDManager.newBaseManager()) {
            List<NDArray> ps = new ArrayList<>();
            for (float[] p : params) ps.add(q instanceof TgaQuantizer ? m.create(p[0]) : m.create(p, ScaleShape.of(q.grouping(), shape, "test")));
            return q.effective(m.create(w, shape), ps).toFloatArray();
        }
    }

    /** The values as codes, for scales of 1. */
    static byte[] codes(float[] v) {
        byte[] c = new byte[v.length];
        for (int i = 0; i < v.length; i++) c[i] = (byte) v[i];
        return c;
    }
}
