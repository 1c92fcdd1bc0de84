package org.ternary4j.formats.data;

import java.util.Arrays;

/**
 * A dense array of floats in C order (last index fastest). Data sets hold their inputs this way
 * whatever the file's element type: ONNX Runtime gets the model's own type at feeding time.
 */
public record NdArray(int[] shape, float[] data) {

    public NdArray {
        shape = shape.clone();
        long n = elementCount(shape, "array");
        if (n != data.length) {
            throw new IllegalArgumentException("array of shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
        }
    }

    /** Product of the dimensions; fails when it does not fit a Java array. */
    public static long elementCount(int[] shape, String what) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException(what + ": negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, (long) d);
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(what + ": shape " + Arrays.toString(shape) + " has more elements than an array can hold");
            }
        }
        return n;
    }

    /** Number of examples: the first dimension. */
    public int count() {
        if (shape.length == 0) throw new IllegalArgumentException("a scalar has no examples");
        return shape[0];
    }

    /** Shape of one example: every dimension but the first. */
    public int[] exampleShape() {
        return Arrays.copyOfRange(shape, 1, shape.length);
    }

    public int exampleSize() {
        int n = 1;
        for (int i = 1; i < shape.length; i++) n *= shape[i];
        return n;
    }

    /** Examples [from, to) as a new array. */
    public NdArray slice(int from, int to) {
        int per = exampleSize();
        int[] s = shape.clone();
        s[0] = to - from;
        return new NdArray(s, Arrays.copyOfRange(data, from * per, to * per));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NdArray a && Arrays.equals(shape, a.shape) && Arrays.equals(data, a.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "NdArray" + Arrays.toString(shape);
    }
}
