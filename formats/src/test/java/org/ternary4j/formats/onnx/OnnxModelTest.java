package org.ternary4j.formats.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.formats.onnx.Onnx.in;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model layer: decoded graphs in topological order, one decoder for every encoding, and the graph check. */
class OnnxModelTest {
    @TempDir
    Path dir;

    private static GraphProto.Builder mlp() {
        return GraphProto.newBuilder().setName("g")
                .addInput(Onnx.value("x", 1, 3))
                .addInitializer(Onnx.raw("w", new int[] {3, 2}, new float[] {1, 2, 3, 4, 5, 6}))
                .addNode(Onnx.node("Relu", "relu", in("y"), in("z")))            // listed before its producer
                .addNode(Onnx.node("MatMul", "mm", in("x", "w"), in("y")))
                .addOutput(Onnx.value("z", 1, 2));
    }

    private OnnxModel read(GraphProto.Builder g) throws IOException {
        return OnnxModel.read(Onnx.save(Onnx.model(g.build()), dir.resolve("m.onnx")));
    }

    @Test
    void nodesComeInTopologicalOrderWithDecodedTensors() throws IOException {
        try (OnnxModel m = read(mlp())) {
            assertEquals(List.of("mm", "relu"), m.graph().nodes().stream().map(OnnxNode::name).toList());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, m.graph().initializers().get("w").floats());
            assertArrayEquals(new int[] {3, 2}, m.graph().constant("w").orElseThrow().shape());
            assertEquals(List.of("x"), m.graph().runtimeInputs().stream().map(ValueInfo::name).toList());
        }
    }

    @Test
    void integerTensorsDecodeFromRawAndTypedFields() throws IOException {
        TensorProto raw = TensorProto.newBuilder().setName("r").setDataType(TensorProto.DataType.INT64_VALUE).addDims(3)
                .setRawData(shade.com.google.protobuf.ByteString.copyFrom(new byte[] {1, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1, 7, 0, 0, 0, 0, 0, 0, 0})).build();
        TensorProto typed = TensorProto.newBuilder().setName("t").setDataType(TensorProto.DataType.UINT8_VALUE).addDims(2)
                .addInt32Data(255).addInt32Data(3).build();
        try (OnnxModel m = read(mlp().addInitializer(raw).addInitializer(typed))) {
            assertArrayEquals(new long[] {1, -1, 7}, m.graph().initializers().get("r").longs());
            assertArrayEquals(new long[] {255, 3}, m.graph().initializers().get("t").longs());
        }
    }

    @Test
    void constantNodesAndAttributesAreDecoded() throws IOException {
        GraphProto.Builder g = mlp().addNode(Onnx.constant("c", Onnx.typed("cv", new int[] {2}, new float[] {0.5f, -1})))
                .addNode(Onnx.node("Gemm", "gemm", in("z", "c"), in("u"), Onnx.intAttr("transB", 1), Onnx.floatAttr("alpha", 2f)));
        try (OnnxModel m = read(g)) {
            OnnxNode gemm = m.graph().nodes().stream().filter(n -> n.opType().equals("Gemm")).findFirst().orElseThrow();
            assertEquals(1, gemm.intAttr("transB", 0));
            assertEquals(2f, gemm.floatAttr("alpha", 1f));
            assertEquals(1f, gemm.floatAttr("beta", 1f));
            assertArrayEquals(new float[] {0.5f, -1}, m.graph().constant("c").orElseThrow().floats());
        }
    }

    private void refused(GraphProto.Builder g, String expected) {
        IOException e = assertThrows(IOException.class, () -> read(g).close());
        assertTrue(e.getMessage().startsWith(dir.resolve("m.onnx").toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void hostileGraphsAreRefusedWithTheFileNamed() {
        refused(mlp().addNode(Onnx.node("Relu", "loop", in("q"), in("q"))), "consumes its own output 'q'");
        refused(mlp().addNode(Onnx.node("Relu", "orphan", in("nowhere"), in("v"))), "reads 'nowhere', which nothing produces");
        refused(mlp().addInitializer(Onnx.raw("w", new int[] {1}, new float[] {1})), "two initializers named 'w'");
        refused(mlp().addNode(Onnx.node("Relu", "again", in("x"), in("y"))), "'y' is produced twice");
        refused(mlp().addNode(Onnx.node("Relu", "a", in("b2"), in("a2"))).addNode(Onnx.node("Relu", "b", in("a2"), in("b2"))), "cycle");
        refused(mlp().addOutput(Onnx.value("ghost", 1)), "output 'ghost' is produced by nothing");
        // A name with a line break (as a fuzzer found) is shown escaped: the message stays one line.
        refused(mlp().addNode(Onnx.node("Relu", "odd", in("bad\nname"), in("v"))), "reads 'bad\\nname', which nothing produces");
        refused(mlp().addNode(Onnx.node("Gemm", "g7", in("z", "w"), in("u"), Onnx.intAttr("transB", 7))), "transB must be 0 or 1");
        refused(mlp().addNode(Onnx.node("Gemm", "gn", in("z", "w"), in("u"), Onnx.floatAttr("alpha", Float.NaN))), "alpha must be finite");
        refused(mlp().addInitializer(Onnx.raw("k", new int[] {3, 1, 1, 1}, new float[] {1, 2, 3}))
                .addNode(Onnx.node("Conv", "cg", in("x", "k"), in("u"), Onnx.intAttr("group", 2))), "group 2 does not divide");
    }

    @Test
    void aTensorWithTwoEncodingsIsRefusedWhenReadOneWithTooFewBytesWhenDecoded() throws IOException {
        TensorProto both = Onnx.raw("both", new int[] {1}, new float[] {1}).toBuilder().addFloatData(2).build();
        IOException e1 = assertThrows(IOException.class, () -> read(mlp().addInitializer(both)));
        assertTrue(e1.getMessage().contains("tensor 'both': has both raw_data and typed values"), e1.getMessage());
        TensorProto shortRaw = Onnx.raw("short", new int[] {4}, new float[] {1, 2});
        try (OnnxModel m = read(mlp().addInitializer(shortRaw))) {
            IOException e2 = assertThrows(IOException.class, () -> m.graph().initializers().get("short").floats());
            assertTrue(e2.getMessage().contains("raw_data has 8 bytes"), e2.getMessage());
        }
    }

    @Test
    void editsGiveNewModelsAndLeaveTheOriginal() throws IOException {
        try (OnnxModel m = read(mlp()); OnnxModel edited = m.withFloats(java.util.Map.of("w", new float[] {0, 0, 0, 0, 0, 1})).withOutputs(List.of("y"))) {
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, m.graph().initializers().get("w").floats());
            assertArrayEquals(new float[] {0, 0, 0, 0, 0, 1}, edited.graph().initializers().get("w").floats());
            assertEquals(List.of("z", "y"), edited.graph().outputs().stream().map(ValueInfo::name).toList());
            assertTrue(edited.toBytes().length > 0);
        }
        GraphProto.Builder withConstant = mlp().addNode(Onnx.constant("c", Onnx.typed("cv", new int[] {2}, new float[] {0.5f, -1})))
                .addNode(Onnx.node("Add", "add", in("z", "c"), in("u")));
        try (OnnxModel m = read(withConstant); OnnxModel edited = m.withFloats(java.util.Map.of("c", new float[] {3, 4}))) {
            assertArrayEquals(new float[] {3, 4}, edited.graph().constant("c").orElseThrow().floats());
            assertThrows(IllegalArgumentException.class, () -> m.withFloats(java.util.Map.of("nothing", new float[1])));
        }
    }

}
