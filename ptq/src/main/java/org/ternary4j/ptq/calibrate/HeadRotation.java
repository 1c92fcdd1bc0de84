package org.ternary4j.ptq.calibrate;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.ternary4j.formats.onnx.OnnxGraph;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.formats.onnx.OnnxTensor;
import org.ternary4j.formats.onnx.ValueInfo;

/**
 * Per-head orthogonal rotations of self-attention, folded into the float weights before
 * ternarization (QuIP-style incoherence: outlier features are spread over a head's features, so
 * a ternary grid fits the rotated weights better). Exact and without new nodes: per head h, the
 * query and key projections' output features (weights and biases) are multiplied by the same
 * orthogonal R_h, so q·kᵀ = (q R)(k R)ᵀ is unchanged; the value projection's by S_h and the
 * attention output projection's input rows by S_hᵀ, so (P·v S) Sᵀ W_o = P·v W_o. R and S are
 * Hadamard matrices of the head size with random signs (a fixed seed per block and head).
 *
 * <p>The pattern looked for is the one Hugging Face BERT exports have: Q, K and V each a MatMul
 * with a constant [in, heads·size] weight (and an Add of a constant bias), a Reshape to
 * [.., heads, size] and a Transpose to [.., heads, tokens, size] (K: [.., heads, size, tokens]);
 * MatMul(Q, K), any nodes on the scores up to a Softmax, MatMul(probabilities, V), a Transpose
 * back, a Reshape to [.., heads·size] and the output MatMul with a constant weight. The rotated
 * values may be read by Shape nodes (shapes do not change) but by nothing else, and no rotated
 * value may be a graph output; an attention block that does not match is left as is, with a note.
 */
public final class HeadRotation {
    /** The rotated model and notes (blocks rotated, blocks left as they were and why). */
    public record Outcome(OnnxModel model, List<String> notes) {}

    /** One projection: its weight [in, heads·size] and bias (null when there is none). */
    private record Projection(String weight, String bias) {}

    /** One attention block: its projections, the output projection's weight, heads and head size. */
    record Block(String softmax, Projection q, Projection k, Projection v, String out, int heads, int size) {}

    private static final long[] TO_HEADS = {0, 2, 1, 3}, KEY_TO_HEADS = {0, 2, 3, 1};

    private final OnnxGraph g;
    private final Map<String, OnnxNode> producer = new HashMap<>();
    private final Map<String, List<OnnxNode>> consumers = new HashMap<>();
    private final Set<String> graphOutputs;

    private HeadRotation(OnnxGraph g) {
        this.g = g;
        for (OnnxNode n : g.nodes()) {
            for (String o : n.outputs()) producer.put(o, n);
            for (String in : n.inputs()) if (!in.isEmpty()) consumers.computeIfAbsent(in, x -> new ArrayList<>()).add(n);
        }
        graphOutputs = Set.copyOf(g.outputs().stream().map(ValueInfo::name).toList());
    }

    /** {@code model} with every matching attention block rotated; the model itself when none matches. */
    public static Outcome apply(OnnxModel model) throws IOException {
        HeadRotation h = new HeadRotation(model.graph());
        List<String> notes = new ArrayList<>();
        List<Block> blocks = new ArrayList<>();
        for (OnnxNode n : model.graph().nodes()) {
            if (!n.opType().equals("Softmax") || !n.standard()) continue;
            Object found = h.block(n);
            if (found instanceof Block b) blocks.add(b);
            else notes.add("head rotation: " + n.label() + " left as is (" + found + ")");
        }
        if (blocks.isEmpty()) {
            notes.add("head rotation: no attention block to rotate");
            return new Outcome(model, notes);
        }
        Map<String, float[]> edits = new LinkedHashMap<>();
        for (int i = 0; i < blocks.size(); i++) {
            Block b = blocks.get(i);
            Random rnd = new Random(0x5eed + 7919L * i);
            double[][] r = new double[b.heads()][], s = new double[b.heads()][];
            for (int hd = 0; hd < b.heads(); hd++) r[hd] = signedHadamard(b.size(), rnd);
            for (int hd = 0; hd < b.heads(); hd++) s[hd] = signedHadamard(b.size(), rnd);
            for (Projection p : List.of(b.q(), b.k())) rotateOutputs(h, p, r, b.size(), edits);
            rotateOutputs(h, b.v(), s, b.size(), edits);
            edits.put(b.out(), rotateInputRows(h.floats(b.out()), s, b.size()));
            notes.add("head rotation: " + b.softmax() + " (" + b.heads() + " heads of " + b.size() + ") rotated");
        }
        return new Outcome(model.withFloats(edits), notes);
    }

    /** The attention block whose Softmax is {@code softmax}, or a String saying why there is none. */
    private Object block(OnnxNode softmax) throws IOException {
        OnnxNode scores = scoresMatMul(softmax.inputs().get(0), 4);
        if (scores == null) return "no MatMul of two computed values before the Softmax";
        List<OnnxNode> probsUse = consumers.getOrDefault(softmax.outputs().get(0), List.of());
        if (probsUse.size() != 1 || !probsUse.get(0).opType().equals("MatMul") || !probsUse.get(0).inputs().get(0).equals(softmax.outputs().get(0))) {
            return "the probabilities are not only multiplied with the values";
        }
        OnnxNode context = probsUse.get(0);
        Object q = headed(scores.inputs().get(0), TO_HEADS), k = headed(scores.inputs().get(1), KEY_TO_HEADS), v = headed(context.inputs().get(1), TO_HEADS);
        for (Object o : List.of(q, k, v)) if (o instanceof String why) return why;
        Headed hq = (Headed) q, hk = (Headed) k, hv = (Headed) v;
        if (hq.heads() != hk.heads() || hq.size() != hk.size() || hq.heads() != hv.heads() || hq.size() != hv.size()) return "Q, K and V differ in heads";
        if (Integer.bitCount(hq.size()) != 1) return "head size " + hq.size() + " is not a power of two (Hadamard rotations)";
        // The context, rotated by S per head, must reach the output projection only through Transpose and Reshape.
        OnnxNode back = only(context.outputs().get(0), "Transpose");
        if (back == null || !java.util.Arrays.equals(back.intsAttr("perm"), TO_HEADS)) return "the context is not transposed back to [.., tokens, heads, size]";
        OnnxNode merged = only(back.outputs().get(0), "Reshape");
        if (merged == null || !merged.inputs().get(0).equals(back.outputs().get(0))) return "the context is not reshaped to [.., heads·size]";
        OnnxNode out = only(merged.outputs().get(0), "MatMul");
        if (out == null || !out.inputs().get(0).equals(merged.outputs().get(0))) return "the context does not feed one output MatMul";
        String wo = out.inputs().get(1);
        Optional<int[]> woShape = weightShape(wo);
        if (woShape.isEmpty() || woShape.get()[0] != hq.heads() * hq.size()) return "the output projection's weight is not a [heads·size, out] FLOAT constant read once";
        for (String value : List.of(context.outputs().get(0), back.outputs().get(0), merged.outputs().get(0))) {
            if (graphOutputs.contains(value)) return value + " is a graph output";
        }
        return new Block(softmax.label(), hq.projection(), hk.projection(), hv.projection(), wo, hq.heads(), hq.size());
    }

    /** The MatMul of two computed values that {@code value} is derived from within {@code depth} nodes (scaling, masking), or null. */
    private OnnxNode scoresMatMul(String value, int depth) {
        OnnxNode p = producer.get(value);
        if (p == null || depth == 0) return null;
        if (p.opType().equals("MatMul") && p.inputs().stream().allMatch(in -> producer.containsKey(in) && g.constant(in).isEmpty())) return p;
        if (!Set.of("Add", "Div", "Mul", "Sub", "Where", "Cast").contains(p.opType())) return null;
        for (String in : p.inputs()) {
            OnnxNode m = scoresMatMul(in, depth - 1);
            if (m != null) return m;
        }
        return null;
    }

    /** Q, K or V as the attention reads it: its projection and the heads it is split into. */
    private record Headed(Projection projection, int heads, int size) {}

    /**
     * What {@code value} (a Transpose with {@code perm} of a Reshape to [.., heads, size] of a
     * projection's output) comes from, or a String saying why it does not match.
     */
    private Object headed(String value, long[] perm) throws IOException {
        OnnxNode t = producer.get(value);
        if (t == null || !t.opType().equals("Transpose") || !java.util.Arrays.equals(t.intsAttr("perm"), perm)) return value + " is not a Transpose " + java.util.Arrays.toString(perm);
        OnnxNode reshape = producer.get(t.inputs().get(0));
        if (reshape == null || !reshape.opType().equals("Reshape")) return value + " is not transposed from a Reshape";
        long[] tail = shapeTail(reshape.inputs().get(1));
        if (tail == null) return reshape.label() + ": the last two dimensions of its shape are not constant";
        String projected = reshape.inputs().get(0);
        // Every reader of the rotated values must be on this path (or read only their shape).
        if (!readOnlyBy(t.outputs().get(0), 1) || !readOnlyBy(reshape.outputs().get(0), 1) || !readOnlyBy(projected, 1)) {
            return "a rotated value near " + value + " has other readers";
        }
        OnnxNode add = producer.get(projected);
        String bias = null;
        OnnxNode matmul = add;
        if (add != null && add.opType().equals("Add")) {
            String a = add.inputs().get(0), b = add.inputs().get(1);
            boolean firstConst = g.constant(a).isPresent();
            bias = firstConst ? a : b;
            matmul = producer.get(firstConst ? b : a);
            if (matmul == null || !readOnlyBy(matmul.outputs().get(0), 1)) return projected + " is not a projection";
        }
        if (matmul == null || !matmul.opType().equals("MatMul")) return projected + " is not computed by a MatMul";
        String w = matmul.inputs().get(1);
        int heads = (int) tail[0], size = (int) tail[1];
        Optional<int[]> ws = weightShape(w);
        if (ws.isEmpty() || ws.get()[1] != heads * size) return w + " is not a [in, heads·size] FLOAT constant read once";
        if (bias != null && (CalibLayer.embeddedFloat(g, bias).map(OnnxTensor::count).orElse(-1) != heads * size || uses(bias) != 1)) {
            return bias + " is not a [heads·size] FLOAT bias read once";
        }
        for (String v : List.of(projected, reshape.outputs().get(0), t.outputs().get(0), matmul.outputs().get(0))) {
            if (graphOutputs.contains(v)) return v + " is a graph output";
        }
        return new Headed(new Projection(w, bias), heads, size);
    }

    /** The last two entries of a Reshape's shape: a constant, or a Concat whose trailing inputs are constants. */
    private long[] shapeTail(String shape) throws IOException {
        Optional<OnnxTensor> c = g.constant(shape);
        long[] all;
        if (c.isPresent()) {
            all = c.get().longs();
        } else {
            OnnxNode concat = producer.get(shape);
            if (concat == null || !concat.opType().equals("Concat")) return null;
            List<Long> tail = new ArrayList<>();
            for (int i = concat.inputs().size() - 1; i >= 0 && tail.size() < 2; i--) {
                Optional<OnnxTensor> part = g.constant(concat.inputs().get(i));
                if (part.isEmpty()) return null;
                long[] v = part.get().longs();
                for (int j = v.length - 1; j >= 0 && tail.size() < 2; j--) tail.add(0, v[j]);
            }
            all = tail.stream().mapToLong(Long::longValue).toArray();
        }
        if (all.length < 2 || all[all.length - 2] < 1 || all[all.length - 1] < 1) return null;
        return new long[] {all[all.length - 2], all[all.length - 1]};
    }

    /** Whether {@code value} is read by exactly {@code n} nodes other than Shape nodes. */
    private boolean readOnlyBy(String value, int n) {
        return consumers.getOrDefault(value, List.of()).stream().filter(c -> !c.opType().equals("Shape")).count() == n;
    }

    /** The single non-Shape reader of {@code value} when it is an {@code op}, else null. */
    private OnnxNode only(String value, String op) {
        List<OnnxNode> readers = consumers.getOrDefault(value, List.of()).stream().filter(c -> !c.opType().equals("Shape")).toList();
        return readers.size() == 1 && readers.get(0).opType().equals(op) && !graphOutputs.contains(value) ? readers.get(0) : null;
    }

    private int uses(String name) {
        return consumers.getOrDefault(name, List.of()).size();
    }

    /** The shape of a rank-2 embedded FLOAT weight read by one node. */
    private Optional<int[]> weightShape(String name) {
        return CalibLayer.embeddedFloat(g, name).filter(t -> t.shape().length == 2 && uses(name) == 1).map(OnnxTensor::shape);
    }

    private float[] floats(String name) throws IOException {
        return CalibLayer.embeddedFloat(g, name).orElseThrow().floats();
    }

    /** Output features h·size + j of the weight [in, heads·size] (and bias) times the head's rotation. */
    private static void rotateOutputs(HeadRotation h, Projection p, double[][] rot, int size, Map<String, float[]> edits) throws IOException {
        edits.put(p.weight(), rotateColumns(h.floats(p.weight()), rot, size));
        if (p.bias() != null) edits.put(p.bias(), rotateColumns(h.floats(p.bias()), rot, size));
    }

    /** Each row of a row-major [rows, heads·size] matrix, head block by head block, times rot[head] (size × size, row-major). */
    static float[] rotateColumns(float[] m, double[][] rot, int size) {
        int cols = rot.length * size, rows = m.length / cols;
        float[] out = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int hd = 0; hd < rot.length; hd++) {
                int base = r * cols + hd * size;
                for (int j = 0; j < size; j++) {
                    double acc = 0;
                    for (int i = 0; i < size; i++) acc += m[base + i] * rot[hd][i * size + j];
                    out[base + j] = (float) acc;
                }
            }
        }
        return out;
    }

    /** rot[head]ᵀ times each head's block of rows of a row-major [heads·size, out] matrix. */
    static float[] rotateInputRows(float[] m, double[][] rot, int size) {
        int rows = rot.length * size, cols = m.length / rows;
        float[] out = new float[m.length];
        for (int hd = 0; hd < rot.length; hd++) {
            for (int j = 0; j < size; j++) {
                for (int c = 0; c < cols; c++) {
                    double acc = 0;
                    for (int i = 0; i < size; i++) acc += rot[hd][i * size + j] * m[(hd * size + i) * cols + c];
                    out[(hd * size + j) * cols + c] = (float) acc;
                }
            }
        }
        return out;
    }

    /** diag(±1) · H / √n for the Sylvester Hadamard matrix H of order n (a power of two), row-major. */
    static double[] signedHadamard(int n, Random rnd) {
        double[] m = new double[n * n];
        double norm = 1 / Math.sqrt(n);
        for (int i = 0; i < n; i++) {
            double sign = rnd.nextBoolean() ? 1 : -1;
            for (int j = 0; j < n; j++) m[i * n + j] = sign * norm * (Integer.bitCount(i & j) % 2 == 0 ? 1 : -1);
        }
        return m;
    }
}
