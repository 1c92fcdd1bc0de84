package org.ternary4j.runtime.graph;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.runtime.kernel.Buffers;
import org.ternary4j.runtime.kernel.PanelGemm;
import org.ternary4j.runtime.kernel.Parallel;
import org.ternary4j.runtime.kernel.Scratch;

/**
 * Scaled dot-product attention as exporters write it, one step instead of nine nodes: Q, K and V
 * in the projections' [b, s, h, d] layout, Transpose Q and V to [b, h, s, d] and K to
 * [b, h, d, s], MatMul, Div by a constant, Add a mask, Softmax, MatMul by V, Transpose back to
 * [b, s, h, d]. Each head reads its Q rows and K and V columns where the projections wrote them
 * and writes its output columns in place, so none of the four transposed copies nor the
 * [b, h, s, s] scores and probabilities are made; heads are shared among the threads, each with
 * per-thread scratch ({@link Scratch}) for one head's scores and panels. Every score and output is the FMA chain over its inputs in
 * order that the unfused {@link NeuralOps#matMul} computes, and the softmax row is
 * {@link FusedOps.ScaledMask}'s, so the bits are those of the nodes it replaces.
 *
 * @param divisor the Div's constant (one element)
 * @param divSide which operand of the Add the Div is
 * @param nodes   the replaced nodes, run one by one for inputs outside the fast case
 */
record FusedAttention(Tensor divisor, int divSide, Nodes nodes) implements CompiledOps.Op {

    /** The Transposes of the pattern and its Div, Add and Softmax ({@code scores}); the two MatMuls need no attributes. */
    record Nodes(OnnxNode transposeQ, OnnxNode transposeK, OnnxNode transposeV, FusedOps.Nodes scores, OnnxNode transposeOut) {}

    private static final int NR = PanelGemm.NR;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Half a panel: one vector. */
    private static final int L = F.length();

    /** in: Q, K, V ([b, s, h, d], [b, t, h, d], [b, t, h, e]) and the mask. */
    public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
        Tensor q = in[0], k = in[1], v = in[2], m = in[3];
        int opset = nodes.scores().opset();
        if (!(q instanceof Tensor.F32 && k instanceof Tensor.F32 && v instanceof Tensor.F32) || q.rank() != 4 || k.rank() != 4 || v.rank() != 4
                || divisor.rank() > 4 || !FusedOps.lastAxis(nodes.scores().softmax(), opset, 4)) {
            return nodeByNode(in, par);
        }
        int[] qs = q.shape(), ks = k.shape(), vs = v.shape();
        int b = qs[0], s = qs[1], h = qs[2], d = qs[3], t = ks[1], e = vs[3];
        if (ks[0] != b || vs[0] != b || ks[2] != h || vs[2] != h || ks[3] != d || vs[1] != t || b * h * s * t == 0 || d == 0 || e == 0) return nodeByNode(in, par);
        int[] maskRows = FusedOps.maskOffsets(new int[] {b, h, s, t}, m);
        if (maskRows == null) return nodeByNode(in, par);
        float[] fq = q.floats(), fk = k.floats(), fv = v.floats(), out = Buffers.floats(b * s * h * e);
        FusedOps.ScaledMask sm = new FusedOps.ScaledMask(divisor.floats()[0], m, t);
        Parallel p = (long) b * h * s * t * (d + e) < CompiledOps.SERIAL_WORK ? Parallel.serial() : par;
        // V's rows are panels in place when the head width is whole panels (ldp: a row of all heads)
        boolean valuesInPlace = e % NR == 0;
        int[] keyRows = new int[L];
        for (int l = 0; l < L; l++) keyRows[l] = l * h * d;
        p.forRange(b * h, 1, (from, to) -> {
            int nk = PanelGemm.panels(t) * d * NR, nv = valuesInPlace ? 0 : PanelGemm.panels(e) * t * NR;
            float[] keys = Scratch.floats(Scratch.Slot.KEYS, nk), values = Scratch.floats(Scratch.Slot.VALUES, nv), scores = Scratch.floats(Scratch.Slot.SCORES, s * t);
            for (int bh = from; bh < to; bh++) {
                int bi = bh / h, hi = bh % h;
                // K's head as the [d, t] right operand: panel c holds keys [c·NR, c·NR + NR), input i of key j at (c·d + i)·NR + j − c·NR,
                // each whole half panel one gather of L keys per input (a key's inputs are contiguous, its neighbours h·d apart),
                // the keys of a last partial half one by one and 0 past t (a masked gather checks the bounds of every lane)
                for (int c = 0; c < t; c += NR) {
                    int src = ((bi * t + c) * h + hi) * d;
                    for (int half = 0; half < NR; half += L) {
                        int o = c * d + half, at = src + half * h * d;
                        if (c + half + L <= t) {
                            for (int i = 0; i < d; i++) FloatVector.fromArray(F, fk, at + i, keyRows, 0).intoArray(keys, o + i * NR);
                            continue;
                        }
                        for (int l = 0; l < L; l++) {
                            boolean present = c + half + l < t;
                            for (int i = 0; i < d; i++) keys[o + i * NR + l] = present ? fk[at + l * h * d + i] : 0f;
                        }
                    }
                }
                PanelGemm.Rows qk = new PanelGemm.Rows(fq, (bi * s * h + hi) * d, h * d, scores, 0, t);
                for (int c = 0; c < t; c += NR) PanelGemm.multiply(qk, s, d, keys, c * d, c, Math.min(NR, t - c));
                for (int i = 0; i < s; i += 2) {
                    int j = Math.min(i + 1, s - 1);
                    sm.softmax(scores, i * t, j * t, scores, maskRows[bh * s + i], maskRows[bh * s + j]);
                }
                // then each query's probabilities times V's head [t, e] into its output columns
                PanelGemm.Rows pv = new PanelGemm.Rows(scores, 0, t, out, (bi * s * h + hi) * e, h * e);
                if (valuesInPlace) {
                    for (int c = 0; c < e; c += NR) PanelGemm.multiply(pv, s, t, new PanelGemm.Panel(fv, (bi * t * h + hi) * e + c, h * e), c, NR);
                    continue;
                }
                Arrays.fill(values, 0, nv, 0f);
                for (int j = 0; j < t; j++) {
                    int src = ((bi * t + j) * h + hi) * e;
                    for (int c = 0; c < e; c++) values[(c / NR * t + j) * NR + c % NR] = fv[src + c];
                }
                for (int c = 0; c < e; c += NR) PanelGemm.multiply(pv, s, t, values, c * t, c, Math.min(NR, e - c));
            }
        });
        return new Tensor[] {new Tensor.F32(new int[] {b, s, h, e}, out)};
    }

    private Tensor[] nodeByNode(Tensor[] in, Parallel par) {
        int opset = nodes.scores().opset();
        Tensor q = Operators.run(nodes.transposeQ(), new Tensor[] {in[0]}, opset)[0];
        Tensor k = Operators.run(nodes.transposeK(), new Tensor[] {in[1]}, opset)[0];
        Tensor v = Operators.run(nodes.transposeV(), new Tensor[] {in[2]}, opset)[0];
        Tensor scores = NeuralOps.matMul(q, k, par);
        Tensor probs = new FusedOps.AttentionSoftmax(divisor, divSide, nodes.scores()).run(new Tensor[] {scores, in[3]}, true, par)[0];
        return Operators.run(nodes.transposeOut(), new Tensor[] {NeuralOps.matMul(probs, v, par)}, opset);
    }
}
