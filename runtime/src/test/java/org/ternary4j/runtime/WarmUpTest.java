package org.ternary4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.runtime.graph.Activations;
import org.ternary4j.runtime.graph.Tensor;

/** The warm-up at load: it runs on inputs shaped from the declared dims (or the caller's), grows symbolic dims the model needs larger, and says when it did not run. */
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

    /**
     * A symbolic batch and sizes: every fourth run takes batch 8 or 16, or odd sizes (the loops'
     * tails) at batch 1 or 8, in turn, so that those kernels are compiled too.
     */
    @Test
    void alsoRunsBatchesAndOddSizesWhenTheyAreSymbolic(@TempDir Path dir) throws Exception {
        try (OnnxModel m = model(dir, 1); TernaryModel warmed = TernaryModel.load(m, Map.of(), new TernaryModel.Options(1, Activations.AUTO))) {
            assertTrue(warmed.warmUp().contains("on [1, 3, 32, 32] (every fourth after the first 20 in turn on [8, 3, 32, 32], [16, 3, 32, 32], "
                    + "[1, 3, 29, 29], [8, 3, 29, 29])"), warmed.warmUp());
            assertTrue(runs(warmed) > 20, warmed.warmUp());
        }
    }

    /** A graph that fixes its sizes but not its batch inside (a Reshape to [-1, 3, 32, 32]) fails at odd sizes: the warm-up goes on with the batches. */
    @Test
    void aGraphThatFixesItsSizesWarmsUpOnBatchesOnly(@TempDir Path dir) throws Exception {
        OnnxMl.TensorProto target = OnnxMl.TensorProto.newBuilder().setName("target").addDims(4)
                .setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber()).addInt64Data(-1).addInt64Data(3).addInt64Data(32).addInt64Data(32).build();
        OnnxMl.NodeProto reshape = OnnxMl.NodeProto.newBuilder().setOpType("Reshape").setName("fix").addInput("x").addInput("target").addOutput("y").build();
        try (OnnxModel m = model(dir, "sized", reshape, target); TernaryModel warmed = TernaryModel.load(m, Map.of(), new TernaryModel.Options(1, Activations.AUTO))) {
            assertTrue(warmed.warmUp().contains("on [1, 3, 32, 32] (every fourth after the first 20 in turn on [8, 3, 32, 32], [16, 3, 32, 32]) in "), warmed.warmUp());
        }
    }

    /** A graph that fixes its batch inside (a Reshape to [1, 3, 32, 32]) fails at batch 8: the warm-up goes on at batch 1 alone. */
    @Test
    void aGraphThatFixesItsBatchWarmsUpAtBatchOne(@TempDir Path dir) throws Exception {
        OnnxMl.TensorProto target = OnnxMl.TensorProto.newBuilder().setName("target").addDims(4)
                .setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber()).addInt64Data(1).addInt64Data(3).addInt64Data(32).addInt64Data(32).build();
        OnnxMl.NodeProto reshape = OnnxMl.NodeProto.newBuilder().setOpType("Reshape").setName("fix").addInput("x").addInput("target").addOutput("y").build();
        try (OnnxModel m = model(dir, "fixed", reshape, target); TernaryModel warmed = TernaryModel.load(m, Map.of(), new TernaryModel.Options(1, Activations.AUTO))) {
            assertTrue(warmed.warmUp().startsWith("warm-up at load: "), warmed.warmUp());
            assertTrue(warmed.warmUp().contains("on [1, 3, 32, 32] in "), warmed.warmUp());
            assertTrue(runs(warmed) > 24, warmed.warmUp());
        }
    }

    private static int runs(TernaryModel m) {
        String s = m.warmUp().substring("warm-up at load: ".length());
        return Integer.parseInt(s.substring(0, s.indexOf(' ')));
    }

    /** On the caller's inputs: their shapes (batch included) instead of synthetic ones, then blocks of runs until the calls stop getting faster. */
    @Test
    void runsOnTheCallersInputsWhenGiven(@TempDir Path dir) throws Exception {
        Map<String, Tensor> x = Map.of("x", new Tensor.F32(new int[] {2, 3, 40, 50}, new float[2 * 3 * 40 * 50]));
        try (OnnxModel m = model(dir, 1);
             TernaryModel warmed = TernaryModel.load(m, Map.of(), new TernaryModel.Options(1, Activations.AUTO).withWarmUpInputs(x))) {
            assertTrue(warmed.warmUp().contains("on x [2, 3, 40, 50] (the caller's) in "), warmed.warmUp());
            assertTrue(runs(warmed) >= 40 + 10, warmed.warmUp()); // the runs the property allows, then at least two blocks of five
        }
    }

    /** Inputs the caller chose that the model cannot run on are the caller's error: one line naming them and the runtime's reason. */
    @Test
    void callersInputsThatDoNotFitAreAnError(@TempDir Path dir) throws Exception {
        Map<String, Tensor> x = Map.of("x", new Tensor.F32(new int[] {1, 3, 8, 8}, new float[3 * 8 * 8]));
        try (OnnxModel m = model(dir, 48)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TernaryModel.load(m, Map.of(), new TernaryModel.Options(1, Activations.AUTO).withWarmUpInputs(x)));
            assertTrue(e.getMessage().startsWith("warm-up inputs x [1, 3, 8, 8] (the caller's) do not fit the model: "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    /**
     * A caller whose input map is of another class than the warm-up's keeps the graph's step loop
     * compiled: C2 compiles a map lookup for the classes it has seen, and when the loop itself read
     * the map, the first call with a HashMap after a warm-up on a LinkedHashMap left the loop's
     * compiled code (an uncommon trap), which ran interpreted until C2 had compiled it again (MiniLM's
     * first calls 10–66 ms against 6 steady). In a JVM of its own, so that no other test's maps are in
     * the profile: JFR's compilation and deoptimization events tell where compiled code was entered and left.
     */
    @Test
    void aCallersMapOfAnotherClassKeepsTheStepLoopCompiled(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("probe.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), StepLoopProbe.class.getName(), dir.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "probe finished");
        List<String> lines = Files.readAllLines(out);
        assertEquals(0, p.exitValue(), String.join("\n", lines));
        Assumptions.assumeTrue(lines.contains("step loop compiled by C2"), "C2 did not compile the step loop: " + lines);
        assertTrue(lines.contains("step loop left: []"), String.join("\n", lines));
    }

    /**
     * {@link #aCallersMapOfAnotherClassKeepsTheStepLoopCompiled}'s JVM: runs a model on a
     * LinkedHashMap for a second (C2 compiles the step loop within a few thousand runs), then once
     * on a HashMap, recording compilations and deoptimizations throughout (a recording per phase
     * lost compilations that ended between two).
     */
    static final class StepLoopProbe {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]), file = dir.resolve("events.jfr");
            Tensor x = new Tensor.F32(new int[] {1, 3, 4, 4}, new float[48]);
            java.time.Instant switched;
            try (OnnxModel m = model(dir, 2); TernaryModel model = TernaryModel.load(m, Map.of(), new TernaryModel.Options(1, Activations.AUTO, false));
                 Recording r = new Recording()) {
                r.enable("jdk.Compilation").withThreshold(java.time.Duration.ZERO);
                r.enable("jdk.Deoptimization");
                r.start();
                Map<String, Tensor> warm = new LinkedHashMap<>(Map.of("x", x));
                for (long t0 = System.nanoTime(); System.nanoTime() - t0 < 1_000_000_000L; ) model.run(warm);
                Thread.sleep(200); // a compilation under way ends
                switched = java.time.Instant.now();
                model.run(new HashMap<>(Map.of("x", x)));
                r.stop();
                r.dump(file);
            }
            List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            if (events.stream().anyMatch(e -> e.getEventType().getName().equals("jdk.Compilation") && e.getInt("compileLevel") == 4
                    && isStepLoop(e.getValue("method")) && e.getEndTime().isBefore(switched))) System.out.println("step loop compiled by C2");
            System.out.println("step loop left: " + events.stream().filter(e -> e.getEventType().getName().equals("jdk.Deoptimization")
                    && isStepLoop(e.getValue("method")) && !e.getStartTime().isBefore(switched)).map(e -> e.getString("reason") + " at line " + e.getInt("lineNumber")).toList());
        }

        /** Graph's run method that holds the step loop (the one given a run's buffers). */
        private static boolean isStepLoop(RecordedMethod method) {
            return method != null && method.getType().getName().equals("org.ternary4j.runtime.graph.Graph") && method.getName().equals("run")
                    && method.getDescriptor().contains("Buffers$Run");
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
        OnnxMl.NodeProto pool = OnnxMl.NodeProto.newBuilder().setOpType("MaxPool").setName("pool").addInput("x").addOutput("y")
                .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("kernel_shape").setType(OnnxMl.AttributeProto.AttributeType.INTS).addInts(k).addInts(k)).build();
        return model(dir, "pool" + k, pool, null);
    }

    /** One node from x [batch, 3, h, w] (symbolic batch, h, w) to y, with an initializer or none. */
    private static OnnxModel model(Path dir, String name, OnnxMl.NodeProto node, OnnxMl.TensorProto initializer) throws Exception {
        OnnxMl.TypeProto.Tensor.Builder t = OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber());
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(3));
        shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("h"));
        shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("w"));
        OnnxMl.ValueInfoProto x = OnnxMl.ValueInfoProto.newBuilder().setName("x").setType(OnnxMl.TypeProto.newBuilder().setTensorType(t.setShape(shape))).build();
        OnnxMl.ValueInfoProto y = OnnxMl.ValueInfoProto.newBuilder().setName("y")
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()))).build();
        OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("g").addNode(node).addInput(x).addOutput(y);
        if (initializer != null) g.addInitializer(initializer);
        OnnxMl.ModelProto model = OnnxMl.ModelProto.newBuilder().setIrVersion(7)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build();
        Path f = dir.resolve(name + ".onnx");
        Files.write(f, model.toByteArray());
        return OnnxModel.read(f);
    }
}
