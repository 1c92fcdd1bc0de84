package org.ternary4j.runtime.graph;

import java.util.Arrays;
import org.ternary4j.formats.onnx.ElementType;
import org.ternary4j.formats.onnx.OnnxNode;

/**
 * Operators of exported real models beyond the CNN set: Cast, Clip, HardSigmoid, HardSwish, and
 * the mask arithmetic of transformer exports (Where, Equal, Less, Greater, Not, Expand,
 * ConstantOfShape, Neg, Exp). BOOL values are held as int64 0/1, like every integer type.
 */
final class MoreOps {
    private MoreOps() {}

    /** Cast: float types to float32 (FLOAT16/BFLOAT16 rounded through that type), integers truncated toward zero, BOOL to 0/1. */
    static Tensor cast(Tensor x, long to) {
        ElementType t = ElementType.of((int) to).orElseThrow(() -> new IllegalArgumentException("Cast: target type " + ElementType.describe((int) to) + " not supported"));
        if (t.isFloat()) {
            float[] f = x.floats().clone();
            if (t == ElementType.FLOAT16) for (int i = 0; i < f.length; i++) f[i] = Float.float16ToFloat(Float.floatToFloat16(f[i]));
            if (t == ElementType.BFLOAT16) for (int i = 0; i < f.length; i++) f[i] = bfloat16(f[i]);
            return new Tensor.F32(x.shape(), f);
        }
        long[] l = x instanceof Tensor.F32 f ? longsOf(f.data(), t == ElementType.BOOL) : ((Tensor.I64) x).data().clone();
        if (t == ElementType.BOOL) for (int i = 0; i < l.length; i++) l[i] = l[i] != 0 ? 1 : 0;
        else for (int i = 0; i < l.length; i++) l[i] = wrap(l[i], t);
        return new Tensor.I64(x.shape(), l);
    }

    private static long[] longsOf(float[] f, boolean bool) {
        long[] l = new long[f.length];
        for (int i = 0; i < f.length; i++) l[i] = bool ? (f[i] != 0f ? 1 : 0) : (long) f[i];
        return l;
    }

    /** Two's-complement narrowing, as a C cast to the integer type does. */
    private static long wrap(long v, ElementType t) {
        return switch (t) {
            case INT8 -> (byte) v;
            case UINT8 -> v & 0xff;
            case INT16 -> (short) v;
            case UINT16 -> v & 0xffff;
            case INT32 -> (int) v;
            case UINT32 -> v & 0xffffffffL;
            default -> v;
        };
    }

    private static float bfloat16(float f) {
        int b = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return f;
        b += 0x7fff + ((b >>> 16) & 1); // round to nearest even on the kept 16 bits
        return Float.intBitsToFloat(b & 0xffff0000);
    }

    /** Clip: bounds from attributes before opset 11, from optional inputs since; absent bounds do not clip. */
    static Tensor clip(OnnxNode n, Tensor[] in, int opset) {
        float lo, hi;
        if (opset < 11) {
            lo = n.floatAttr("min", Float.NEGATIVE_INFINITY);
            hi = n.floatAttr("max", Float.POSITIVE_INFINITY);
        } else {
            lo = bound(in, 1, Float.NEGATIVE_INFINITY);
            hi = bound(in, 2, Float.POSITIVE_INFINITY);
        }
        if (in[0] instanceof Tensor.I64 x) {
            long[] d = x.data(), o = new long[d.length];
            long l = lo == Float.NEGATIVE_INFINITY ? Long.MIN_VALUE : (long) lo, h = hi == Float.POSITIVE_INFINITY ? Long.MAX_VALUE : (long) hi;
            for (int i = 0; i < d.length; i++) o[i] = Math.min(h, Math.max(l, d[i]));
            return new Tensor.I64(x.shape(), o);
        }
        return new Tensor.F32(in[0].shape(), VectorOps.clip(in[0].floats(), lo, hi));
    }

    /** min(hi, max(lo, v)) with NaN kept, as ONNX Runtime's Clip. */
    static float clip(float v, float lo, float hi) {
        return v < lo ? lo : v > hi ? hi : v;
    }

    private static float bound(Tensor[] in, int i, float absent) {
        if (in.length <= i || in[i] == null) return absent;
        if (in[i].size() != 1) throw new IllegalArgumentException("Clip: bound " + i + " must be a scalar, has shape " + Arrays.toString(in[i].shape()));
        return in[i].floats()[0];
    }

    /** max(0, min(1, αx + β)), computed in float like ONNX Runtime. */
    static float hardSigmoid(float x, float alpha, float beta) {
        return Math.max(0f, Math.min(1f, alpha * x + beta));
    }

    static float hardSwish(float x) {
        return x * hardSigmoid(x, 1f / 6, 0.5f);
    }

    static Tensor where(Tensor c, Tensor x, Tensor y) {
        int[] shape = Elementwise.broadcastShape("Where", Elementwise.broadcastShape("Where", c.shape(), x.shape()), y.shape());
        int n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        int[] ic = Elementwise.sourceIndex(c.shape(), shape, n), ix = Elementwise.sourceIndex(x.shape(), shape, n), iy = Elementwise.sourceIndex(y.shape(), shape, n);
        long[] cond = c.longs();
        if (x instanceof Tensor.I64 a && y instanceof Tensor.I64 b) {
            long[] o = new long[n];
            for (int i = 0; i < n; i++) o[i] = cond[ic[i]] != 0 ? a.data()[ix[i]] : b.data()[iy[i]];
            return new Tensor.I64(shape, o);
        }
        float[] a = x.floats(), b = y.floats(), o = new float[n];
        for (int i = 0; i < n; i++) o[i] = cond[ic[i]] != 0 ? a[ix[i]] : b[iy[i]];
        return new Tensor.F32(shape, o);
    }

    /** Equal, Less, Greater: 0/1 results; int64 operands compared as integers. */
    static Tensor compare(String op, Tensor a, Tensor b) {
        int[] shape = Elementwise.broadcastShape(op, a.shape(), b.shape());
        int n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        int[] ia = Elementwise.sourceIndex(a.shape(), shape, n), ib = Elementwise.sourceIndex(b.shape(), shape, n);
        long[] o = new long[n];
        if (a instanceof Tensor.I64 x && b instanceof Tensor.I64 y) {
            for (int i = 0; i < n; i++) o[i] = test(op, Long.compare(x.data()[ia[i]], y.data()[ib[i]]), false);
        } else {
            float[] x = a.floats(), y = b.floats();
            for (int i = 0; i < n; i++) {
                float p = x[ia[i]], q = y[ib[i]];
                o[i] = test(op, p < q ? -1 : p > q ? 1 : 0, p != p || q != q);
            }
        }
        return new Tensor.I64(shape, o);
    }

    private static long test(String op, int cmp, boolean nan) {
        if (nan) return 0;
        return switch (op) {
            case "Equal" -> cmp == 0 ? 1 : 0;
            case "Less" -> cmp < 0 ? 1 : 0;
            default -> cmp > 0 ? 1 : 0;
        };
    }

    /** A unary operator that keeps int64 tensors int64. */
    static Tensor map(Tensor x, java.util.function.DoubleUnaryOperator f, java.util.function.LongUnaryOperator l) {
        if (!(x instanceof Tensor.I64 i)) return Elementwise.unary(x, f);
        long[] d = i.data(), o = new long[d.length];
        for (int k = 0; k < d.length; k++) o[k] = l.applyAsLong(d[k]);
        return new Tensor.I64(x.shape(), o);
    }

    static Tensor not(Tensor x) {
        long[] d = x.longs(), o = new long[d.length];
        for (int i = 0; i < d.length; i++) o[i] = d[i] == 0 ? 1 : 0;
        return new Tensor.I64(x.shape(), o);
    }

    static Tensor expand(Tensor x, long[] spec) {
        int[] target = new int[spec.length];
        for (int i = 0; i < spec.length; i++) target[i] = Math.toIntExact(spec[i]);
        int[] shape = Elementwise.broadcastShape("Expand", x.shape(), target);
        int n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        return Tensor.gather(x, shape, Elementwise.sourceIndex(x.shape(), shape, n));
    }

    /** ConstantOfShape: {@code value} (one element; float 0 when null) repeated over the shape the input names. */
    static Tensor constantOfShape(Tensor value, Tensor shapeTensor) {
        long[] s = shapeTensor.longs();
        int[] shape = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            if (s[i] < 0) throw new IllegalArgumentException("ConstantOfShape: negative dimension " + s[i]);
            shape[i] = Math.toIntExact(s[i]);
        }
        int size = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (value instanceof Tensor.I64 v) {
            long[] o = new long[size];
            Arrays.fill(o, v.data()[0]);
            return new Tensor.I64(shape, o);
        }
        float[] o = new float[size];
        if (value != null) Arrays.fill(o, value.floats()[0]);
        return new Tensor.F32(shape, o);
    }
}
