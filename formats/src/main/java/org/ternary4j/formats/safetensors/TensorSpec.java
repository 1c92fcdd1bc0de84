package org.ternary4j.formats.safetensors;

import java.util.Arrays;

/** A tensor as a safetensors header declares it, before it has a place in the file. */
public record TensorSpec(String name, DType dtype, long[] shape) {

    public TensorSpec {
        shape = shape.clone();
        for (long d : shape) if (d < 0) throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
    }

    public static TensorSpec of(String name, DType dtype, int... shape) {
        return new TensorSpec(name, dtype, Arrays.stream(shape).asLongStream().toArray());
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Element count; {@link ArithmeticException} when it overflows a long. */
    public long elements() {
        return elements(shape);
    }

    /** The element count of any tensor shape; {@link ArithmeticException} when it overflows a long. */
    public static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    public long byteSize() {
        return dtype.byteSize(elements());
    }

    /** The rank. */
    public int rank() {
        return shape.length;
    }

    /** The shape as core wants it; a clear error when a dimension does not fit an int. */
    public int[] intShape() {
        int[] s = new int[shape.length];
        for (int i = 0; i < s.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor '" + name + "': dimension " + shape[i] + " too large");
            s[i] = (int) shape[i];
        }
        return s;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
