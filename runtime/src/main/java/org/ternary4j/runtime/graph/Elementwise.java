package org.ternary4j.runtime.graph;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongBinaryOperator;

/** Unary and numpy-broadcasting binary element-wise operators. */
final class Elementwise {
    private Elementwise() {}

    interface FloatBinary {
        float apply(float a, float b);
    }

    static Tensor.F32 unary(Tensor x, DoubleUnaryOperator f) {
        float[] in = x.floats(), out = new float[in.length];
        for (int i = 0; i < in.length; i++) out[i] = (float) f.applyAsDouble(in[i]);
        return new Tensor.F32(x.shape(), out);
    }

    /** Float result unless both inputs are int64 and an integer operator is given. */
    static Tensor binary(String op, Tensor a, Tensor b, FloatBinary f, LongBinaryOperator l) {
        int[] shape = broadcastShape(op, a.shape(), b.shape());
        int n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        int[] ia = sourceIndex(a.shape(), shape, n), ib = sourceIndex(b.shape(), shape, n);
        if (a instanceof Tensor.I64 x && b instanceof Tensor.I64 y && l != null) {
            long[] out = new long[n];
            for (int i = 0; i < n; i++) out[i] = l.applyAsLong(x.data()[ia[i]], y.data()[ib[i]]);
            return new Tensor.I64(shape, out);
        }
        float[] fa = a.floats(), fb = b.floats(), out = new float[n];
        for (int i = 0; i < n; i++) out[i] = f.apply(fa[ia[i]], fb[ib[i]]);
        return new Tensor.F32(shape, out);
    }

    static int[] broadcastShape(String op, int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
            int db = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** For each element of the broadcast output, the flat index into a tensor of shape {@code in}. */
    static int[] sourceIndex(int[] in, int[] out, int n) {
        int r = out.length, off = r - in.length;
        int[] stride = new int[r];
        int s = 1;
        for (int i = in.length - 1; i >= 0; i--) {
            stride[i + off] = in[i] == 1 ? 0 : s;
            s *= in[i];
        }
        int[] idx = new int[n];
        int[] counter = new int[r];
        int cur = 0;
        for (int i = 0; i < n; i++) {
            idx[i] = cur;
            for (int d = r - 1; d >= 0; d--) {
                if (++counter[d] < out[d]) {
                    cur += stride[d];
                    break;
                }
                cur -= stride[d] * (counter[d] - 1);
                counter[d] = 0;
            }
        }
        return idx;
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
