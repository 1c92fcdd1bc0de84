package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.ptq.calibrate.CalibratedTernarizerTest.ints;
import static org.ternary4j.ptq.calibrate.CalibratedTernarizerTest.node;
import static org.ternary4j.ptq.calibrate.CalibratedTernarizerTest.tensor;
import static org.ternary4j.ptq.calibrate.CalibratedTernarizerTest.value;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpyWriter;
import org.ternary4j.formats.onnx.OnnxModel;

class HeadRotationTest {
    @TempDir
    Path dir;

    private static final int N = 6, T = 5, D = 8, HEADS = 2, SIZE = 4;

    /**
     * One BERT-style self-attention block on x [N, T, 8], two heads of four: Q, K, V MatMul + Add,
     * Reshape to [.., 2, 4] (K's shape a Concat of constants, as exporters write it), Transposes,
     * scores / 2, Softmax, context, Transpose back, Reshape to [.., 8], output MatMul + Add (y).
     * With {@code leak}, Q's projection is also a graph output, which a rotation would change.
     */
    private Path attention(boolean leak) throws IOException {
        Random rnd = new Random(11);
        GraphProto.Builder g = GraphProto.newBuilder().setName("attention").addInput(value("x", "N", T, D));
        for (String p : List.of("q", "k", "v")) {
            g.addInitializer(tensor("W" + p, rnd, D, D)).addInitializer(tensor("B" + p, rnd, D))
                    .addNode(node("MatMul", List.of("x", "W" + p), p + "m")).addNode(node("Add", List.of("B" + p, p + "m"), p));
        }
        g.addInitializer(longs("heads", 0, 0, HEADS, SIZE)).addInitializer(longs("batchTokens", 0, 0)).addInitializer(longs("h", HEADS))
                .addInitializer(longs("s", SIZE)).addInitializer(longs("merged", 0, 0, D)).addInitializer(scalar("scale", 2))
                .addInitializer(tensor("Wo", rnd, D, D)).addInitializer(tensor("Bo", rnd, D))
                .addNode(node("Concat", List.of("batchTokens", "h", "s"), "kshape", integer("axis", 0)))
                .addNode(node("Reshape", List.of("q", "heads"), "qr")).addNode(node("Transpose", List.of("qr"), "qt", ints("perm", 0, 2, 1, 3)))
                .addNode(node("Reshape", List.of("k", "kshape"), "kr")).addNode(node("Transpose", List.of("kr"), "kt", ints("perm", 0, 2, 3, 1)))
                .addNode(node("Reshape", List.of("v", "heads"), "vr")).addNode(node("Transpose", List.of("vr"), "vt", ints("perm", 0, 2, 1, 3)))
                .addNode(node("Shape", List.of("q"), "qshape"))
                .addNode(node("MatMul", List.of("qt", "kt"), "scores")).addNode(node("Div", List.of("scores", "scale"), "scaled"))
                .addNode(node("Softmax", List.of("scaled"), "p", integer("axis", 3)))
                .addNode(node("MatMul", List.of("p", "vt"), "ctx")).addNode(node("Transpose", List.of("ctx"), "ctxt", ints("perm", 0, 2, 1, 3)))
                .addNode(node("Reshape", List.of("ctxt", "merged"), "c")).addNode(node("MatMul", List.of("c", "Wo"), "om"))
                .addNode(node("Add", List.of("om", "Bo"), "y"))
                .addOutput(value("y", "N", T, D));
        if (leak) g.addOutput(value("q", "N", T, D));
        return Files.write(dir.resolve(leak ? "leak.onnx" : "attention.onnx"), ModelProto.newBuilder().setIrVersion(8).setProducerName("ternary4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build().toByteArray());
    }

    private static AttributeProto integer(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static TensorProto longs(String name, long... v) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE).addDims(v.length);
        for (long x : v) t.addInt64Data(x);
        return t.build();
    }

    private static TensorProto scalar(String name, float v) {
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(v).build();
    }

    private CalibrationInputs data() throws IOException {
        Random rnd = new Random(5);
        float[] v = new float[N * T * D];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * (i % D == 3 ? 8 : 1));
        Path f = dir.resolve("x.npy");
        NpyWriter.writeFloats(f, new NdArray(new int[] {N, T, D}, v));
        return CalibrationInputs.load(f.toString());
    }

    @Test
    void rotatedModelComputesTheSameOutputsWithOtherWeights() throws IOException {
        Path net = attention(false);
        CalibrationInputs x = data();
        try (OnnxModel m = OnnxModel.read(net)) {
            HeadRotation.Outcome o = HeadRotation.apply(m);
            assertEquals(List.of("head rotation: Softmax_p (2 heads of 4) rotated"), o.notes());
            assertEquals(m.graph().nodes().size(), o.model().graph().nodes().size(), "no node added");
            for (String w : List.of("Wq", "Wk", "Wv", "Wo", "Bq", "Bk", "Bv")) {
                float[] before = m.graph().initializers().get(w).floats(), after = o.model().graph().initializers().get(w).floats();
                double change = 0, norm = 0, normAfter = 0;
                for (int i = 0; i < before.length; i++) {
                    change += Math.abs(before[i] - after[i]);
                    norm += before[i] * (double) before[i];
                    normAfter += after[i] * (double) after[i];
                }
                assertTrue(change > 0.1 * before.length, w + " is rotated: mean change " + change / before.length);
                assertEquals(norm, normAfter, 1e-4 * norm, w + ": an orthogonal map keeps the Frobenius norm");
            }
            assertArrayEquals(m.graph().initializers().get("Bo").floats(), o.model().graph().initializers().get("Bo").floats(), "the output bias stays");
            Path rotated = Files.write(dir.resolve("rotated.onnx"), o.model().toBytes());
            float[] before = output(net, x), after = output(rotated, x);
            for (int i = 0; i < before.length; i++) assertEquals(before[i], after[i], 1e-4 * Math.max(1, Math.abs(before[i])), "y[" + i + "]");
        }
    }

    @Test
    void blockWhoseRotatedValueIsReadElsewhereIsLeftAsIs() throws IOException {
        Path net = attention(true);
        try (OnnxModel m = OnnxModel.read(net)) {
            HeadRotation.Outcome o = HeadRotation.apply(m);
            assertSame(m, o.model());
            assertEquals(List.of("head rotation: Softmax_p left as is (q is a graph output)", "head rotation: no attention block to rotate"), o.notes());
        }
    }

    @Test
    void signedHadamardIsOrthogonal() {
        for (int n : new int[] {1, 2, 32}) {
            double[] h = HeadRotation.signedHadamard(n, new Random(n));
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double dot = 0;
                    for (int c = 0; c < n; c++) dot += h[i * n + c] * h[j * n + c];
                    assertEquals(i == j ? 1 : 0, dot, 1e-12, n + ": row " + i + " · row " + j);
                    assertEquals(1 / Math.sqrt(n), Math.abs(h[i * n + j]), 1e-12, "every entry ±1/√n");
                }
            }
        }
    }

    private static float[] output(Path model, CalibrationInputs data) throws IOException {
        float[][] out = {new float[0]};
        try (OnnxModel m = OnnxModel.read(model); IntermediateRunner r = IntermediateRunner.open(m.toBytes(), "test")) {
            r.run(data.inputs(), Set.of("y"), batch -> {
                float[] v = batch.get("y").values();
                float[] all = java.util.Arrays.copyOf(out[0], out[0].length + v.length);
                System.arraycopy(v, 0, all, out[0].length, v.length);
                out[0] = all;
            });
        }
        return out[0];
    }
}
