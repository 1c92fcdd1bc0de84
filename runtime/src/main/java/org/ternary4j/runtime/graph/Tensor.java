package org.ternary4j.runtime.graph;

import java.util.Arrays;
import org.ternary4j.core.grouping.Shapes;

/** A dense row-major tensor flowing through a graph: float32 data, or int64 for shapes and indices. */
public sealed interface Tensor permits Tensor.F32, Tensor.I64 {

    int[] shape();

    default int size() {
        return Shapes.size(shape());
    }

    default int rank() {
        return shape().length;
    }

    /** The values as floats (int64 converted). */
    float[] floats();

    /** The values as longs (floats truncated toward zero). */
    long[] longs();

    record F32(int[] shape, float[] data) implements Tensor {
        public F32 {
            if (data.length != Shapes.size(shape)) throw new IllegalArgumentException("tensor: " + data.length + " values for shape " + Arrays.toString(shape));
        }

        public float[] floats() {
            return data;
        }

        public long[] longs() {
            long[] l = new long[data.length];
            for (int i = 0; i < l.length; i++) l[i] = (long) data[i];
            return l;
        }

        @Override
        public String toString() {
            return "F32" + Arrays.toString(shape);
        }
    }

    record I64(int[] shape, long[] data) implements Tensor {
        public I64 {
            if (data.length != Shapes.size(shape)) throw new IllegalArgumentException("tensor: " + data.length + " values for shape " + Arrays.toString(shape));
        }

        public float[] floats() {
            float[] f = new float[data.length];
            for (int i = 0; i < f.length; i++) f[i] = data[i];
            return f;
        }

        public long[] longs() {
            return data;
        }

        @Override
        public String toString() {
            return "I64" + Arrays.toString(shape);
        }
    }

    static F32 of(int[] shape, float[] data) {
        return new F32(shape, data);
    }

    static I64 ofLongs(int[] shape, long[] data) {
        return new I64(shape, data);
    }

    /** A tensor of the same kind as {@code like} holding {@code src}'s elements at the given source indices. */
    static Tensor gather(Tensor src, int[] shape, int[] from) {
        if (src instanceof F32 f) {
            float[] d = new float[from.length];
            for (int i = 0; i < d.length; i++) d[i] = f.data()[from[i]];
            return new F32(shape, d);
        }
        long[] s = ((I64) src).data(), d = new long[from.length];
        for (int i = 0; i < d.length; i++) d[i] = s[from[i]];
        return new I64(shape, d);
    }

    static Tensor reshaped(Tensor t, int[] shape) {
        return t instanceof F32 f ? new F32(shape, f.data()) : new I64(shape, ((I64) t).data());
    }
}
