package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.runtime.graph.Onnx.f;
import static org.ternary4j.runtime.graph.Onnx.i;
import static org.ternary4j.runtime.graph.Onnx.ints;
import static org.ternary4j.runtime.graph.Onnx.node;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.runtime.TernaryModel;

/**
 * A BERT-style encoder layer as PyTorch exports it — token and position embeddings (Gather),
 * LayerNorm spelled out (ReduceMean, Sub, Pow, Sqrt, Div), multi-head self-attention with dynamic
 * reshapes (Shape, Slice, Concat, Unsqueeze, Squeeze, Reshape, Transpose, MatMul, Softmax), an
 * Erf GELU feed-forward and residual adds — with its six projection weights packed ternary,
 * against ONNX Runtime on the dequantized weights.
 */
class EncoderTest {
    private static final int VOCAB = 40, SEQ = 7, D = 48, HEADS = 3, FF = 96;

    private final List<OnnxMl.NodeProto> nodes = new ArrayList<>();
    private final List<OnnxMl.TensorProto> inits = new ArrayList<>();
    private final Map<String, TernaryTensor> ternary = new HashMap<>();
    private final Random rnd = new Random(21);

    private void add(String op, String[] in, String out, OnnxMl.AttributeProto... attrs) {
        nodes.add(node(op, in, new String[] {out}, attrs));
    }

    private String constant(String name, float[] v, int... shape) {
        inits.add(Onnx.floats(name, shape, v));
        return name;
    }

    private String longs(String name, long... v) {
        inits.add(Onnx.longs(name, new int[] {v.length}, v));
        return name;
    }

    private float[] gaussian(int n, double sd) {
        float[] v = new float[n];
        for (int k = 0; k < n; k++) v[k] = (float) (rnd.nextGaussian() * sd);
        return v;
    }

    /** x·W + b with W ternary [out, in] canonical; ONNX MatMul stores its transpose [in, out]. */
    private String linear(String x, String name, int in, int out, Grouping grouping, boolean twoScale) {
        TernaryTensor w = TernaryModelTest.randomTernary(rnd, new int[] {out, in}, grouping, twoScale);
        TernaryTensor scaled = scaled(w, (float) (1.5 / Math.sqrt(in)));
        ternary.put(name + ".w", scaled);
        constant(name + ".w", TernaryModelTest.transpose(scaled.dequantize(), out, in), in, out);
        add("MatMul", new String[] {x, name + ".w"}, name + ".mm");
        add("Add", new String[] {name + ".mm", constant(name + ".b", gaussian(out, 0.1), out)}, name);
        return name;
    }

    private static TernaryTensor scaled(TernaryTensor t, float s) {
        float[] pos = t.scalePos().clone(), neg = t.scaleNeg() == null ? null : t.scaleNeg().clone();
        for (int g = 0; g < pos.length; g++) pos[g] *= s;
        if (neg != null) for (int g = 0; g < neg.length; g++) neg[g] *= s;
        return new TernaryTensor(t.shape(), t.grouping(), t.method(), t.codes(), pos, neg);
    }

    private String layerNorm(String x, String name) {
        add("ReduceMean", new String[] {x}, name + ".mean", ints("axes", -1), i("keepdims", 1));
        add("Sub", new String[] {x, name + ".mean"}, name + ".d");
        add("Pow", new String[] {name + ".d", constant(name + ".two", new float[] {2f})}, name + ".sq");
        add("ReduceMean", new String[] {name + ".sq"}, name + ".var", ints("axes", -1), i("keepdims", 1));
        add("Add", new String[] {name + ".var", constant(name + ".eps", new float[] {1e-5f})}, name + ".ve");
        add("Sqrt", new String[] {name + ".ve"}, name + ".sd");
        add("Div", new String[] {name + ".d", name + ".sd"}, name + ".n");
        add("Mul", new String[] {name + ".n", constant(name + ".g", gaussian(D, 0.1), D)}, name + ".ng");
        add("Add", new String[] {name + ".ng", constant(name + ".b", gaussian(D, 0.1), D)}, name);
        return name;
    }

    /** [1, SEQ, D] → [1, HEADS, SEQ, D/HEADS] (or its key transpose), the target shape computed from Shape(x) as exporters do. */
    private String heads(String x, String name, long... perm) {
        add("Shape", new String[] {x}, name + ".shape");
        for (int d = 0; d < 2; d++) {
            inits.add(Onnx.longs(name + ".at" + d, new int[0], d));
            add("Gather", new String[] {name + ".shape", name + ".at" + d}, name + ".dim" + d, i("axis", 0));
            add("Unsqueeze", new String[] {name + ".dim" + d, longs(name + ".axis" + d, 0)}, name + ".dim" + d + "v");
        }
        add("Concat", new String[] {name + ".dim0v", name + ".dim1v", longs(name + ".hd", HEADS, D / HEADS)}, name + ".target", i("axis", 0));
        add("Reshape", new String[] {x, name + ".target"}, name + ".r");
        add("Transpose", new String[] {name + ".r"}, name, ints("perm", perm));
        return name;
    }

    OnnxMl.ModelProto build() {
        // token ids arrive as floats in this test harness; Gather needs int64, so the ids are a constant
        long[] ids = new long[SEQ];
        for (int t = 0; t < SEQ; t++) ids[t] = rnd.nextInt(VOCAB);
        inits.add(Onnx.longs("ids", new int[] {1, SEQ}, ids));
        add("Gather", new String[] {constant("tok", gaussian(VOCAB * D, 1), VOCAB, D), "ids"}, "tokens", i("axis", 0));
        inits.add(Onnx.longs("positions", new int[] {SEQ}, java.util.stream.LongStream.range(0, SEQ).toArray()));
        add("Gather", new String[] {constant("pos", gaussian(SEQ * D, 0.5), SEQ, D), "positions"}, "position");
        add("Add", new String[] {"tokens", "position"}, "emb0");
        add("Add", new String[] {"emb0", "x"}, "emb"); // the graph input: a perturbation, so every run differs
        String h = layerNorm("emb", "ln0");

        String q = heads(linear(h, "q", D, D, new Grouping.Row(), false), "qh", 0, 2, 1, 3);
        String k = heads(linear(h, "k", D, D, new Grouping.Block(16), true), "kh", 0, 2, 3, 1);
        String v = heads(linear(h, "v", D, D, new Grouping.Row(), true), "vh", 0, 2, 1, 3);
        add("MatMul", new String[] {q, k}, "scores");
        add("Mul", new String[] {"scores", constant("scale", new float[] {(float) (1 / Math.sqrt(D / HEADS))})}, "scaled");
        add("Softmax", new String[] {"scaled"}, "probs", i("axis", -1));
        add("MatMul", new String[] {"probs", v}, "ctx");
        add("Transpose", new String[] {"ctx"}, "ctxT", ints("perm", 0, 2, 1, 3));
        add("Shape", new String[] {"ctxT"}, "ctxShape");
        add("Slice", new String[] {"ctxShape", longs("from", 0), longs("to", 2), longs("sliceAxis", 0)}, "batchSeq");
        add("Concat", new String[] {"batchSeq", longs("dModel", D)}, "merged", i("axis", 0));
        add("Reshape", new String[] {"ctxT", "merged"}, "ctxM");
        String attn = linear("ctxM", "o", D, D, new Grouping.Block(32), false);
        add("Add", new String[] {h, attn}, "res1");
        String h1 = layerNorm("res1", "ln1");

        String up = linear(h1, "ff1", D, FF, new Grouping.Row(), false);
        add("Div", new String[] {up, constant("sqrt2", new float[] {(float) Math.sqrt(2)})}, "gx");
        add("Erf", new String[] {"gx"}, "erf");
        add("Add", new String[] {"erf", constant("one", new float[] {1f})}, "erf1");
        add("Mul", new String[] {up, "erf1"}, "gm");
        add("Mul", new String[] {"gm", constant("half", new float[] {0.5f})}, "gelu");
        String down = linear("gelu", "ff2", FF, D, new Grouping.Row(), false);
        add("Add", new String[] {h1, down}, "res2");
        layerNorm("res2", "out");
        add("ReduceMean", new String[] {"out"}, "pooledKeep", ints("axes", 1), i("keepdims", 1));
        add("Squeeze", new String[] {"pooledKeep", longs("seqAxis", 1)}, "pooled");
        add("Tanh", new String[] {"pooled"}, "y");
        return Onnx.model(13, new String[] {"x"}, new String[] {"out", "y"}, nodes, inits);
    }

    @Test
    void ternaryEncoderLayerMatchesOnnxRuntime() throws Exception {
        OnnxMl.ModelProto model = build();
        Map<String, Tensor> in = Map.of("x", new Tensor.F32(new int[] {1, SEQ, D}, gaussian(SEQ * D, 0.3)));
        Map<String, Tensor> expected = Onnx.ort(model, in);
        try (TernaryModel exact = TernaryModel.load(Onnx.read(model), ternary, new TernaryModel.Options(1, Activations.FLOAT));
             TernaryModel fast = TernaryModel.load(Onnx.read(model), ternary, new TernaryModel.Options(1, Activations.INT8));
             TernaryModel fast2 = TernaryModel.load(Onnx.read(model), ternary, new TernaryModel.Options(2, Activations.INT8))) {
            for (String out : List.of("out", "y")) {
                float[] want = expected.get(out).floats(), got = exact.run(in).get(out).floats();
                assertArrayEquals(expected.get(out).shape(), exact.run(in).get(out).shape(), out + " shape");
                for (int k = 0; k < want.length; k++) assertEquals(want[k], got[k], 2e-4 * (1 + Math.abs(want[k])), out + "[" + k + "], float activations");
            }
            float[] want = expected.get("out").floats(), got = fast.run(in).get("out").floats();
            assertTrue(cosine(want, got) > 0.999, "int8 activations: cosine " + cosine(want, got));
            assertArrayEquals(got, fast2.run(in).get("out").floats(), "2 threads give the same bits");
        }
    }

    private static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int k = 0; k < a.length; k++) {
            ab += (double) a[k] * b[k];
            aa += (double) a[k] * a[k];
            bb += (double) b[k] * b[k];
        }
        return ab / Math.sqrt(aa * bb);
    }
}
