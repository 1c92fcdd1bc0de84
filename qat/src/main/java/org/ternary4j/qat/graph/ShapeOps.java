package org.ternary4j.qat.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Map;

/** Shape computations and data movement: Shape, Cast, Slice, Concat, Reshape, Transpose, (Un)Squeeze, Flatten, reductions. */
final class ShapeOps {
    private ShapeOps() {}

    static void register(Map<String, Op> ops) {
        ops.put("Shape", Op.single(ShapeOps::shape));
        ops.put("Cast", Op.single(c -> c.in(0).toType(type(c, c.intAttr("to", 1)), false)));
        ops.put("Slice", Op.single(ShapeOps::slice));
        ops.put("Concat", Op.single(ShapeOps::concat));
        ops.put("Reshape", Op.single(ShapeOps::reshape));
        ops.put("Transpose", Op.single(ShapeOps::transpose));
        ops.put("Squeeze", Op.single(ShapeOps::squeeze));
        ops.put("Unsqueeze", Op.single(ShapeOps::unsqueeze));
        ops.put("Flatten", Op.single(ShapeOps::flatten));
        ops.put("ReduceMean", Op.single(c -> reduce(c, 'm')));
        ops.put("ReduceSum", Op.single(c -> reduce(c, 's')));
        ops.put("ReduceMax", Op.single(c -> reduce(c, 'x')));
    }

    static DataType type(NodeCall c, long onnxType) {
        return switch ((int) onnxType) {
            case 1 -> DataType.FLOAT32;
            case 2 -> DataType.UINT8;
            case 3 -> DataType.INT8;
            case 6 -> DataType.INT32;
            case 7 -> DataType.INT64;
            case 9 -> DataType.BOOLEAN;
            case 11 -> DataType.FLOAT64;
            default -> throw c.fail("cast to ONNX type " + onnxType + " is not supported");
        };
    }

    private static NDArray shape(NodeCall c) {
        long[] s = c.in(0).getShape().getShape();
        int rank = s.length;
        int start = (int) clampIndex(c.intAttr("start", 0), rank), end = (int) clampIndex(c.intAttr("end", rank), rank);
        return c.manager().create(Arrays.copyOfRange(s, start, Math.max(start, end)));
    }

    private static long clampIndex(long i, long dim) {
        if (i < 0) i += dim;
        return Math.max(0, Math.min(dim, i));
    }

    private static NDArray slice(NodeCall c) {
        NDArray x = c.in(0);
        long[] starts, ends, axes, steps;
        if (c.opset() < 10) {
            starts = c.intsAttr("starts");
            ends = c.intsAttr("ends");
            axes = c.intsAttr("axes");
            steps = null;
        } else {
            starts = c.longs(1);
            ends = c.longs(2);
            axes = c.longs(3);
            steps = c.longs(4);
        }
        if (starts == null || ends == null || starts.length != ends.length) throw c.fail("needs starts and ends of equal length");
        long[] shape = x.getShape().getShape();
        long[] from = new long[shape.length], to = shape.clone(), step = new long[shape.length];
        Arrays.fill(step, 1);
        for (int i = 0; i < starts.length; i++) {
            int a = c.axis(axes == null ? i : axes[i], shape.length);
            long st = steps == null ? 1 : steps[i];
            if (st <= 0) throw c.fail("only positive slice steps are supported");
            from[a] = clampIndex(starts[i], shape[a]);
            to[a] = Math.max(from[a], clampIndex(ends[i], shape[a]));
            step[a] = st;
        }
        NDIndex idx = new NDIndex();
        for (int a = 0; a < shape.length; a++) idx.addSliceDim(from[a], to[a], step[a]);
        return x.get(idx);
    }

    private static NDArray concat(NodeCall c) {
        NDList parts = new NDList();
        DataType t = c.in(0).getDataType();
        for (int i = 0; i < c.inputs().size(); i++) parts.add(c.in(i).toType(t, false));
        int axis = c.axis(c.intAttr("axis", 0), c.in(0).getShape().dimension());
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, axis);
    }

    private static NDArray reshape(NodeCall c) {
        NDArray x = c.in(0);
        long[] target = c.opset() < 5 ? c.intsAttr("shape") : c.longs(1);
        if (target == null) throw c.fail("has no target shape");
        long[] s = target.clone();
        boolean allowZero = c.intAttr("allowzero", 0) != 0;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == 0 && !allowZero) {
                if (i >= x.getShape().dimension()) throw c.fail("shape " + Arrays.toString(target) + " copies a dimension the input lacks");
                s[i] = x.getShape().get(i);
            }
        }
        return x.reshape(new Shape(s));
    }

    private static NDArray transpose(NodeCall c) {
        NDArray x = c.in(0);
        long[] perm = c.intsAttr("perm");
        int rank = x.getShape().dimension();
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) p[i] = perm == null ? rank - 1 - i : c.axis(perm[i], rank);
        return x.transpose(p);
    }

    /** Opset 13 moved axes from an attribute to an input. */
    private static long[] axes(NodeCall c, int input) {
        return c.opset() >= 13 ? c.longs(input) : c.intsAttr("axes");
    }

    private static NDArray squeeze(NodeCall c) {
        NDArray x = c.in(0);
        long[] axes = axes(c, 1);
        if (axes == null) return x.squeeze();
        int rank = x.getShape().dimension();
        return x.squeeze(Arrays.stream(axes).mapToInt(a -> c.axis(a, rank)).toArray());
    }

    private static NDArray unsqueeze(NodeCall c) {
        NDArray x = c.in(0);
        long[] axes = axes(c, 1);
        if (axes == null) throw c.fail("has no axes");
        int rank = x.getShape().dimension() + axes.length;
        int[] sorted = Arrays.stream(axes).mapToInt(a -> c.axis(a, rank)).sorted().toArray();
        for (int a : sorted) x = x.expandDims(a);
        return x;
    }

    private static NDArray flatten(NodeCall c) {
        NDArray x = c.in(0);
        Shape s = x.getShape();
        int axis = (int) clampIndex(c.intAttr("axis", 1), s.dimension());
        if (c.intAttr("axis", 1) < 0) axis = c.axis(c.intAttr("axis", 1), s.dimension());
        return x.reshape(s.slice(0, axis).size(), s.slice(axis).size());
    }

    /** ReduceSum takes its axes as an input from opset 13, the other reductions from opset 18. */
    private static NDArray reduce(NodeCall c, char kind) {
        NDArray x = c.in(0);
        int rank = x.getShape().dimension();
        boolean fromInput = kind == 's' ? c.opset() >= 13 : c.opset() >= 18;
        long[] axes = fromInput ? c.longs(1) : c.intsAttr("axes");
        boolean keep = c.intAttr("keepdims", 1) != 0;
        int[] a;
        if (axes == null || axes.length == 0) {
            if (fromInput && c.intAttr("noop_with_empty_axes", 0) != 0) return x;
            a = java.util.stream.IntStream.range(0, rank).toArray();
        } else {
            a = Arrays.stream(axes).mapToInt(v -> c.axis(v, rank)).toArray();
        }
        return switch (kind) {
            case 'm' -> mean(x, a, keep);
            case 's' -> x.sum(a, keep);
            default -> max(x, a, keep);
        };
    }

    /** The engine reduces a maximum over one axis at a time (from the last, so the others keep their index). */
    static NDArray max(NDArray x, int[] axes, boolean keep) {
        int[] sorted = Arrays.stream(axes).sorted().toArray();
        for (int k = sorted.length - 1; k >= 0; k--) x = x.max(new int[] {sorted[k]}, keep);
        return x;
    }

    /** As {@link #max}: a mean of equal-sized means is the mean. */
    static NDArray mean(NDArray x, int[] axes, boolean keep) {
        int[] sorted = Arrays.stream(axes).sorted().toArray();
        for (int k = sorted.length - 1; k >= 0; k--) x = x.mean(new int[] {sorted[k]}, keep);
        return x;
    }
}
