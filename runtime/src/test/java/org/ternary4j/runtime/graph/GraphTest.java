package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.ternary4j.runtime.graph.Onnx.i;
import static org.ternary4j.runtime.graph.Onnx.ints;
import static org.ternary4j.runtime.graph.Onnx.node;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.runtime.TernaryModel;

class GraphTest {
    private static final int C = 8, H = 5, W = 6;

    /**
     * Runs reuse the arrays of values no later step reads: a pointwise conv's output also seen
     * through a Reshape (one array, two values) and read again at the end, a depthwise conv, a
     * Mul and a MaxPool, with two of the reshaped values as outputs. Every run matches ONNX
     * Runtime, a run's outputs stay intact through later runs, and the same input gives the same bits.
     */
    @Test
    void reusedArraysNeverReachALiveValueOrAnEarlierRunsOutputs() throws Exception {
        Random rnd = new Random(21);
        TernaryTensor pw = TernaryModelTest.randomTernary(rnd, new int[] {C, C, 1, 1}, new Grouping.Row(), false);
        TernaryTensor dw = TernaryModelTest.randomTernary(rnd, new int[] {C, 1, 3, 3}, new Grouping.Row(), false);
        List<OnnxMl.TensorProto> inits = List.of(Onnx.floats("pw", pw.shape(), pw.dequantize()), Onnx.floats("dw", dw.shape(), dw.dequantize()),
                Onnx.longs("flat", new int[] {3}, 1, C, H * W), Onnx.longs("half", new int[] {3}, 1, C, (H / 2) * (W / 2)));
        List<OnnxMl.NodeProto> nodes = List.of(
                node("Conv", new String[] {"x", "pw"}, new String[] {"a"}),
                node("Relu", new String[] {"a"}, new String[] {"ar"}),
                node("Reshape", new String[] {"ar", "flat"}, new String[] {"aflat"}),
                node("Conv", new String[] {"ar", "dw"}, new String[] {"d"}, ints("pads", 1, 1, 1, 1), i("group", C)),
                node("Mul", new String[] {"d", "d"}, new String[] {"m"}),
                node("MaxPool", new String[] {"m"}, new String[] {"p"}, ints("kernel_shape", 2, 2), ints("strides", 2, 2)),
                node("Reshape", new String[] {"p", "half"}, new String[] {"pflat"}),
                node("Reshape", new String[] {"m", "flat"}, new String[] {"mflat"}),
                node("Add", new String[] {"aflat", "mflat"}, new String[] {"y"}));
        OnnxMl.ModelProto model = Onnx.model(13, new String[] {"x"}, new String[] {"y", "pflat", "aflat"}, nodes, inits);
        Map<String, TernaryTensor> ternary = Map.of("pw", pw, "dw", dw);
        List<Map<String, Tensor>> inputs = new ArrayList<>();
        for (int k = 0; k < 4; k++) inputs.add(Map.of("x", OperatorsTest.input(new int[] {1, C, H, W}, rnd, false)));
        try (TernaryModel m = TernaryModel.load(Onnx.read(model), ternary, new TernaryModel.Options(1, Activations.FLOAT, false))) {
            List<Map<String, Tensor>> outs = new ArrayList<>();
            List<Map<String, float[]>> copies = new ArrayList<>();
            for (Map<String, Tensor> in : inputs) {
                Map<String, Tensor> out = m.run(in);
                outs.add(out);
                Map<String, float[]> c = new java.util.HashMap<>();
                out.forEach((k, v) -> c.put(k, v.floats().clone()));
                copies.add(c);
                Map<String, Tensor> ort = Onnx.ort(model, in);
                for (String name : List.of("y", "pflat", "aflat")) {
                    float[] want = ort.get(name).floats(), got = out.get(name).floats();
                    for (int j = 0; j < want.length; j++) assertEquals(want[j], got[j], 1e-4 * (1 + Math.abs(want[j])), name + " element " + j);
                }
            }
            for (int k = 0; k < inputs.size(); k++) {
                for (String name : List.of("y", "pflat", "aflat")) {
                    assertArrayEquals(copies.get(k).get(name), outs.get(k).get(name).floats(), "run " + k + "'s " + name + " after later runs");
                }
                assertArrayEquals(copies.get(k).get("y"), m.run(inputs.get(k)).get("y").floats(), "run " + k + " again");
            }
        }
    }
}
