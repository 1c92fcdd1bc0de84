package org.ternary4j.cli;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.data.NpzWriter;

/** The broken, hostile and non-regular files the hostile-case tests feed to every command. */
final class HostileFiles {
    private HostileFiles() {}

    /** LeNet-5's input: N×1×28×28 floats of {@code value}, labels {@code labels} (none when null). */
    static Path npz(Path file, int n, float value, int[] labels) throws IOException {
        float[] x = new float[n * 28 * 28];
        Arrays.fill(x, value);
        return npz(file, new NdArray(new int[] {n, 1, 28, 28}, x), "x", labels);
    }

    static Path npz(Path file, NdArray x, String name, int[] labels) throws IOException {
        List<NpzWriter.Entry> entries = new java.util.ArrayList<>(List.of(new NpzWriter.Floats(name, x)));
        if (labels != null) entries.add(new NpzWriter.Longs("y", new int[] {labels.length}, Arrays.stream(labels).asLongStream().toArray()));
        NpzWriter.write(file, entries);
        return file;
    }

    /** An .npz holding two entries named x.npy (ZipOutputStream refuses to write one, so the second name is patched). */
    static Path duplicateEntries(Path file) throws IOException {
        float[] x = new float[2 * 784];
        NpzWriter.write(file, List.of(new NpzWriter.Floats("x", new NdArray(new int[] {2, 1, 28, 28}, x)),
                new NpzWriter.Floats("q", new NdArray(new int[] {2, 1, 28, 28}, x))));
        String latin = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).replace("q.npy", "x.npy");
        return Files.write(file, latin.getBytes(StandardCharsets.ISO_8859_1));
    }

    static Path fifo(Path file) throws IOException, InterruptedException {
        if (new ProcessBuilder("mkfifo", file.toString()).start().waitFor() != 0) throw new IOException("mkfifo " + file + " failed");
        return file;
    }

    /** The ONNX graph edits that make a model invalid, by name. */
    static Map<String, UnaryOperator<ModelProto>> graphDefects() {
        Map<String, UnaryOperator<ModelProto>> m = new LinkedHashMap<>();
        m.put("node consuming its own output", p -> graph(p, g -> {
            NodeProto n = g.getNode(2);
            g.setNode(2, n.toBuilder().setInput(0, n.getOutput(0)));
        }));
        m.put("input nothing produces", p -> graph(p, g -> g.setNode(2, g.getNode(2).toBuilder().setInput(0, "nowhere"))));
        m.put("missing weight", p -> graph(p, g -> g.removeInitializer(index(g, "conv2.weight"))));
        m.put("duplicate initializer, same shape", p -> graph(p, g -> g.addInitializer(g.getInitializer(index(g, "conv1.bias")))));
        m.put("duplicate initializer, other shape", p -> graph(p, g -> g.addInitializer(g.getInitializer(index(g, "conv2.bias")).toBuilder()
                .setName("conv1.bias"))));
        m.put("raw_data and float_data", p -> graph(p, g -> {
            int i = index(g, "fc1.bias");
            TensorProto t = g.getInitializer(i);
            if (t.getRawData().isEmpty()) throw new IllegalStateException("fc1.bias is expected as raw_data");
            g.setInitializer(i, t.toBuilder().addFloatData(1f));
        }));
        m.put("Gemm transB=7", p -> graph(p, g -> attribute(g, "Gemm", AttributeProto.newBuilder().setName("transB")
                .setType(AttributeProto.AttributeType.INT).setI(7).build())));
        m.put("Gemm alpha=NaN", p -> graph(p, g -> attribute(g, "Gemm", AttributeProto.newBuilder().setName("alpha")
                .setType(AttributeProto.AttributeType.FLOAT).setF(Float.NaN).build())));
        m.put("Conv group not dividing the channels", p -> graph(p, g -> attribute(g, "Conv", AttributeProto.newBuilder().setName("group")
                .setType(AttributeProto.AttributeType.INT).setI(4).build())));
        return m;
    }

    /** fc1's weight stored transposed: a valid graph whose Gemm ONNX Runtime cannot run. */
    static UnaryOperator<ModelProto> wrongGemmWeight() {
        return p -> graph(p, g -> {
            int i = index(g, "fc1.weight");
            TensorProto t = g.getInitializer(i);
            g.setInitializer(i, t.toBuilder().setDims(0, t.getDims(1)).setDims(1, t.getDims(0)));
        });
    }

    static Path edited(Path model, Path file, UnaryOperator<ModelProto> edit) throws IOException {
        ModelProto p = ModelProto.parseFrom(Files.readAllBytes(model));
        return Files.write(file, edit.apply(p).toByteArray());
    }

    private static ModelProto graph(ModelProto p, java.util.function.Consumer<GraphProto.Builder> edit) {
        GraphProto.Builder g = p.getGraph().toBuilder();
        edit.accept(g);
        return p.toBuilder().setGraph(g).build();
    }

    private static int index(GraphProto.Builder g, String initializer) {
        for (int i = 0; i < g.getInitializerCount(); i++) if (g.getInitializer(i).getName().equals(initializer)) return i;
        throw new IllegalStateException("no initializer " + initializer);
    }

    /** Sets {@code a} on the first node of {@code op}, replacing an attribute of the same name. */
    private static void attribute(GraphProto.Builder g, String op, AttributeProto a) {
        for (int i = 0; i < g.getNodeCount(); i++) {
            if (!g.getNode(i).getOpType().equals(op)) continue;
            NodeProto.Builder n = g.getNode(i).toBuilder();
            for (int k = n.getAttributeCount() - 1; k >= 0; k--) if (n.getAttribute(k).getName().equals(a.getName())) n.removeAttribute(k);
            g.setNode(i, n.addAttribute(a));
            return;
        }
        throw new IllegalStateException("no " + op + " node");
    }

    /** A copy of a packed file whose safetensors header's metadata is edited (the tensors stay as they are). */
    static Path packedWithMetadata(Path packed, Path file, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        byte[] all = Files.readAllBytes(packed);
        long headerLength = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = (ObjectNode) json.readTree(new String(all, 8, (int) headerLength, StandardCharsets.UTF_8));
        edit.accept((ObjectNode) header.get("__metadata__"));
        byte[] h = json.writeValueAsBytes(header);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded + all.length - 8 - (int) headerLength).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) out.put((byte) ' ');
        out.put(all, 8 + (int) headerLength, all.length - 8 - (int) headerLength);
        return Files.write(file, out.array());
    }
}
