package org.ternary4j.formats.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.formats.onnx.Onnx.in;
import static org.ternary4j.formats.onnx.Onnx.node;
import static org.ternary4j.formats.onnx.Onnx.raw;

import ai.onnx.proto.OnnxMl.GraphProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputScaleEditTest {
    @TempDir
    Path dir;

    /** x [2, 3] → MatMul W1 [3, 2] (a), MatMul W2 [3, 2] (b), and Relu(x) (r). */
    private Path model() throws Exception {
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInput(Onnx.value("x", 2, 3))
                .addInitializer(raw("W1", new int[] {3, 2}, new float[] {1, 2, 3, 4, 5, 6}))
                .addInitializer(raw("W2", new int[] {3, 2}, new float[] {-1, 0, 2, 1, 0.5f, -3}))
                .addNode(node("Relu", "relu", in("x"), in("r")))
                .addNode(node("MatMul", "m1", in("x", "W1"), in("a")))
                .addNode(node("MatMul", "m2", in("x", "W2"), in("b")))
                .addOutput(Onnx.value("a", 2, 2)).addOutput(Onnx.value("b", 2, 2)).addOutput(Onnx.value("r", 2, 3))
                .build();
        return Onnx.save(Onnx.model(g), dir.resolve("m.onnx"));
    }

    @Test
    void onlyTheNamedLayersReadTheScaledValueAndOnnxRuntimeComputesIt() throws Exception {
        Path m = model();
        float[] x = {1, -2, 3, 0.5f, 4, -1};
        try (OnnxModel model = OnnxModel.read(m)) {
            OnnxModel scaled = model.withInputScales(List.of(new InputScale("x", List.of("W1"), new float[] {2, 0.5f, -1})));
            List<OnnxNode> nodes = scaled.graph().nodes();
            OnnxNode mul = nodes.stream().filter(n -> n.opType().equals("Mul")).findFirst().orElseThrow();
            assertEquals("x", mul.inputs().get(0));
            String xs = mul.outputs().get(0);
            assertEquals(List.of(xs, "W1"), nodes.stream().filter(n -> n.name().equals("m1")).findFirst().orElseThrow().inputs());
            assertEquals(List.of("x", "W2"), nodes.stream().filter(n -> n.name().equals("m2")).findFirst().orElseThrow().inputs());
            assertEquals(List.of("x"), nodes.stream().filter(n -> n.name().equals("relu")).findFirst().orElseThrow().inputs());
            assertTrue(nodes.indexOf(mul) < nodes.indexOf(nodes.stream().filter(n -> n.name().equals("m1")).findFirst().orElseThrow()));
            Path out = Files.write(dir.resolve("s.onnx"), scaled.toBytes());
            // a = (x · diag(2, 0.5, −1)) · W1, by hand for the first row: (2, −1, −3) · W1 = (2 − 3 − 15, 4 − 4 − 18).
            float[] a = Ort.run(out, "x", x, 2, 3);
            assertArrayEquals(new float[] {-16, -18}, java.util.Arrays.copyOf(a, 2), 1e-6f);
        }
    }

    @Test
    void aWeightNoNodeReadsWithTheValueIsAnErrorNamingTheFile() throws Exception {
        Path m = model();
        try (OnnxModel model = OnnxModel.read(m)) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> model.withInputScales(List.of(new InputScale("r", List.of("W1"), new float[] {1, 1, 1}))));
            assertEquals(m + ": no node reads 'r' with weight [W1]", e.getMessage());
        }
    }
}
