package org.ternary4j.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.runtime.graph.Tensor;

/** What {@link TernaryModel#load} refuses, always with one line that starts with the model's file. */
class TernaryModelLoadTest {
    @TempDir
    Path dir;

    private static OnnxMl.TensorProto weight(int rawBytes) {
        ByteBuffer b = ByteBuffer.allocate(rawBytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rawBytes / 4; i++) b.putFloat(i + 1);
        return OnnxMl.TensorProto.newBuilder().setName("W").setDataType(OnnxMl.TensorProto.DataType.FLOAT_VALUE).addDims(2).addDims(3)
                .setRawData(shade.com.google.protobuf.ByteString.copyFrom(b.array())).build();
    }

    private static OnnxMl.ValueInfoProto value(String name) {
        return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT_VALUE))).build();
    }

    /** y = relu(x · W) + z, where {@code z} comes from {@code last} (the Add's own output when it is "y"). */
    private Path model(OnnxMl.TensorProto w, String last) throws IOException {
        OnnxMl.GraphProto g = OnnxMl.GraphProto.newBuilder().setName("g").addInput(value("x")).addOutput(value("y")).addInitializer(w)
                .addNode(OnnxMl.NodeProto.newBuilder().setName("mm").setOpType("MatMul").addInput("x").addInput("W").addOutput("h"))
                .addNode(OnnxMl.NodeProto.newBuilder().setName("relu").setOpType("Relu").addInput("h").addOutput("r"))
                .addNode(OnnxMl.NodeProto.newBuilder().setName("add").setOpType("Add").addInput("r").addInput(last).addOutput("y")).build();
        OnnxMl.ModelProto m = OnnxMl.ModelProto.newBuilder().setIrVersion(8).setGraph(g)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).build();
        Path f = dir.resolve("m.onnx");
        Files.write(f, m.toByteArray());
        return f;
    }

    private static String refusal(Path file) {
        IOException e = assertThrows(IOException.class, () -> {
            try (OnnxModel m = OnnxModel.read(file)) {
                TernaryModel.load(m, Map.of(), TernaryModel.Options.defaults()).close();
            }
        });
        String msg = e.getMessage();
        assertEquals(-1, msg.indexOf('\n'), msg);
        assertEquals(file + ": ", msg.substring(0, Math.min(msg.length(), file.toString().length() + 2)), msg);
        return msg.substring(file.toString().length() + 2);
    }

    @Test
    void validModelComputesWhatItSays() throws IOException {
        Path f = model(weight(24), "r");
        try (OnnxModel m = OnnxModel.read(f); TernaryModel t = TernaryModel.load(m, Map.of(), TernaryModel.Options.defaults())) {
            // x = [1, -1]: x·W = [1−4, 2−5, 3−6] = [−3, −3, −3], relu 0, doubled 0; x = [2, 1]: [6, 9, 12], doubled
            float[] y = t.run(Map.of("x", new Tensor.F32(new int[] {2, 2}, new float[] {1, -1, 2, 1}))).get("y").floats();
            assertArrayEquals(new float[] {0, 0, 0, 12, 18, 24}, y, Arrays.toString(y));
        }
    }

    @Test
    void rawDataShorterThanItsDimsIsRefused() throws IOException {
        assertEquals("tensor 'W': raw_data has 20 bytes, shape and type need 24", refusal(model(weight(20), "r")));
    }

    @Test
    void nodeThatConsumesItsOwnOutputIsRefused() throws IOException {
        assertEquals("graph 'g': node 'add' consumes its own output 'y'", refusal(model(weight(24), "y")));
    }

    @Test
    void truncatedFileIsRefused() throws IOException {
        Path f = model(weight(24), "r");
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 7));
        assertEquals("not a complete ONNX model (the file is truncated)", refusal(f));
    }

    @Test
    void unsupportedOperatorsAreListedTogether() throws IOException {
        Path f = withGeluAnd(OnnxMl.NodeProto.newBuilder().setName("lstm").setOpType("LSTM").addInput("y").addOutput("z"));
        assertEquals("model uses operators the runtime does not support: Gelu, LSTM", refusal(f));
    }

    @Test
    void attributeValuesTheRuntimeLacksAreListedWithTheOperators() throws IOException {
        Path f = withGeluAnd(OnnxMl.NodeProto.newBuilder().setName("up").setOpType("Resize").addInput("y").addInput("").addInput("W").addOutput("z")
                .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("mode").setType(OnnxMl.AttributeProto.AttributeType.STRING)
                        .setS(shade.com.google.protobuf.ByteString.copyFromUtf8("cubic"))));
        assertEquals("model uses operators the runtime does not support: Gelu, Resize mode 'cubic' (nearest and linear are supported)", refusal(f));
    }

    /** The valid model with its Relu turned into a Gelu (an operator no runtime here has) and {@code extra} appended. */
    private Path withGeluAnd(OnnxMl.NodeProto.Builder extra) throws IOException {
        Path f = model(weight(24), "r");
        OnnxMl.ModelProto m = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(f));
        OnnxMl.GraphProto.Builder g = m.getGraph().toBuilder();
        g.setNode(1, g.getNode(1).toBuilder().setOpType("Gelu"));
        g.addNode(extra);
        Files.write(f, m.toBuilder().setGraph(g).build().toByteArray());
        return f;
    }
}
