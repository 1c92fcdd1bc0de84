package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpyWriter;

class EvalCommandTest {
    @TempDir Path dir;

    /** The shared in-process runner, under this test's short names. */
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        CliRun r = CliRun.of(args);
        return new Run(r.exitCode(), r.out(), r.err());
    }

    /** y = x[:, :3] as class scores: arg-max of the first three features. */
    static Path pickModel(Path file, int in) throws IOException {
        return pickModel(file, in, 0, 3);
    }

    /** Class j's score is feature first + j: y = x[:, first : first + classes]. */
    static Path pickModel(Path file, int in, int first, int classes) throws IOException {
        TensorProto.Builder w = TensorProto.newBuilder().setName("W").setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(in).addDims(classes);
        for (int i = 0; i < in; i++) for (int j = 0; j < classes; j++) w.addFloatData(i == first + j ? 1 : 0);
        GraphProto g = GraphProto.newBuilder().setName("pick")
                .addInput(value("x", "N", in)).addInitializer(w)
                .addNode(NodeProto.newBuilder().setOpType("MatMul").addInput("x").addInput("W").addOutput("y"))
                .addOutput(value("y", "N", classes)).build();
        ModelProto m = ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(g).build();
        return Files.write(file, m.toByteArray());
    }

    private static ValueInfoProto value(String name, String batch, int n) {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(batch))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(n)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }

    /** Five examples; under pickModel four are right (see EvaluatorTest in the eval module). */
    private Path[] fiveExamples() throws IOException {
        Path x = dir.resolve("x.npy"), y = dir.resolve("y.npy");
        NpyWriter.writeFloats(x, new NdArray(new int[] {5, 4}, new float[] {5, 1, 0, 9, 0, 2, 1, 9, 0, 0, 3, 9, 1, 4, 0, 9, 2, 0, 1, 0}));
        NpyWriter.writeLongs(y, new int[] {5}, new long[] {0, 1, 2, 0, 0});
        return new Path[] {x, y};
    }

    @Test
    void jsonAccuracyLimitAndCompare() throws IOException {
        Path model = pickModel(dir.resolve("m.onnx"), 4);
        Path other = Files.copy(model, dir.resolve("other.onnx"));
        Path[] xy = fiveExamples();
        ObjectMapper json = new ObjectMapper();

        Run r = run("eval", model.toString(), "--data", xy[0].toString(), "--labels", xy[1].toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = json.readTree(r.out());
        assertEquals(0.8, j.get("top1").asDouble());
        assertEquals(5, j.get("n").asInt());
        assertTrue(!j.has("compare"));

        j = json.readTree(run("eval", model.toString(), "--data", xy[0].toString(), "--labels", xy[1].toString(), "--limit", "4", "--json").out());
        assertEquals(0.75, j.get("top1").asDouble());
        assertEquals(4, j.get("n").asInt());

        r = run("eval", model.toString(), "--data", xy[0].toString(), "--compare", other.toString(), "--json");
        j = json.readTree(r.out());
        assertTrue(j.get("top1").isNull(), "no labels, no accuracy");
        assertEquals(1.0, j.get("compare").get("agreement").asDouble());
        assertEquals(1.0, j.get("compare").get("meanCosine").asDouble(), 1e-12);

        r = run("eval", model.toString(), "--data", "random:10", "--compare", other.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("arg-max agreement 100.00 %"), r.out());
    }

    /**
     * End to end on the real test split: the model scores class j by pixel (14, 9 + j) of the
     * flattened image, so the expected accuracy follows from the raw IDX bytes alone.
     */
    @Test
    void fashionMnistIsReshapedToAnMlpInput() throws IOException {
        Path model = pickModel(dir.resolve("mlp.onnx"), 784, 14 * 28 + 9, 10);
        int n = 300;
        byte[] images = gunzip(Path.of("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"));
        byte[] labels = gunzip(Path.of("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"));
        int correct = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < 10; j++) {
                if ((images[16 + i * 784 + 14 * 28 + 9 + j] & 0xff) > (images[16 + i * 784 + 14 * 28 + 9 + best] & 0xff)) best = j;
            }
            if (best == labels[8 + i]) correct++;
        }
        assertTrue(correct > 0 && correct < n, "the oracle must not be degenerate: " + correct);
        Run r = run("eval", model.toString(), "--data", "fashion-mnist", "--limit", "" + n, "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(n, j.get("n").asInt());
        assertEquals((double) correct / n, j.get("top1").asDouble());
    }

    private static byte[] gunzip(Path p) throws IOException {
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(p))) {
            return in.readAllBytes();
        }
    }

    @Test
    void errorsAreOneLineNamingTheFile() throws IOException {
        Path model = pickModel(dir.resolve("m.onnx"), 4);
        Path missing = dir.resolve("nothing.npz");
        Run r = run("eval", model.toString(), "--data", missing.toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("ternary4j: " + missing), r.err());

        Path[] xy = fiveExamples();
        r = run("eval", dir.resolve("no.onnx").toString(), "--data", xy[0].toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no.onnx: no such file"), r.err());

        Path wide = pickModel(dir.resolve("wide.onnx"), 6);
        r = run("eval", wide.toString(), "--data", xy[0].toString(), "--json");
        assertEquals(1, r.code());
        assertEquals("", r.out(), "no partial output");
        assertTrue(r.err().contains("do not fit"), r.err());

        r = run("eval", model.toString(), "--data", xy[0].toString(), "--limit", "0");
        assertEquals(Errors.USAGE, r.code());
        assertEquals("ternary4j: invalid value for option '--limit': '0' is not ≥ 1; see 'ternary4j eval --help'", r.err().strip());
    }
}
