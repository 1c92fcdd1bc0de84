package org.ternary4j.runtime.graph;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.ternary4j.formats.onnx.OnnxNode;

/**
 * Finds the BatchNormalization (or a scalar Mul and Add), Relu or HardSwish (as Add, Clip, Div, Mul nodes, and a scalar Mul and Add
 * after it) and (after a Conv) 2×2 MaxPool that can be
 * folded into a layer's epilogue: each must be
 * the only reader of the value before it (which must not be a graph output), and the
 * normalization must be in inference mode with constant parameters, one per output channel.
 */
final class Fusion {
    /** The layer's op with its epilogue, and the name of the value it now produces. */
    record Fused(CompiledOps.Op op, String output) {}

    private final List<OnnxNode> nodes;
    private final Map<String, Tensor> constants;
    private final Map<String, Integer> uses;
    private final Map<String, List<Integer>> consumers;
    private final boolean[] fused;
    /** The default domain's opset: Clip takes its bounds as inputs from 11 on. */
    private final int opset;

    Fusion(List<OnnxNode> nodes, Map<String, Tensor> constants, Map<String, Integer> uses, Map<String, List<Integer>> consumers, int opset) {
        this.nodes = nodes;
        this.constants = constants;
        this.uses = uses;
        this.consumers = consumers;
        this.fused = new boolean[nodes.size()];
        this.opset = opset;
    }

    boolean fused(int node) {
        return fused[node];
    }

    /** Node i's op with {@code base} extended by what follows it (a 2×2 MaxPool too when {@code conv}); marks the absorbed nodes. */
    Fused fuse(int i, Epilogue base, int channels, boolean conv, Function<Epilogue, CompiledOps.Op> make) {
        OnnxNode n = nodes.get(i);
        if (n.outputs().size() != 1 || n.outputs().getFirst().isEmpty()) return new Fused(make.apply(base), n.outputs().isEmpty() ? "" : n.outputs().getFirst());
        String out = n.outputs().getFirst();
        Epilogue e = base;
        int bn = soleReader(out, "BatchNormalization");
        float[][] sb = bn < 0 ? null : batchNorm(nodes.get(bn), channels);
        if (sb != null) {
            e = e.withBatchNorm(sb[0], sb[1]);
            fused[bn] = true;
            out = nodes.get(bn).outputs().getFirst();
        } else {
            Affine a = affine(out);
            if (a != null) {
                float[] scale = new float[channels], shift = new float[channels];
                java.util.Arrays.fill(scale, a.scale());
                java.util.Arrays.fill(shift, a.shift());
                e = e.withBatchNorm(scale, shift);
                for (int j : a.nodes()) fused[j] = true;
                out = a.output();
            }
        }
        int relu = soleReader(out, "Relu");
        if (relu >= 0 && nodes.get(relu).outputs().size() == 1) {
            e = e.withRelu();
            fused[relu] = true;
            out = nodes.get(relu).outputs().getFirst();
        }
        if (!e.relu()) {
            Swish sw = hardSwish(out);
            if (sw != null) {
                for (int j : sw.nodes()) fused[j] = true;
                Affine after = affine(sw.output());
                if (after == null) return new Fused(make.apply(e.withHardSwish(sw.f())), sw.output());
                for (int j : after.nodes()) fused[j] = true;
                return new Fused(make.apply(e.withHardSwish(sw.f().then(after.scale(), after.shift()))), after.output());
            }
        }
        int pool = conv ? soleReader(out, "MaxPool") : -1;
        if (pool >= 0 && twoByTwo(nodes.get(pool))) {
            e = e.withPool();
            fused[pool] = true;
            out = nodes.get(pool).outputs().getFirst();
        }
        return new Fused(make.apply(e), out);
    }

    /** A bias a MatMul's only reader adds, and the value the sum is. */
    record Bias(float[] values, String output) {}

    /**
     * The rank-1 float constant of {@code size} values that an Add, the only reader of node i's
     * output, adds to it (in either operand order: exporters write Add(bias, y)), or null; the Add
     * is marked fused. y + b and b + y are the same float sum.
     */
    Bias bias(int i, int size) {
        OnnxNode n = nodes.get(i);
        if (n.outputs().size() != 1 || n.outputs().getFirst().isEmpty()) return null;
        String v = n.outputs().getFirst();
        List<Integer> readers = consumers.get(v);
        if (uses.getOrDefault(v, 0) != 1 || readers == null || readers.size() != 1) return null;
        int j = readers.getFirst();
        OnnxNode add = nodes.get(j);
        if (!add.standard() || !add.opType().equals("Add") || add.inputs().size() != 2 || add.outputs().size() != 1 || add.outputs().getFirst().isEmpty()) return null;
        String other = add.inputs().get(0).equals(v) ? add.inputs().get(1) : add.inputs().get(0);
        if (other.equals(v) || !(constants.get(other) instanceof Tensor.F32 b) || b.rank() != 1 || b.size() != size) return null;
        fused[j] = true;
        return new Bias(b.data(), add.outputs().getFirst());
    }

    /** A Mul by a scalar s then an Add of a scalar t, the two nodes, and the value the Add produces. */
    private record Affine(float scale, float shift, int[] nodes, String output) {}

    /**
     * y·s + t written as a Mul and an Add of scalar float constants, in either operand order
     * (PP-OCRv4's learnable affine blocks around its HardSwish), each the only reader of the
     * value before it; or null. The epilogue computes the same two roundings. A Mul alone is not
     * taken: the epilogue would add a zero shift, which turns −0 into +0.
     */
    private Affine affine(String v) {
        int mul = onlyReader(v);
        Float s = mul < 0 ? null : scalarOperand(mul, "Mul", v, false);
        int add = s == null ? -1 : onlyReader(output(mul));
        Float t = add < 0 ? null : scalarOperand(add, "Add", output(mul), false);
        return t == null ? null : new Affine(s, t, new int[] {mul, add}, output(add));
    }

    /** A HardSwish written as nodes: its arithmetic, the nodes, and the value it produces. */
    private record Swish(Epilogue.HardSwish f, int[] nodes, String output) {}

    /**
     * HardSwish of v as exporters write it, v·(Clip(v + a, lo, hi) / d) or (v·Clip(v + a, lo, hi)) / d
     * (Add, Clip, Div and Mul in either order of Div and Mul, scalar constants), where v is read by
     * exactly the Add and the Mul and each intermediate value only by the next node; or null.
     */
    private Swish hardSwish(String v) {
        List<Integer> readers = consumers.get(v);
        if (uses.getOrDefault(v, 0) != 2 || readers == null || readers.size() != 2) return null;
        for (int k = 0; k < 2; k++) {
            int add = readers.get(k), mul = readers.get(1 - k);
            Float a = scalarOperand(add, "Add", v, false);
            if (a == null) continue;
            int clip = onlyReader(output(add));
            float[] bounds = clip < 0 || !isOp(clip, "Clip") || !nodes.get(clip).inputs().getFirst().equals(output(add)) ? null : clipBounds(nodes.get(clip));
            if (bounds == null) continue;
            float lo = bounds[0], hi = bounds[1];
            int next = onlyReader(output(clip));
            if (next < 0) continue;
            Float d = scalarOperand(next, "Div", output(clip), true);
            if (d != null && onlyReader(output(next)) == mul && multiplies(mul, v, output(next))) {
                return new Swish(new Epilogue.HardSwish(a, lo, hi, d, false, null), new int[] {add, clip, next, mul}, output(mul));
            }
            if (next == mul && multiplies(mul, v, output(clip))) {
                int div = onlyReader(output(mul));
                Float d2 = div < 0 ? null : scalarOperand(div, "Div", output(mul), true);
                if (d2 != null) return new Swish(new Epilogue.HardSwish(a, lo, hi, d2, true, null), new int[] {add, clip, mul, div}, output(div));
            }
        }
        return null;
    }

    /** Clip's constant (lo, hi) as {@link MoreOps#clip} reads them for this opset (an absent bound does not clip), or null. */
    private float[] clipBounds(OnnxNode n) {
        float[] b = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        if (opset < 11) {
            if (n.inputs().size() != 1) return null;
            return new float[] {n.floatAttr("min", b[0]), n.floatAttr("max", b[1])};
        }
        if (n.inputs().size() > 3) return null;
        for (int j = 1; j < n.inputs().size(); j++) {
            if (n.inputs().get(j).isEmpty()) continue;
            Float v = scalar(n.inputs().get(j));
            if (v == null) return null;
            b[j - 1] = v;
        }
        return b;
    }

    /** Node j is a standard op with one non-empty output. */
    private boolean isOp(int j, String op) {
        OnnxNode n = nodes.get(j);
        return n.standard() && n.opType().equals(op) && n.outputs().size() == 1 && !n.outputs().getFirst().isEmpty();
    }

    private String output(int j) {
        return nodes.get(j).outputs().getFirst();
    }

    /** Node j is op(x, c) with c a scalar float constant (or op(c, x) unless {@code xFirst}): c, else null. */
    private Float scalarOperand(int j, String op, String x, boolean xFirst) {
        if (!isOp(j, op) || nodes.get(j).inputs().size() != 2) return null;
        List<String> in = nodes.get(j).inputs();
        if (in.get(0).equals(x) && !in.get(1).equals(x)) return scalar(in.get(1));
        return !xFirst && in.get(1).equals(x) && !in.get(0).equals(x) ? scalar(in.get(0)) : null;
    }

    /** Node j is Mul of x and y in either order. */
    private boolean multiplies(int j, String x, String y) {
        if (!isOp(j, "Mul") || nodes.get(j).inputs().size() != 2) return false;
        List<String> in = nodes.get(j).inputs();
        return in.get(0).equals(x) && in.get(1).equals(y) || in.get(0).equals(y) && in.get(1).equals(x);
    }

    /** A float constant of one value and rank at most 1 (broadcasting it changes no shape), or null. */
    private Float scalar(String name) {
        return constants.get(name) instanceof Tensor.F32 t && t.size() == 1 && t.rank() <= 1 ? t.data()[0] : null;
    }

    /** The node that is the only use of value v, or −1. */
    private int onlyReader(String v) {
        List<Integer> readers = consumers.get(v);
        return uses.getOrDefault(v, 0) != 1 || readers == null || readers.size() != 1 ? -1 : readers.getFirst();
    }

    /** A MaxPool whose window is {@link NeuralOps.Window#plainTwoByTwo} whatever the input size, and with no indices output. */
    private static boolean twoByTwo(OnnxNode n) {
        if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()) return false;
        WindowSpec w = WindowSpec.pool(n);
        return !w.attributes().autoPad().same() && w.fixed().plainTwoByTwo();
    }

    /** The node of type op that is the only use of value v as its first input, or −1. */
    private int soleReader(String v, String op) {
        List<Integer> readers = consumers.get(v);
        if (uses.getOrDefault(v, 0) != 1 || readers == null) return -1; // read twice, or a graph output
        int j = readers.getFirst();
        OnnxNode n = nodes.get(j);
        return n.standard() && n.opType().equals(op) && n.inputs().getFirst().equals(v) && !n.outputs().isEmpty() && !n.outputs().getFirst().isEmpty() ? j : -1;
    }

    /** The normalization's per-channel (scale, shift), or null if it cannot be fused. */
    private float[][] batchNorm(OnnxNode n, int channels) {
        if (n.inputs().size() != 5 || n.intAttr("training_mode", 0) != 0) return null;
        for (int j = 1; j < n.outputs().size(); j++) if (!n.outputs().get(j).isEmpty()) return null;
        float[][] p = new float[4][];
        for (int j = 0; j < 4; j++) {
            if (!(constants.get(n.inputs().get(j + 1)) instanceof Tensor.F32 t) || t.size() != channels) return null;
            p[j] = t.data();
        }
        return Epilogue.batchNorm(p[0], p[1], p[2], p[3], n.floatAttr("epsilon", 1e-5f));
    }
}
