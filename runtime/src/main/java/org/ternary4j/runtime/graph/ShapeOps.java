package org.ternary4j.runtime.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ternary4j.runtime.kernel.Buffers;

/** Operators that only move data: Flatten, Reshape, Transpose, Concat, Gather, Shape, (Un)Squeeze, Slice. */
final class ShapeOps {
    private ShapeOps() {}

    static int axis(long axis, int rank, String op) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.max(rank, 1)) throw new IllegalArgumentException(op + ": axis " + axis + " out of range for rank " + rank);
        return (int) a;
    }

    static Tensor flatten(Tensor x, long axisAttr) {
        int r = x.rank();
        int axis = (int) (axisAttr < 0 ? axisAttr + r : axisAttr);
        if (axis < 0 || axis > r) throw new IllegalArgumentException("Flatten: axis " + axisAttr + " out of range for rank " + r);
        int outer = 1, inner = 1;
        for (int i = 0; i < r; i++) {
            if (i < axis) outer *= x.shape()[i];
            else inner *= x.shape()[i];
        }
        return Tensor.reshaped(x, new int[] {outer, inner});
    }

    static Tensor reshape(Tensor x, long[] spec, boolean allowZero) {
        int[] shape = new int[spec.length];
        int infer = -1, known = 1;
        for (int i = 0; i < spec.length; i++) {
            long s = spec[i];
            if (s == -1) {
                if (infer >= 0) throw new IllegalArgumentException("Reshape: more than one -1 in " + Arrays.toString(spec));
                infer = i;
                continue;
            }
            if (s == 0 && !allowZero) {
                if (i >= x.rank()) throw new IllegalArgumentException("Reshape: 0 at position " + i + " but input has rank " + x.rank());
                s = x.shape()[i];
            }
            if (s < 0) throw new IllegalArgumentException("Reshape: invalid dimension " + s);
            shape[i] = Math.toIntExact(s);
            known *= shape[i];
        }
        if (infer >= 0) {
            if (known == 0 || x.size() % known != 0) throw new IllegalArgumentException("Reshape: cannot infer -1 for " + x.size() + " elements into " + Arrays.toString(spec));
            shape[infer] = x.size() / known;
        }
        if (Arrays.stream(shape).reduce(1, Math::multiplyExact) != x.size()) {
            throw new IllegalArgumentException("Reshape: " + x.size() + " elements do not fit shape " + Arrays.toString(shape));
        }
        return Tensor.reshaped(x, shape);
    }

    static Tensor transpose(Tensor x, int[] perm) {
        int r = x.rank();
        if (perm == null) {
            perm = new int[r];
            for (int i = 0; i < r; i++) perm[i] = r - 1 - i;
        }
        if (perm.length != r) throw new IllegalArgumentException("Transpose: perm " + Arrays.toString(perm) + " for rank " + r);
        int[] in = x.shape(), out = new int[r], inStride = strides(in);
        for (int i = 0; i < r; i++) out[i] = in[perm[i]];
        if (r > 1 && x instanceof Tensor.F32 f) return transposeRows(f, perm, out, inStride);
        int n = x.size();
        int[] from = new int[n], counter = new int[r];
        int cur = 0;
        for (int i = 0; i < n; i++) {
            from[i] = cur;
            for (int d = r - 1; d >= 0; d--) {
                if (++counter[d] < out[d]) {
                    cur += inStride[perm[d]];
                    break;
                }
                cur -= inStride[perm[d]] * (counter[d] - 1);
                counter[d] = 0;
            }
        }
        return Tensor.gather(x, out, from);
    }

    /**
     * A float transpose one output row at a time: each row read from the input with one stride (a
     * plain copy when the last axis stays, as in attention's [b, s, h, d] to [b, h, s, d]), the outer
     * positions walked by an odometer; no per-element index table.
     */
    private static Tensor transposeRows(Tensor.F32 x, int[] perm, int[] out, int[] inStride) {
        int r = out.length, run = out[r - 1], step = inStride[perm[r - 1]], n = x.size();
        float[] a = x.data(), y = new float[n];
        if (run == 0 || n == 0) return new Tensor.F32(out, y);
        int[] counter = new int[r - 1];
        int cur = 0;
        for (int o = 0; o < n; o += run) {
            if (step == 1) System.arraycopy(a, cur, y, o, run);
            else for (int j = 0, from = cur; j < run; j++, from += step) y[o + j] = a[from];
            for (int d = r - 2; d >= 0; d--) {
                if (++counter[d] < out[d]) {
                    cur += inStride[perm[d]];
                    break;
                }
                cur -= inStride[perm[d]] * (counter[d] - 1);
                counter[d] = 0;
            }
        }
        return new Tensor.F32(out, y);
    }

    static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    static Tensor concat(List<Tensor> xs, long axisAttr) {
        Tensor first = xs.get(0);
        int r = first.rank(), axis = axis(axisAttr, r, "Concat");
        int[] shape = first.shape().clone();
        int total = 0;
        boolean allLong = true;
        for (Tensor t : xs) {
            if (t.rank() != r) throw new IllegalArgumentException("Concat: inputs of ranks " + r + " and " + t.rank());
            for (int d = 0; d < r; d++) {
                if (d != axis && t.shape()[d] != shape[d]) throw new IllegalArgumentException("Concat: shapes " + Arrays.toString(first.shape()) + " and " + Arrays.toString(t.shape()) + " differ off axis " + axis);
            }
            total += t.shape()[axis];
            allLong &= t instanceof Tensor.I64;
        }
        shape[axis] = total;
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis + 1; d < r; d++) inner *= shape[d];
        int n = outer * total * inner;
        float[] f = allLong ? null : Buffers.floats(n);
        long[] l = allLong ? new long[n] : null;
        int offset = 0;
        for (Tensor t : xs) {
            int len = t.shape()[axis] * inner;
            float[] tf = allLong ? null : t.floats();
            long[] tl = allLong ? t.longs() : null;
            for (int o = 0; o < outer; o++) {
                if (allLong) System.arraycopy(tl, o * len, l, o * total * inner + offset, len);
                else System.arraycopy(tf, o * len, f, o * total * inner + offset, len);
            }
            offset += len;
        }
        return allLong ? new Tensor.I64(shape, l) : new Tensor.F32(shape, f);
    }

    static Tensor gather(Tensor data, Tensor indices, long axisAttr) {
        int r = data.rank(), axis = axis(axisAttr, r, "Gather"), dim = data.shape()[axis];
        long[] idx = indices.longs();
        List<Integer> shape = new ArrayList<>();
        for (int d = 0; d < axis; d++) shape.add(data.shape()[d]);
        for (int d : indices.shape()) shape.add(d);
        for (int d = axis + 1; d < r; d++) shape.add(data.shape()[d]);
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= data.shape()[d];
        for (int d = axis + 1; d < r; d++) inner *= data.shape()[d];
        int[] out = shape.stream().mapToInt(Integer::intValue).toArray();
        // each index selects a run of `inner` values: copy runs (an embedding lookup is 384-float rows), no per-element table
        int n = Math.multiplyExact(Math.multiplyExact(outer, idx.length), inner);
        Object src = data instanceof Tensor.F32 f ? f.data() : ((Tensor.I64) data).data(), dst = data instanceof Tensor.F32 ? Buffers.floats(n) : new long[n];
        int k = 0;
        for (int o = 0; o < outer; o++) {
            for (long i : idx) {
                long j = i < 0 ? i + dim : i;
                if (j < 0 || j >= dim) throw new IllegalArgumentException("Gather: index " + i + " out of range for axis of size " + dim);
                System.arraycopy(src, (int) ((o * (long) dim + j) * inner), dst, k, inner);
                k += inner;
            }
        }
        return dst instanceof float[] d ? new Tensor.F32(out, d) : new Tensor.I64(out, (long[]) dst);
    }

    static Tensor shape(Tensor x, long start, long end) {
        int r = x.rank();
        int s = (int) Math.max(0, Math.min(r, start < 0 ? start + r : start));
        int e = (int) Math.max(0, Math.min(r, end < 0 ? end + r : end));
        long[] d = new long[Math.max(0, e - s)];
        for (int i = 0; i < d.length; i++) d[i] = x.shape()[s + i];
        return new Tensor.I64(new int[] {d.length}, d);
    }

    static Tensor unsqueeze(Tensor x, long[] axes) {
        int r = x.rank() + axes.length;
        boolean[] inserted = new boolean[r];
        for (long a : axes) {
            int ax = axis(a, r, "Unsqueeze");
            if (inserted[ax]) throw new IllegalArgumentException("Unsqueeze: axis " + a + " repeated");
            inserted[ax] = true;
        }
        int[] shape = new int[r];
        for (int i = 0, j = 0; i < r; i++) shape[i] = inserted[i] ? 1 : x.shape()[j++];
        return Tensor.reshaped(x, shape);
    }

    static Tensor squeeze(Tensor x, long[] axes) {
        int r = x.rank();
        boolean[] drop = new boolean[r];
        if (axes == null || axes.length == 0) {
            for (int i = 0; i < r; i++) drop[i] = x.shape()[i] == 1;
        } else {
            for (long a : axes) {
                int ax = axis(a, r, "Squeeze");
                if (x.shape()[ax] != 1) throw new IllegalArgumentException("Squeeze: axis " + a + " has size " + x.shape()[ax] + ", not 1");
                drop[ax] = true;
            }
        }
        return Tensor.reshaped(x, java.util.stream.IntStream.range(0, r).filter(i -> !drop[i]).map(i -> x.shape()[i]).toArray());
    }

    static Tensor slice(Tensor x, long[] starts, long[] ends, long[] axes, long[] steps) {
        int r = x.rank();
        int[] start = new int[r], step = new int[r], count = x.shape().clone();
        Arrays.fill(step, 1);
        if (starts.length != ends.length) throw new IllegalArgumentException("Slice: " + starts.length + " starts but " + ends.length + " ends");
        for (int i = 0; i < starts.length; i++) {
            int ax = axis(axes == null ? i : axes[i], r, "Slice"), dim = x.shape()[ax];
            long st = steps == null ? 1 : steps[i];
            if (st == 0) throw new IllegalArgumentException("Slice: step 0");
            long s = starts[i] < 0 ? starts[i] + dim : starts[i], e = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (st > 0) {
                s = Math.max(0, Math.min(dim, s));
                e = Math.max(0, Math.min(dim, e));
                count[ax] = (int) Math.max(0, (e - s + st - 1) / st);
            } else {
                s = Math.max(-1, Math.min(dim - 1, s));
                e = Math.max(-1, Math.min(dim - 1, e));
                count[ax] = (int) Math.max(0, (s - e + (-st) - 1) / (-st));
            }
            start[ax] = (int) s;
            step[ax] = (int) st;
        }
        int[] inStride = strides(x.shape());
        int n = Arrays.stream(count).reduce(1, Math::multiplyExact);
        int[] from = new int[n], counter = new int[r];
        for (int i = 0; i < n; i++) {
            int src = 0;
            for (int d = 0; d < r; d++) src += (start[d] + counter[d] * step[d]) * inStride[d];
            from[i] = src;
            for (int d = r - 1; d >= 0; d--) {
                if (++counter[d] < count[d]) break;
                counter[d] = 0;
            }
        }
        return Tensor.gather(x, count, from);
    }
}
