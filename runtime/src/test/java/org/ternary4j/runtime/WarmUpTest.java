package org.ternary4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.runtime.graph.Activations;

/** The warm-up at load: it runs on inputs shaped from the declared dims, grows symbolic dims the model needs larger, and says when it did not run. */
class WarmUpTest {

    @Test
    void runsOnDeclaredShapes(@TempDir Path dir) throws Exception {
        try (OnnxModel m = model(dir, 1);
             TernaryModel warmed = TernaryModel.load(m, Map.of(), new TernaryModel.Options(1, Activations.INT8));
             TernaryModel cold = TernaryModel.load(m, Map.of(), new TernaryModel.Options(1, Activations.INT8, false))) {
            assertTrue(warmed.warmUp().startsWith("warm-up at load: "), warmed.warmUp());
            assertTrue(warmed.warmUp().contains("on [1, 3, 32, 32]"), warmed.warmUp());
            assertEquals("warm-up skipped: not asked for", cold.warmUp());
        }
    }

    /** A 48×48 pooling window does not fit 32×32: the warm-up takes the next size. */
    @Test
    void growsSymbolicDimsTheModelNeedsLarger(@TempDir Path dir) throws Exception {
        try (OnnxModel m = model(dir, 48); TernaryModel warmed = TernaryModel.load(m, Map.of(), new TernaryModel.Options(1, Activations.INT8))) {
            assertTrue(warmed.warmUp().contains("on [1, 3, 64, 64]"), warmed.warmUp());
        }
    }

    @Test
    void saysWhyWhenNoSizeFits(@TempDir Path dir) throws Exception {
        try (OnnxModel m = model(dir, 200); TernaryModel warmed = TernaryModel.load(m, Map.of(), new TernaryModel.Options(1, Activations.INT8))) {
            assertTrue(warmed.warmUp().startsWith("warm-up skipped: inputs [1, 3, 128, 128] do not fit the model: "), warmed.warmUp());
        }
    }

    /** MaxPool with a k×k window over x [batch, 3, h, w] (symbolic batch, h, w). */
    private static OnnxModel model(Path dir, int k) throws Exception {
        OnnxMl.TypeProto.Tensor.Builder t = OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber());
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(3));
        shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("h"));
        shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("w"));
        OnnxMl.ValueInfoProto x = OnnxMl.ValueInfoProto.newBuilder().setName("x").setType(OnnxMl.TypeProto.newBuilder().setTensorType(t.setShape(shape))).build();
        OnnxMl.ValueInfoProto y = OnnxMl.ValueInfoProto.newBuilder().setName("y")
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()))).build();
        OnnxMl.NodeProto pool = OnnxMl.NodeProto.newBuilder().setOpType("MaxPool").setName("pool").addInput("x").addOutput("y")
                .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("kernel_shape").setType(OnnxMl.AttributeProto.AttributeType.INTS).addInts(k).addInts(k)).build();
        OnnxMl.ModelProto model = OnnxMl.ModelProto.newBuilder().setIrVersion(7)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(OnnxMl.GraphProto.newBuilder().setName("g").addNode(pool).addInput(x).addOutput(y)).build();
        Path f = dir.resolve("pool" + k + ".onnx");
        Files.write(f, model.toByteArray());
        return OnnxModel.read(f);
    }
}
