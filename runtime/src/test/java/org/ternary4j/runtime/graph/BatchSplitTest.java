package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.runtime.graph.Onnx.i;
import static org.ternary4j.runtime.graph.Onnx.ints;
import static org.ternary4j.runtime.graph.Onnx.node;

import ai.onnx.proto.OnnxMl;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.formats.onnx.ElementType;
import org.ternary4j.formats.onnx.ValueInfo;
import org.ternary4j.runtime.TernaryModel;

/**
 * Batches run as one part per thread: the same bits as the whole batch on one thread (and as ONNX
 * Runtime's shapes), float and int64 inputs cut and outputs joined along the batch; graphs that
 * declare no batch, or that mix their examples, run whole.
 */
class BatchSplitTest {
    private static final OnnxMl.TensorProto.DataType FLOAT = OnnxMl.TensorProto.DataType.FLOAT, INT64 = OnnxMl.TensorProto.DataType.INT64;

    @Test
    void aBatchIsDeclaredByOneSymbolFirstInEveryInputAndASymbolFirstInEveryOutput() {
        ValueInfo x = info("x", "N", "3"), mask = info("mask", "N", "S"), y = info("y", "batch", "10");
        assertTrue(BatchSplit.declared(List.of(x, mask), List.of(y)));
        assertFalse(BatchSplit.declared(List.of(x, info("ids", "B", "S")), List.of(y)), "two symbols");
        assertFalse(BatchSplit.declared(List.of(info("x", "1", "3")), List.of(y)), "a fixed batch");
        assertFalse(BatchSplit.declared(List.of(x), List.of(info("y", "10"))), "an output without the batch");
        assertFalse(BatchSplit.declared(List.of(info("x", "?", "3")), List.of(y)), "an unnamed first dimension");
        assertFalse(BatchSplit.declared(List.of(new ValueInfo("x", Optional.of(ElementType.FLOAT), List.of(), false)), List.of(y)), "no shape");
        assertFalse(BatchSplit.declared(List.of(), List.of(y)));
    }

    @Test
    void partsAreOnePerThreadForABatchOfAtLeastAsManyExamples() {
        Tensor five = new Tensor.F32(new int[] {5, 2}, new float[10]), fiveIds = new Tensor.I64(new int[] {5}, new long[5]);
        assertEquals(2, BatchSplit.parts(new Tensor[] {five, fiveIds}, 2));
        assertEquals(1, BatchSplit.parts(new Tensor[] {five}, 1));
        assertEquals(1, BatchSplit.parts(new Tensor[] {five}, 6), "fewer examples than threads");
        assertEquals(1, BatchSplit.parts(new Tensor[] {five, new Tensor.F32(new int[] {4, 2}, new float[8])}, 2), "inputs of other batches");
        assertEquals(1, BatchSplit.parts(new Tensor[] {five, new Tensor.F32(new int[0], new float[1])}, 2), "a scalar input");
        assertEquals(List.of(0, 1, 3, 5), List.of(BatchSplit.start(5, 3, 0), BatchSplit.start(5, 3, 1), BatchSplit.start(5, 3, 2), BatchSplit.start(5, 3, 3)));
    }

    @Test
    void slicesJoinBackToTheBatchAndPartsOfOtherShapesDoNot() {
        long[] v = new long[12];
        for (int k = 0; k < v.length; k++) v[k] = 100 + k;
        Tensor t = new Tensor.I64(new int[] {4, 3}, v);
        Tensor a = BatchSplit.slice(t, 0, 1), b = BatchSplit.slice(t, 1, 4);
        assertArrayEquals(new int[] {1, 3}, a.shape());
        assertArrayEquals(new long[] {103, 104, 105, 106, 107, 108, 109, 110, 111}, b.longs());
        Tensor joined = BatchSplit.join(new Tensor[] {a, b}, new int[] {1, 3});
        assertArrayEquals(new int[] {4, 3}, joined.shape());
        assertArrayEquals(v, joined.longs());
        assertNull(BatchSplit.join(new Tensor[] {a, b}, new int[] {2, 2}), "a first dimension that is not the part's examples");
        Tensor other = new Tensor.I64(new int[] {3, 2}, new long[6]);
        assertNull(BatchSplit.join(new Tensor[] {a, other}, new int[] {1, 3}), "other trailing dimensions");
        assertNull(BatchSplit.join(new Tensor[] {a, new Tensor.F32(new int[] {3, 3}, new float[9])}, new int[] {1, 3}), "another element type");
    }

    @Test
    void aConvNetSplitsItsBatchAndGivesTheBitsOfOneThread() throws Exception {
        Random rnd = new Random(3);
        TernaryModelTest.Net net = TernaryModelTest.net(rnd);
        OnnxMl.ModelProto model = Onnx.declare(Onnx.declare(Onnx.declare(net.model(), "x", FLOAT, "N", 3, 9, 8), "y", FLOAT, "N", 10), "logits", FLOAT, "N", 10);
        Map<String, Tensor> in = Map.of("x", OperatorsTest.input(new int[] {5, 3, 9, 8}, rnd, false));
        for (Activations a : List.of(Activations.FLOAT, Activations.INT8)) {
            try (TernaryModel one = TernaryModel.load(Onnx.read(model), net.ternary(), new TernaryModel.Options(1, a, false));
                 TernaryModel two = TernaryModel.load(Onnx.read(model), net.ternary(), new TernaryModel.Options(2, a, false))) {
                Map<String, Tensor> want = one.run(in);
                for (int run = 0; run < 3; run++) {
                    Map<String, Tensor> got = two.run(in);
                    for (String o : List.of("y", "logits")) {
                        assertArrayEquals(want.get(o).shape(), got.get(o).shape(), o);
                        assertArrayEquals(want.get(o).floats(), got.get(o).floats(), a + ", " + o + ", run " + run);
                    }
                }
                assertTrue(two.splitsBatches(5), "the split gave the whole batch's bits, so it is kept");
                try (TernaryModel whole = TernaryModel.load(Onnx.read(model), net.ternary(), new TernaryModel.Options(2, a, false).withoutBatchSplit())) {
                    for (int run = 0; run < 2; run++) assertArrayEquals(want.get("y").floats(), whole.run(in).get("y").floats(), a + ", whole batches, run " + run);
                    assertFalse(whole.splitsBatches(5), "asked not to split");
                }
                assertFalse(two.splitsBatches(4), "a batch size not run yet");
                assertFalse(one.splitsBatches(5), "one thread: nothing to split");
            }
        }
    }

    /** Token ids (int64) and a float perturbation, both [N, S], through an embedding and a ternary projection. */
    @Test
    void int64AndFloatInputsAreCutAtTheSameExamples() throws Exception {
        Random rnd = new Random(4);
        int vocab = 11, seq = 6, d = 16, e = 12, batch = 7;
        TernaryTensor w = TernaryModelTest.randomTernary(rnd, new int[] {e, d}, new Grouping.Row(), false);
        OnnxMl.ModelProto model = Onnx.model(13, new String[] {"ids", "x"}, new String[] {"y"}, List.of(
                        node("Gather", new String[] {"table", "ids"}, new String[] {"emb"}, i("axis", 0)),
                        node("Add", new String[] {"emb", "x"}, new String[] {"h"}),
                        node("MatMul", new String[] {"h", "w"}, new String[] {"y"})),
                List.of(Onnx.floats("table", new int[] {vocab, d}, OperatorsTest.gauss(rnd, vocab * d)),
                        Onnx.floats("w", new int[] {d, e}, TernaryModelTest.transpose(w.dequantize(), e, d))));
        model = Onnx.declare(Onnx.declare(Onnx.declare(model, "ids", INT64, "batch", "seq"), "x", FLOAT, "batch", "seq", d), "y", FLOAT, "batch", "seq", e);
        long[] ids = new long[batch * seq];
        for (int k = 0; k < ids.length; k++) ids[k] = rnd.nextInt(vocab);
        Map<String, Tensor> in = Map.of("ids", new Tensor.I64(new int[] {batch, seq}, ids), "x", OperatorsTest.input(new int[] {batch, seq, d}, rnd, false));
        Tensor ort = Onnx.ort(model, in).get("y");
        try (TernaryModel one = TernaryModel.load(Onnx.read(model), Map.of("w", w), new TernaryModel.Options(1, Activations.FLOAT, false));
             TernaryModel three = TernaryModel.load(Onnx.read(model), Map.of("w", w), new TernaryModel.Options(3, Activations.FLOAT, false))) {
            float[] want = one.run(in).get("y").floats();
            for (int k = 0; k < want.length; k++) assertEquals(ort.floats()[k], want[k], 1e-4 * (1 + Math.abs(want[k])), "against ONNX Runtime, y[" + k + "]");
            for (int run = 0; run < 2; run++) {
                Tensor got = three.run(in).get("y");
                assertArrayEquals(ort.shape(), got.shape());
                assertArrayEquals(want, got.floats(), "run " + run);
            }
            assertTrue(three.splitsBatches(batch));
        }
    }

    /**
     * A ternary Gemm on the exact path, whose kernels differ by the number of rows: whatever the
     * batch and the thread count, the outputs are one thread's bits, split where that holds.
     */
    @Test
    void everyBatchSizeGivesOneThreadsBitsSplitOrNot() throws Exception {
        Random rnd = new Random(6);
        int d = 40, e = 24;
        TernaryTensor w = TernaryModelTest.randomTernary(rnd, new int[] {e, d}, new Grouping.Row(), false);
        OnnxMl.ModelProto model = Onnx.model(13, new String[] {"x"}, new String[] {"y"},
                List.of(node("Gemm", new String[] {"x", "w"}, new String[] {"y"}, i("transB", 1))),
                List.of(Onnx.floats("w", w.shape(), w.dequantize())));
        model = Onnx.declare(Onnx.declare(model, "x", FLOAT, "N", d), "y", FLOAT, "N", e);
        int split = 0;
        try (TernaryModel one = TernaryModel.load(Onnx.read(model), Map.of("w", w), new TernaryModel.Options(1, Activations.FLOAT, false));
             TernaryModel two = TernaryModel.load(Onnx.read(model), Map.of("w", w), new TernaryModel.Options(2, Activations.FLOAT, false));
             TernaryModel three = TernaryModel.load(Onnx.read(model), Map.of("w", w), new TernaryModel.Options(3, Activations.FLOAT, false))) {
            for (int batch = 1; batch <= 14; batch++) {
                Map<String, Tensor> in = Map.of("x", OperatorsTest.input(new int[] {batch, d}, rnd, false));
                float[] want = one.run(in).get("y").floats();
                for (TernaryModel m : List.of(two, three)) {
                    for (int run = 0; run < 2; run++) assertArrayEquals(want, m.run(in).get("y").floats(), "batch " + batch + ", run " + run);
                    if (m.splitsBatches(batch)) split++;
                }
            }
        }
        assertTrue(split > 0, "some batch sizes split");
    }

    /**
     * Kernels choose for a whole batch by whether all its inputs are finite (a NaN sends the exact
     * Gemm to its per-vector kernels), so a batch holding a NaN runs whole: its other examples get
     * one thread's bits too.
     */
    @Test
    void aBatchHoldingANaNGivesOneThreadsBitsToo() throws Exception {
        Random rnd = new Random(8);
        int d = 40, e = 24, batch = 12;
        TernaryTensor w = TernaryModelTest.randomTernary(rnd, new int[] {e, d}, new Grouping.Row(), false);
        OnnxMl.ModelProto model = Onnx.model(13, new String[] {"x"}, new String[] {"y"},
                List.of(node("Gemm", new String[] {"x", "w"}, new String[] {"y"}, i("transB", 1))),
                List.of(Onnx.floats("w", w.shape(), w.dequantize())));
        model = Onnx.declare(Onnx.declare(model, "x", FLOAT, "N", d), "y", FLOAT, "N", e);
        try (TernaryModel one = TernaryModel.load(Onnx.read(model), Map.of("w", w), new TernaryModel.Options(1, Activations.FLOAT, false));
             TernaryModel two = TernaryModel.load(Onnx.read(model), Map.of("w", w), new TernaryModel.Options(2, Activations.FLOAT, false))) {
            Map<String, Tensor> finite = Map.of("x", OperatorsTest.input(new int[] {batch, d}, rnd, false));
            assertArrayEquals(one.run(finite).get("y").floats(), two.run(finite).get("y").floats());
            assertTrue(two.splitsBatches(batch), "a finite batch of 12 splits");
            Tensor x = OperatorsTest.input(new int[] {batch, d}, rnd, false);
            x.floats()[3] = Float.NaN;
            Map<String, Tensor> holding = Map.of("x", x);
            float[] want = one.run(holding).get("y").floats();
            for (int run = 0; run < 2; run++) assertArrayEquals(want, two.run(holding).get("y").floats(), "run " + run);
        }
    }

    /** y = x − mean over the batch: a part's mean is not the batch's, so the comparison refuses the split. */
    @Test
    void aGraphThatMixesItsExamplesRunsWhole() throws Exception {
        Random rnd = new Random(5);
        OnnxMl.ModelProto model = Onnx.model(13, new String[] {"x"}, new String[] {"y"}, List.of(
                node("ReduceMean", new String[] {"x"}, new String[] {"m"}, ints("axes", 0), i("keepdims", 1)),
                node("Sub", new String[] {"x", "m"}, new String[] {"y"})), List.of());
        model = Onnx.declare(Onnx.declare(model, "x", FLOAT, "N", 4), "y", FLOAT, "N", 4);
        Map<String, Tensor> in = Map.of("x", OperatorsTest.input(new int[] {6, 4}, rnd, false));
        Tensor ort = Onnx.ort(model, in).get("y");
        try (TernaryModel two = TernaryModel.load(Onnx.read(model), Map.of(), new TernaryModel.Options(2, Activations.FLOAT, false))) {
            for (int run = 0; run < 2; run++) {
                float[] got = two.run(in).get("y").floats();
                for (int k = 0; k < got.length; k++) assertEquals(ort.floats()[k], got[k], 1e-6, "run " + run + ", y[" + k + "]");
            }
            assertFalse(two.splitsBatches(6));
        }
    }

    /** A graph that declares a batch but reshapes to a fixed one: its parts fail, the whole batch runs. */
    @Test
    void aGraphThatOnlyTakesItsWholeBatchRunsWhole() throws Exception {
        Random rnd = new Random(7);
        OnnxMl.ModelProto model = Onnx.model(13, new String[] {"x"}, new String[] {"y"}, List.of(
                node("Reshape", new String[] {"x", "shape"}, new String[] {"r"}),
                node("Relu", new String[] {"r"}, new String[] {"y"})), List.of(Onnx.longs("shape", new int[] {3}, 4, 2, 2)));
        model = Onnx.declare(Onnx.declare(model, "x", FLOAT, "N", 4), "y", FLOAT, "N", 2, 2);
        Map<String, Tensor> in = Map.of("x", OperatorsTest.input(new int[] {4, 4}, rnd, false));
        Tensor ort = Onnx.ort(model, in).get("y");
        try (TernaryModel two = TernaryModel.load(Onnx.read(model), Map.of(), new TernaryModel.Options(2, Activations.FLOAT, false))) {
            for (int run = 0; run < 2; run++) {
                Tensor got = two.run(in).get("y");
                assertArrayEquals(ort.shape(), got.shape());
                assertArrayEquals(ort.floats(), got.floats(), "run " + run);
            }
            assertFalse(two.splitsBatches(4));
        }
    }

    private static ValueInfo info(String name, String... dims) {
        return new ValueInfo(name, Optional.of(ElementType.FLOAT), List.of(dims), true);
    }
}
