package org.ternary4j.qat;

import java.util.Arrays;

/** A float tensor pulled out of the training engine: row-major data and its shape. */
public record FloatTensor(int[] shape, float[] data) {
    public FloatTensor {
        long n = 1;
        for (int d : shape) n *= d;
        if (n != data.length) throw new IllegalArgumentException("tensor has " + data.length + " values for shape " + Arrays.toString(shape));
    }

    public static FloatTensor of(ai.djl.ndarray.NDArray a) {
        return new FloatTensor(Arrays.stream(a.getShape().getShape()).mapToInt(Math::toIntExact).toArray(), a.toFloatArray());
    }
}
