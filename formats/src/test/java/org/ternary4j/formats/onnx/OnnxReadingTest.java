package org.ternary4j.formats.onnx;

import static org.junit.jupiter.api.Assertions.*;
import static org.ternary4j.formats.onnx.Onnx.*;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxReadingTest {
    @TempDir
    Path dir;

    /** The block model with W1, W3, W4 moved into {@code weights.bin} (W3 without a length entry, W4 after a gap). */
    private Path externalBlock(Path folder, String location) throws IOException {
        return externalBlock(folder, location, 0);
    }

    /** The same, with the tensors starting at byte {@code base} of the data file (sparse below it). */
    private Path externalBlock(Path folder, String location, long base) throws IOException {
        GraphProto.Builder g = TestModels.block().getGraph().toBuilder();
        long offset = base;
        try (FileChannel data = FileChannel.open(folder.resolve("weights.bin"), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int i = 0; i < g.getInitializerCount(); i++) {
                TensorProto t = g.getInitializer(i);
                if (t.getName().equals("b1")) continue;
                byte[] bytes = t.getRawData().toByteArray();
                if (t.getName().equals("W4")) offset += 13;
                data.write(ByteBuffer.wrap(bytes), offset);
                TensorProto ext = external(t.getName(), new int[] {(int) t.getDims(0), (int) t.getDims(1)}, location, offset, bytes.length);
                if (t.getName().equals("W3")) ext = ext.toBuilder().removeExternalData(2).build();
                g.setInitializer(i, ext);
                offset += bytes.length;
            }
        }
        return save(model(g.build()), folder.resolve("ext.onnx"));
    }

    @Test
    void externalTensorsBeyondTwoGigabytesAreMappedNotLoaded() throws Exception {
        // A sparse data file: the weights sit past byte 2^31, where int offsets and byte arrays fail.
        Path in = externalBlock(dir, "weights.bin", (1L << 31) + 4096);
        assertTrue(Files.size(dir.resolve("weights.bin")) > (1L << 31));
        OnnxResult r = OnnxTernarizer.run(in, dir.resolve("out.onnx"), OnnxTernarizerTest.options("tnt", "row"));
        assertEquals(2, r.reports().size());
        assertTrue(Files.size(r.externalData()) < 4096, "only the tensors are copied, not the file");
        Path embedded = save(TestModels.block(), dir.resolve("embedded.onnx"));
        OnnxResult e = OnnxTernarizer.run(embedded, dir.resolve("embedded-out.onnx"), OnnxTernarizerTest.options("tnt", "row"));
        float[] x = random(4, 16);
        assertArrayEquals(Ort.run(e.output(), "X", x, 2, 8), Ort.run(r.output(), "X", x, 2, 8), 0f);
    }

    @Test
    void externalDataIsReadRewrittenIntoItsOwnFileAndRunsLikeTheEmbeddedModel() throws Exception {
        Path in = externalBlock(dir, "weights.bin");
        byte[] modelBefore = Files.readAllBytes(in), dataBefore = Files.readAllBytes(dir.resolve("weights.bin"));
        OnnxOptions o = OnnxTernarizerTest.options("tnt", "row");
        OnnxResult r = OnnxTernarizer.run(in, dir.resolve("out.onnx"), o);
        assertEquals(dir.resolve("out.onnx.data").toAbsolutePath(), r.externalData());
        assertArrayEquals(modelBefore, Files.readAllBytes(in));
        assertArrayEquals(dataBefore, Files.readAllBytes(dir.resolve("weights.bin")));

        GraphProto out = OnnxModelFile.read(r.output()).getGraph();
        try (ExternalData ext = new ExternalData(r.output())) {
            for (String name : List.of("W1", "W3", "W4")) {
                TensorProto t = initializer(out, name);
                assertEquals(TensorProto.DataLocation.EXTERNAL, t.getDataLocation(), name);
                assertEquals("out.onnx.data", t.getExternalData(0).getValue());
                assertEquals(0, Long.parseLong(t.getExternalData(1).getValue()) % ExternalOutput.ALIGN);
            }
            // Untouched W1: the same bytes; ternarized W3: ternary per output column.
            ExternalData.Range w1 = ext.range(initializer(out, "W1"), 512);
            byte[] copied = Arrays.copyOfRange(Files.readAllBytes(w1.file()), (int) w1.offset(), (int) (w1.offset() + w1.length()));
            assertArrayEquals(initializer(TestModels.block().getGraph(), "W1").getRawData().toByteArray(), copied);
            float[] w3 = TensorCodec.decode(initializer(out, "W3"), FloatType.FLOAT, ext, "W3");
            Channels.assertTernaryPerChannel(Channels.inOut(w3, new int[] {8, 8}), 8);
        }
        // ONNX Runtime reads our external output and computes what the embedded ternarized model computes.
        Path embedded = save(TestModels.block(), dir.resolve("embedded.onnx"));
        OnnxResult e = OnnxTernarizer.run(embedded, dir.resolve("embedded-out.onnx"), o);
        float[] x = random(3, 16);
        assertArrayEquals(Ort.run(e.output(), "X", x, 2, 8), Ort.run(r.output(), "X", x, 2, 8), 0f);
        assertArrayEquals(Ort.run(embedded, "X", x, 2, 8), Ort.run(in, "X", x, 2, 8), 0f);
    }

    @Test
    void externalLocationsOutsideTheModelFolderAreRefused() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("model"));
        Files.write(dir.resolve("weights.bin"), new byte[4096]);
        for (String location : List.of("../weights.bin", dir.resolve("weights.bin").toString(), "sub/../../weights.bin")) {
            Path in = externalBlock(folder, location);
            Files.delete(folder.resolve("weights.bin"));
            IOException e = assertThrows(IOException.class, () -> OnnxTernarizer.run(in, folder.resolve("out.onnx"), OnnxTernarizerTest.options("tnt", "row")));
            assertTrue(e.getMessage().contains("outside the model's folder") && e.getMessage().contains(location), e.getMessage());
            assertFalse(Files.exists(folder.resolve("out.onnx")));
        }
        // A link inside the folder that points outside it.
        Path in = externalBlock(folder, "link.bin");
        Files.move(folder.resolve("weights.bin"), dir.resolve("weights.bin"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.createSymbolicLink(folder.resolve("link.bin"), dir.resolve("weights.bin"));
        IOException e = assertThrows(IOException.class, () -> OnnxTernarizer.run(in, folder.resolve("out.onnx"), OnnxTernarizerTest.options("tnt", "row")));
        assertTrue(e.getMessage().contains("outside the model's folder") && e.getMessage().contains("link"), e.getMessage());
        // The same link pointing inside the folder is fine.
        Files.delete(folder.resolve("link.bin"));
        Files.move(dir.resolve("weights.bin"), folder.resolve("real.bin"));
        Files.createSymbolicLink(folder.resolve("link.bin"), folder.resolve("real.bin"));
        assertEquals(2, OnnxTernarizer.run(in, folder.resolve("out.onnx"), OnnxTernarizerTest.options("tnt", "row")).reports().size());
    }

    @Test
    void truncatedExternalDataIsAClearError() throws Exception {
        Path in = externalBlock(dir, "weights.bin");
        byte[] data = Files.readAllBytes(dir.resolve("weights.bin"));
        Files.write(dir.resolve("weights.bin"), Arrays.copyOf(data, data.length - 100));
        IOException e = assertThrows(IOException.class, () -> OnnxTernarizer.run(in, dir.resolve("out.onnx"), OnnxTernarizerTest.options("tnt", "row")));
        assertTrue(e.getMessage().contains("tensor 'W4'") && e.getMessage().contains("truncated"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out.onnx")) || Files.exists(dir.resolve("out.onnx.data")));
    }

    @Test
    void truncatedGarbageAndEmptyModelFilesAreClearErrors() throws Exception {
        byte[] bytes = TestModels.cnn().toByteArray();
        Path half = dir.resolve("half.onnx");
        Files.write(half, Arrays.copyOf(bytes, bytes.length / 2));
        IOException e = assertThrows(IOException.class, () -> OnnxTernarizer.run(half, dir.resolve("out.onnx"), OnnxTernarizerTest.options("tnt", "row")));
        assertEquals(half + ": not a complete ONNX model (the file is truncated)", e.getMessage());
        assertFalse(Files.exists(dir.resolve("out.onnx")));

        Path empty = Files.write(dir.resolve("empty.onnx"), new byte[0]);
        e = assertThrows(IOException.class, () -> OnnxModelFile.read(empty));
        assertTrue(e.getMessage().startsWith(empty + ": not a complete ONNX model (no graph"), e.getMessage());

        Path garbage = Files.write(dir.resolve("garbage.onnx"), "this is not protobuf at all, just text\n".repeat(5).getBytes());
        e = assertThrows(IOException.class, () -> OnnxModelFile.read(garbage));
        assertTrue(e.getMessage().startsWith(garbage + ": not a"), e.getMessage());
    }

    @Test
    void nestingBombIsRefused() throws Exception {
        GraphProto inner = GraphProto.newBuilder().setName("leaf").build();
        for (int i = 0; i < 60; i++) {
            inner = GraphProto.newBuilder().setName("g" + i).addNode(node("If", "if" + i, in("cond"), in("o" + i), graphAttr("then_branch", inner))).build();
        }
        Path bomb = save(model(inner), dir.resolve("bomb.onnx"));
        IOException e = assertThrows(IOException.class, () -> OnnxTernarizer.run(bomb, dir.resolve("out.onnx"), OnnxTernarizerTest.options("tnt", "row")));
        assertEquals(bomb + ": messages nested more than 100 deep; refused (a nesting bomb or a corrupt file)", e.getMessage());
        // Ten levels of real nesting are fine.
        GraphProto ok = GraphProto.newBuilder().setName("leaf").build();
        for (int i = 0; i < 10; i++) ok = GraphProto.newBuilder().setName("g" + i).addNode(node("If", "if" + i, in("cond"), in("o" + i), graphAttr("then_branch", ok))).build();
        assertEquals(ok, OnnxModelFile.read(save(model(ok), dir.resolve("ok.onnx"))).getGraph());
    }

    @Test
    void halfAndDoublePrecisionWeightsKeepTheirTypeAndRepresentation() throws Exception {
        GraphProto.Builder g = GraphProto.newBuilder().setName("types");
        g.addInput(value("X", 2, 8)).addOutput(value("Y", 2, 4));
        g.addInitializer(half("H", 10, new int[] {8, 8}, random(61, 64), true));
        g.addInitializer(half("Ht", 10, new int[] {8, 8}, random(62, 64), false));
        g.addInitializer(half("B", 16, new int[] {8, 8}, random(63, 64), false));
        TensorProto.Builder d = TensorProto.newBuilder().setName("D").setDataType(11).addDims(8).addDims(4);
        for (float f : random(64, 32)) d.addDoubleData(f);
        g.addInitializer(d);
        g.addNode(node("MatMul", "m1", in("X", "H"), in("a")));
        g.addNode(node("MatMul", "m2", in("a", "Ht"), in("b")));
        g.addNode(node("MatMul", "m3", in("b", "B"), in("c")));
        g.addNode(node("MatMul", "m4", in("c", "D"), in("Y")));
        ModelProto m = model(g.build());
        Path in = save(m, dir.resolve("types.onnx"));
        OnnxResult r = OnnxTernarizer.run(in, dir.resolve("out.onnx"), OnnxTernarizerTest.options("two-scale", "row").withAllLayers(true));
        GraphProto out = OnnxModelFile.read(r.output()).getGraph();
        for (OnnxTernaryTensor t : r.tensors()) {
            TensorProto before = initializer(m.getGraph(), t.name()), after = initializer(out, t.name());
            assertEquals(before.getDataType(), after.getDataType(), t.name());
            assertEquals(before.hasRawData(), after.hasRawData(), t.name());
            assertEquals(before.getInt32DataCount(), after.getInt32DataCount(), t.name());
            assertEquals(before.getDoubleDataCount(), after.getDoubleDataCount(), t.name());
            float[] stored = values(after);
            Channels.assertTernaryPerChannel(Channels.inOut(stored, t.storedShape()), t.storedShape()[1]);
            // The ternary tensor's scales are rounded to the storage type: it stands for exactly what the file holds.
            assertArrayEquals(stored, t.layout().toStored(t.tensor().dequantize(), t.storedShape()), 0f, t.name());
        }
        assertEquals(List.of("FLOAT16", "FLOAT16", "BFLOAT16", "DOUBLE"), r.tensors().stream().map(OnnxTernaryTensor::dataType).toList());
    }

    @Test
    void nodesOutOfOrderAndCyclesAreHandled() throws Exception {
        ModelProto m = TestModels.shuffledBlock();
        List<Integer> order = GraphScan.order(m.getGraph(), "x");
        List<String> names = order.stream().map(i -> m.getGraph().getNode(i).getName()).toList();
        assertTrue(names.indexOf("mm1") < names.indexOf("add1") && names.indexOf("add1") < names.indexOf("mm2")
                && names.indexOf("mm2") < names.indexOf("mm3") && names.indexOf("mm3") < names.indexOf("mm4"), names.toString());
        GraphProto cycle = GraphProto.newBuilder().setName("loop").addNode(node("Relu", "a", in("y"), in("x"))).addNode(node("Relu", "b", in("x"), in("y"))).build();
        IOException e = assertThrows(IOException.class, () -> GraphScan.order(cycle, "c.onnx"));
        assertEquals("c.onnx: graph 'loop' has a cycle: 2 nodes never get their inputs", e.getMessage());
    }

    @Test
    void outerScopeWeightsUsedInsideASubgraphCountAndShadowingIsRespected() throws Exception {
        // The then-branch uses the outer W; the else-branch defines its own W that shadows it.
        GraphProto then = GraphProto.newBuilder().setName("then").addNode(node("MatMul", "t", in("h", "W"), in("t_out"))).addOutput(value("t_out", 2, 4)).build();
        GraphProto otherwise = GraphProto.newBuilder().setName("else").addNode(node("Relu", "shadow", in("h"), in("W")))
                .addNode(node("MatMul", "e", in("h", "W"), in("e_out"))).addOutput(value("e_out", 2, 4)).build();
        GraphProto.Builder g = GraphProto.newBuilder().setName("g").addInput(value("h", 2, 4)).addInput(typedValue("cond", 9, 1)).addOutput(value("Y", 2, 4));
        g.addInitializer(raw("W", new int[] {4, 4}, random(71, 16)));
        g.addNode(node("If", "branch", in("cond"), in("Y"), graphAttr("then_branch", then), graphAttr("else_branch", otherwise)));
        GraphScan s = GraphScan.of(model(g.build()), "s.onnx", false);
        assertEquals(1, s.layers.size());
        assertEquals("t", s.layers.get(0).nodeName());
        assertEquals(List.of(1), List.copyOf(s.uses.values()));
    }
}
