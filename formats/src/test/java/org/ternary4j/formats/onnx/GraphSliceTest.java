package org.ternary4j.formats.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.formats.onnx.Onnx.in;

import ai.onnx.proto.OnnxMl.GraphProto;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cutting a stretch out of a graph: the nodes between the given values and the outputs, with the constants they use. */
class GraphSliceTest {
    @TempDir
    Path dir;

    /** x → MatMul(w1) → a → Relu → b → MatMul(w2, a Constant node) → c → Add(b) → y. */
    private OnnxModel model() throws IOException {
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInput(Onnx.value("x", 1, 2))
                .addInitializer(Onnx.raw("w1", new int[] {2, 2}, new float[] {1, 2, 3, 4}))
                .addNode(Onnx.constant("w2", Onnx.raw("w2", new int[] {2, 2}, new float[] {5, 6, 7, 8})))
                .addNode(Onnx.node("MatMul", "m1", in("x", "w1"), in("a")))
                .addNode(Onnx.node("Relu", "r", in("a"), in("b")))
                .addNode(Onnx.node("MatMul", "m2", in("b", "w2"), in("c")))
                .addNode(Onnx.node("Add", "add", in("c", "b"), in("y")))
                .addOutput(Onnx.value("y", 1, 2))
                .build();
        return OnnxModel.read(Onnx.save(Onnx.model(g), dir.resolve("m.onnx")));
    }

    @Test
    void keepsTheNodesBetweenAndTheConstantsTheyUse() throws IOException {
        try (OnnxModel m = model(); OnnxModel s = m.slice(Map.of("b", ElementType.FLOAT, "x", ElementType.FLOAT), List.of("y"))) {
            assertEquals(List.of("m2", "add"), s.graph().nodes().stream().filter(n -> !n.opType().equals("Constant")).map(OnnxNode::name).toList());
            assertEquals(List.of("b"), s.graph().inputs().stream().map(ValueInfo::name).toList()); // x is not used
            assertTrue(s.graph().constant("w2").isPresent());
            assertTrue(s.graph().initializers().isEmpty()); // w1 belongs to the part before the cut
            assertEquals(List.of("y"), s.graph().outputs().stream().map(ValueInfo::name).toList());
        }
    }

    @Test
    void aValueNeitherGivenNorComputedIsAnError() throws IOException {
        try (OnnxModel m = model()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.slice(Map.of("a", ElementType.FLOAT), List.of("y", "x")));
            assertTrue(e.getMessage().contains("m.onnx") && e.getMessage().contains("'x'"), e.getMessage());
        }
    }
}
