package org.ternary4j.runtime.graph;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.ternary4j.formats.onnx.OnnxNode;

/**
 * Finds the transformer patterns exporters write out node by node and replaces each with one
 * step: LayerNorm (ReduceMean, Sub, Pow 2, ReduceMean, Add ε, Sqrt, Div, Mul γ, Add β over the
 * last axis, with the residual Add before it when that only feeds it), GELU via Erf (Div √2, Erf,
 * Add 1, Mul x, Mul ½) and attention's Div √d, Add mask, Softmax over the scores, with the
 * head Transposes and both MatMuls around it when they are there ({@link FusedAttention}). Every
 * intermediate value must have no reader outside the pattern and not be a graph output. The
 * fused steps perform the same float operations per element as the nodes they replace, in the
 * same order, so fusing changes no bit; they save the passes over memory and the intermediate tensors (on MiniLM at 128
 * tokens the element-wise nodes took as much CPU as the ternary layers).
 */
final class TransformerFusion {
    /** A fused step: it runs at node {@code anchor}'s place, reads {@code inputs} and writes {@code output}. */
    record Pattern(int anchor, List<String> inputs, String output, CompiledOps.Op op) {}

    private final List<OnnxNode> nodes;
    private final Map<String, Tensor> constants;
    private final Map<String, Integer> uses;
    private final Map<String, List<Integer>> consumers;
    private final int opset;
    private final boolean[] absorbed;
    private final Map<Integer, Pattern> anchors = new HashMap<>();

    TransformerFusion(List<OnnxNode> nodes, Map<String, Tensor> constants, Map<String, Integer> uses, Map<String, List<Integer>> consumers, int opset) {
        this.nodes = nodes;
        this.opset = opset;
        this.constants = constants;
        this.uses = uses;
        this.consumers = consumers;
        this.absorbed = new boolean[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            OnnxNode n = nodes.get(i);
            if (!n.standard()) continue;
            if (n.opType().equals("ReduceMean")) layerNorm(i);
            else if (n.opType().equals("Erf")) gelu(i);
            else if (n.opType().equals("Softmax")) attentionSoftmax(i);
        }
    }

    /** Whether node i is part of a pattern and runs inside its fused step (the anchor included). */
    boolean absorbed(int i) {
        return absorbed[i];
    }

    /** The pattern that runs at node i, or null. */
    Pattern at(int i) {
        return anchors.get(i);
    }

    private void layerNorm(int i) {
        OnnxNode mean = nodes.get(i);
        String x = mean.inputs().getFirst();
        if (!lastAxisKeepDims(mean)) return;
        int sub = sole(mean.outputs().getFirst(), "Sub");
        if (sub < 0 || !nodes.get(sub).inputs().equals(List.of(x, mean.outputs().getFirst()))) return;
        String d = out(sub);
        List<Integer> readers = consumers.get(d);
        if (uses.getOrDefault(d, 0) != 2 || readers == null || readers.size() != 2) return;
        int pow = -1, div = -1;
        for (int r : readers) {
            OnnxNode n = nodes.get(r);
            if (n.opType().equals("Pow") && n.inputs().size() == 2 && n.inputs().getFirst().equals(d) && Float.valueOf(2f).equals(scalar(n.inputs().get(1)))) pow = r;
            else if (n.opType().equals("Div") && n.inputs().size() == 2 && n.inputs().getFirst().equals(d)) div = r;
        }
        if (pow < 0 || div < 0) return;
        int var = sole(out(pow), "ReduceMean");
        if (var < 0 || !lastAxisKeepDims(nodes.get(var))) return;
        int add = sole(out(var), "Add");
        if (add < 0) return;
        Float eps = otherScalar(nodes.get(add), out(var));
        if (eps == null) return;
        int sqrt = sole(out(add), "Sqrt");
        if (sqrt < 0 || sole(out(sqrt), "Div") != div || !nodes.get(div).inputs().get(1).equals(out(sqrt))) return;
        int mul = sole(out(div), "Mul");
        float[] gamma = mul < 0 ? null : otherVector(nodes.get(mul), out(div));
        if (gamma == null) return;
        int shift = sole(out(mul), "Add");
        float[] beta = shift < 0 ? null : otherVector(nodes.get(shift), out(mul));
        if (beta == null || beta.length != gamma.length) return;
        int[] members = {i, sub, pow, var, add, sqrt, div, mul, shift};
        for (int m : members) if (absorbed[m]) return;
        for (int m : members) absorbed[m] = true;
        FusedOps.LayerNorm norm = new FusedOps.LayerNorm(eps, gamma, beta);
        int residual = residualAdd(x, i, sub);
        if (residual >= 0) {
            absorbed[residual] = true;
            OnnxNode r = nodes.get(residual);
            anchors.put(shift, new Pattern(shift, r.inputs(), out(shift), new FusedOps.ResidualLayerNorm(r, opset, norm)));
            return;
        }
        anchors.put(shift, new Pattern(shift, List.of(x), out(shift), norm));
    }

    /**
     * The Add that writes a LayerNorm's input x, if x has no readers but the pattern's ReduceMean
     * and Sub and the Add sums two computed values (a residual; an Add with a constant is a bias,
     * which the layer fusions take), or −1.
     */
    private int residualAdd(String x, int mean, int sub) {
        int add = producer(x, "Add");
        List<Integer> readers = consumers.get(x);
        if (add < 0 || absorbed[add] || uses.getOrDefault(x, 0) != 2 || readers == null || !new java.util.HashSet<>(readers).equals(java.util.Set.of(mean, sub))) return -1;
        List<String> in = nodes.get(add).inputs();
        return in.size() == 2 && !in.get(0).isEmpty() && !in.get(1).isEmpty() && !constants.containsKey(in.get(0)) && !constants.containsKey(in.get(1)) ? add : -1;
    }

    private void gelu(int i) {
        OnnxNode erf = nodes.get(i);
        int div = producer(erf.inputs().getFirst(), "Div");
        if (div < 0 || sole(out(div), "Erf") != i) return;
        OnnxNode d = nodes.get(div);
        String x = d.inputs().getFirst();
        Float root = d.inputs().size() == 2 ? scalar(d.inputs().get(1)) : null;
        if (root == null) return;
        int add = sole(out(i), "Add");
        if (add < 0) return;
        Float one = otherScalar(nodes.get(add), out(i));
        if (!Float.valueOf(1f).equals(one)) return;
        int mul = sole(out(add), "Mul");
        if (mul < 0 || !(nodes.get(mul).inputs().equals(List.of(x, out(add))) || nodes.get(mul).inputs().equals(List.of(out(add), x)))) return;
        int half = sole(out(mul), "Mul");
        if (half < 0) return;
        Float h = otherScalar(nodes.get(half), out(mul));
        if (h == null) return;
        int[] members = {div, i, add, mul, half};
        for (int m : members) if (absorbed[m]) return;
        for (int m : members) absorbed[m] = true;
        anchors.put(half, new Pattern(half, List.of(x), out(half), new FusedOps.Gelu(root, h)));
    }

    /** Softmax(scores / c + mask): the scores' Div by a scalar and the mask Add (either operand order) absorbed. */
    private void attentionSoftmax(int i) {
        OnnxNode softmax = nodes.get(i);
        if (softmax.inputs().size() != 1 || softmax.outputs().size() != 1) return;
        int add = producer(softmax.inputs().getFirst(), "Add");
        if (add < 0 || sole(out(add), "Softmax") != i || nodes.get(add).inputs().size() != 2) return;
        List<String> operands = nodes.get(add).inputs();
        for (int side = 0; side < 2; side++) {
            int div = producer(operands.get(side), "Div");
            if (div < 0 || sole(out(div), "Add") != add || nodes.get(div).inputs().size() != 2) continue;
            OnnxNode d = nodes.get(div);
            Float c = scalar(d.inputs().get(1));
            String mask = operands.get(1 - side);
            if (c == null || mask.isEmpty() || mask.equals(out(div))) return;
            int[] members = {div, add, i};
            for (int m : members) if (absorbed[m]) return;
            FusedOps.Nodes original = new FusedOps.Nodes(d, nodes.get(add), softmax, opset);
            if (attention(members, mask, constants.get(d.inputs().get(1)), side)) return;
            for (int m : members) absorbed[m] = true;
            anchors.put(i, new Pattern(i, List.of(d.inputs().getFirst(), mask), out(i),
                    new FusedOps.AttentionSoftmax(constants.get(d.inputs().get(1)), side, original)));
            return;
        }
    }

    /**
     * The whole attention around a matched scaled, masked Softmax ({@code scores}: its Div, Add
     * and Softmax): MatMul(Transpose(Q, 0213), Transpose(K, 0231)) before the Div, and
     * Transpose(MatMul(softmax, Transpose(V, 0213)), 0213) after the Softmax, every intermediate
     * read only inside the pattern. Registers {@link FusedAttention} at the last Transpose and
     * returns true, or returns false and changes nothing.
     */
    private boolean attention(int[] scores, String mask, Tensor divisor, int divSide) {
        int div = scores[0], softmax = scores[2];
        int qk = producer(nodes.get(div).inputs().getFirst(), "MatMul");
        if (qk < 0 || sole(out(qk), "Div") != div || nodes.get(qk).inputs().size() != 2) return false;
        int tq = transposeInto(nodes.get(qk).inputs().get(0), qk, 0, 2, 1, 3), tk = transposeInto(nodes.get(qk).inputs().get(1), qk, 0, 2, 3, 1);
        int pv = sole(out(softmax), "MatMul");
        if (tq < 0 || tk < 0 || pv < 0 || nodes.get(pv).inputs().size() != 2 || !nodes.get(pv).inputs().getFirst().equals(out(softmax))) return false;
        int tv = transposeInto(nodes.get(pv).inputs().get(1), pv, 0, 2, 1, 3), to = sole(out(pv), "Transpose");
        if (tv < 0 || to < 0 || !Arrays.equals(nodes.get(to).intsAttr("perm"), new long[] {0, 2, 1, 3})) return false;
        int[] members = {tq, tk, qk, div, scores[1], softmax, tv, pv, to};
        for (int m : members) if (absorbed[m]) return false;
        for (int m : members) absorbed[m] = true;
        FusedOps.Nodes s = new FusedOps.Nodes(nodes.get(div), nodes.get(scores[1]), nodes.get(softmax), opset);
        var op = new FusedAttention(divisor, divSide, new FusedAttention.Nodes(nodes.get(tq), nodes.get(tk), nodes.get(tv), s, nodes.get(to)));
        List<String> in = List.of(nodes.get(tq).inputs().getFirst(), nodes.get(tk).inputs().getFirst(), nodes.get(tv).inputs().getFirst(), mask);
        anchors.put(to, new Pattern(to, in, out(to), op));
        return true;
    }

    /** The Transpose with this perm whose output v is read only by node {@code reader}, or −1. */
    private int transposeInto(String v, int reader, long... perm) {
        int t = producer(v, "Transpose");
        if (t < 0 || nodes.get(t).inputs().size() != 1 || !Arrays.equals(nodes.get(t).intsAttr("perm"), perm)) return -1;
        List<Integer> readers = consumers.get(v);
        return uses.getOrDefault(v, 0) == 1 && readers != null && readers.equals(List.of(reader)) ? t : -1;
    }

    private String out(int node) {
        return nodes.get(node).outputs().getFirst();
    }

    /** ReduceMean over axis −1 only, keeping it (axes from the attribute or a constant input). */
    private boolean lastAxisKeepDims(OnnxNode n) {
        if (n.intAttr("keepdims", 1) == 0 || n.outputs().size() != 1) return false;
        long[] axes = n.intsAttr("axes");
        if (axes == null && n.inputs().size() > 1 && constants.get(n.inputs().get(1)) instanceof Tensor t) axes = t.longs();
        return axes != null && axes.length == 1 && axes[0] == -1;
    }

    /** The node of type op that is the only reader of v (which is not a graph output), or −1. */
    private int sole(String v, String op) {
        List<Integer> readers = consumers.get(v);
        if (uses.getOrDefault(v, 0) != 1 || readers == null || readers.size() != 1) return -1;
        OnnxNode n = nodes.get(readers.getFirst());
        return n.standard() && n.opType().equals(op) && n.outputs().size() == 1 && !n.outputs().getFirst().isEmpty() ? readers.getFirst() : -1;
    }

    /** The node of type op that writes v, if v's only reader is one node, or −1. */
    private int producer(String v, String op) {
        for (int j = 0; j < nodes.size(); j++) {
            OnnxNode n = nodes.get(j);
            if (n.outputs().size() == 1 && n.outputs().getFirst().equals(v)) return n.standard() && n.opType().equals(op) ? j : -1;
        }
        return -1;
    }

    /** A constant holding one float value (any shape of one element), or null. */
    private Float scalar(String name) {
        return constants.get(name) instanceof Tensor.F32 t && t.size() == 1 ? t.data()[0] : null;
    }

    /** The scalar constant a binary node combines with v (either operand order), or null. */
    private Float otherScalar(OnnxNode n, String v) {
        if (n.inputs().size() != 2) return null;
        if (n.inputs().get(0).equals(v)) return scalar(n.inputs().get(1));
        if (n.inputs().get(1).equals(v)) return scalar(n.inputs().get(0));
        return null;
    }

    /** The rank-1 float constant a binary node combines with v (either operand order), or null. */
    private float[] otherVector(OnnxNode n, String v) {
        if (n.inputs().size() != 2) return null;
        String other = n.inputs().get(0).equals(v) ? n.inputs().get(1) : n.inputs().get(1).equals(v) ? n.inputs().get(0) : null;
        return other != null && constants.get(other) instanceof Tensor.F32 t && t.rank() == 1 ? t.data() : null;
    }
}
