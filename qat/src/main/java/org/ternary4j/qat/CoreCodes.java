package org.ternary4j.qat;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projection;

/**
 * Core's projections applied to an engine tensor, so that training computes exactly the codes
 * post-training would (same thresholds, same tie rules, same arithmetic). Results carry no
 * gradient; the quantizers add their straight-through paths around them.
 */
final class CoreCodes {
    private CoreCodes() {}

    static TernaryTensor project(Projection projection, Grouping grouping, NDArray w) {
        int[] shape = Arrays.stream(w.getShape().getShape()).mapToInt(Math::toIntExact).toArray();
        return new Ternarizer(projection, grouping).apply(shape, w.toFloatArray());
    }

    /** Codes in {−1, 0, +1} as a float tensor shaped and placed like {@code like}. */
    static NDArray asTensor(byte[] codes, NDArray like) {
        float[] t = new float[codes.length];
        for (int i = 0; i < t.length; i++) t[i] = codes[i];
        // The quantizers multiply the codes by learned scales: backward reads them after this scope.
        return EngineArrays.owned(like.getManager().create(t, like.getShape()));
    }
}
