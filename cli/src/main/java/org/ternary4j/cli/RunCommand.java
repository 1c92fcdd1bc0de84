package org.ternary4j.cli;

import static org.ternary4j.core.FloatArrays.argmax;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.eval.ort.Evaluator;
import org.ternary4j.eval.ort.DeclaredInputs;
import org.ternary4j.eval.ort.InputPlan;
import org.ternary4j.eval.ort.RandomInputs;
import org.ternary4j.eval.ort.OrtModel;
import org.ternary4j.ptq.TaskAccuracy;
import org.ternary4j.runtime.TernaryModel;
import org.ternary4j.runtime.graph.Activations;
import org.ternary4j.runtime.graph.Graph;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Runs a ternarized model on the project's own runtime, its ternary layers executed straight
 * from the packed codes, and (with {@code --compare-ort}) checks it against ONNX Runtime on the
 * dequantized model: same inputs, prediction by prediction.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a ternary model straight from its packed weights: top-1, throughput, and agreement with ONNX Runtime.")
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "The ONNX graph (e.g. quantize's dequantized output).")
    Path model;

    @Option(names = "--packed", required = true, paramLabel = "P.safetensors", description = "Packed ternary weights (quantize --packed) for the graph's weights of the same names.")
    Path packed;

    @Mixin DataOptions data;

    @Mixin BatchOption batch;

    @Mixin ThreadsOption threadCount;

    @Option(names = "--activations", paramLabel = "auto|int8|float",
            description = "What the ternary layers multiply with: auto (default) quantizes each activation vector to int8 (like llama.cpp) "
                    + "in the MatMul/Gemm layers the runtime keeps in its lookup-table layout and keeps float everywhere else (convolutions and "
                    + "small matrices, where int8 measured slower); int8 everywhere; float everywhere (outputs those of the dequantized model "
                    + "up to float rounding).")
    Activations activations = Activations.AUTO;

    @Option(names = "--exact", description = "The same as --activations float.")
    boolean exact;

    @Option(names = "--compare-ort", description = "Also run ONNX Runtime on MODEL (the dequantized weights) and compare predictions and outputs.")
    boolean compareOrt;

    @Option(names = "--profile", description = "After the timed pass, one more pass that times every node (CPU time of the calling thread) "
            + "and lists the slowest: which layers of the model the time goes to.")
    boolean profile;

    @Option(names = "--dim", paramLabel = "NAME=SIZE",
            description = "Fix a symbolic input dimension by its ONNX name, e.g. --dim sequence_length=32 (repeatable; a name no input has is an error); "
                    + "with random:N data the other symbolic dimensions but the batch take the size the model was warmed up on at load.")
    Map<String, Long> dims = new LinkedHashMap<>();

    @Mixin JsonOption json;

    @Spec
    CommandSpec spec;

    /** The layers the packed file keeps at INT8/FP16: counts and stored size. */
    private record Kept(int int8, int fp16, long weights, double storedBits) {
        static Kept of(Map<String, KeptTensor> kept) {
            int i8 = 0, f16 = 0;
            long n = 0;
            double bits = 0;
            for (KeptTensor t : kept.values()) {
                if (t.precision() == KeptTensor.Precision.INT8) i8++;
                else f16++;
                long w = org.ternary4j.core.grouping.Shapes.size(t.shape());
                n += w;
                bits += t.bitsPerWeight() * w;
            }
            return new Kept(i8, f16, n, bits);
        }
    }

    private Kept kept;

    /** What the runtime's warm-up at load did (text output only: the JSON keeps its fields). */
    private String loadWarmUp;
    private Graph.ActivationUse activationUse;
    /** Whether the timed batches ran as one part per thread ({@link TernaryModel#splitsBatches}). */
    private boolean splitBatches;
    /** Ternary weights of layers the runtime runs in float (ConvTranspose). */
    private long floatTernary;
    /** The per-node times of {@code --profile}; null without it. */
    private NodeProfile nodeProfile;

    @Override
    public Integer call() throws Exception {
        new PathGuard().model(model).input(packed).data(data.data).input(data.labels).check();
        int threads = threadCount.count;
        PackedWeights weights = PackedWeights.read(packed);
        kept = Kept.of(weights.kept());
        float[][] outputs;
        long nanos;
        long packedBytes;
        Dataset d;
        long ternaryWeights = weights.ternaryWeights();
        try (org.ternary4j.formats.onnx.OnnxModel onnx = org.ternary4j.formats.onnx.OnnxModel.read(model);
             TernaryModel m = weights.load(onnx, new TernaryModel.Options(threads, chosen()), w -> Errors.warn(spec.commandLine(), w))) {
            packedBytes = m.packedWeightBytes();
            floatTernary = m.floatTernaryWeights();
            ternaryWeights -= floatTernary; // resident as floats, not in packedBytes
            loadWarmUp = m.warmUp();
            activationUse = m.activationUse();
            // --dim fixes symbolic sizes by name; random inputs give the others the size the runtime's warm-up ran the model on
            List<OrtModel.Input> declared = DeclaredInputs.of(onnx, dims);
            d = data.load(declared, m.warmUpSide().orElse(RandomInputs.DYNAMIC_DIM));
            List<InputPlan.Binding> inputs = InputPlan.of(model.toString(), declared, d).bindings();
            String output = m.outputNames().getFirst();
            int n = d.count();
            outputs = new float[n][];
            warmUp(() -> RuntimeBatches.run(m, inputs, output, Math.min(n, 500), batch.size, null, null));
            long t0 = System.nanoTime();
            RuntimeBatches.run(m, inputs, output, n, batch.size, outputs, null);
            nanos = System.nanoTime() - t0;
            splitBatches = m.splitsBatches(batch.size);
            if (profile) {
                nodeProfile = new NodeProfile(new HashMap<>(), n, threads);
                RuntimeBatches.run(m, inputs, output, n, batch.size, null, nodeProfile.nanosByNode());
            }
        }
        int n = d.count();
        Double top1 = null;
        if (d.hasLabels()) {
            int correct = 0;
            for (int i = 0; i < n; i++) {
                if (d.labels()[i] >= outputs[i].length) {
                    throw new IOException(d.source() + ": label " + d.labels()[i] + " at example " + i + ", but " + model + " outputs only "
                            + outputs[i].length + " class scores per example");
                }
                if (argmax(outputs[i]) == d.labels()[i]) correct++;
            }
            top1 = (double) correct / n;
        }
        double perSecond = n / (nanos / 1e9);
        Comparison cmp = compareOrt ? compare(outputs, d) : null;
        print(top1, n, perSecond, packedBytes, ternaryWeights, cmp);
        return 0;
    }

    /** Both engines get the same warm-up before timing: 10 passes over the first 500 examples (the JIT compiles the kernels). */
    private static void warmUp(WarmUp pass) throws Exception {
        for (int i = 0; i < 10; i++) pass.run();
    }

    @FunctionalInterface
    private interface WarmUp {
        void run() throws Exception;
    }

    /** How the runtime's outputs relate to ONNX Runtime's on the dequantized model. */
    /** Against ONNX Runtime: arg-max agreement, the largest output difference and the lowest per-example output cosine (for maps and embeddings, where arg-maxes say little). */
    record Comparison(double agreement, double maxAbsDiff, double minCosine, double ortPerSecond) {}

    private Comparison compare(float[][] ours, Dataset d) throws Exception {
        try (OrtModel ort = OrtModel.open(model, threadCount.count, null, dims)) {
            Dataset first = d.limit(Math.min(d.count(), 500));
            warmUp(() -> Evaluator.outputs(ort, first, batch.size));
            long t0 = System.nanoTime();
            float[][] theirs = Evaluator.outputs(ort, d, batch.size);
            double seconds = (System.nanoTime() - t0) / 1e9;
            int agree = 0;
            double maxDiff = 0, minCosine = 1;
            for (int i = 0; i < ours.length; i++) {
                if (argmax(ours[i]) == argmax(theirs[i])) agree++;
                double dot = 0, a = 0, b = 0;
                for (int j = 0; j < ours[i].length; j++) {
                    maxDiff = Math.max(maxDiff, Math.abs(ours[i][j] - theirs[i][j]));
                    dot += (double) ours[i][j] * theirs[i][j];
                    a += (double) ours[i][j] * ours[i][j];
                    b += (double) theirs[i][j] * theirs[i][j];
                }
                // both zero: the same output; one zero: no common direction (a map ONNX Runtime flushed to 0 reads 0 here, beside a tiny max diff)
                minCosine = Math.min(minCosine, a == 0 && b == 0 ? 1 : a == 0 || b == 0 ? 0 : dot / Math.sqrt(a * b));
            }
            return new Comparison((double) agree / ours.length, maxDiff, minCosine, ours.length / seconds);
        }
    }

    private void print(Double top1, int n, double perSecond, long packedBytes, long weights, Comparison cmp) throws Exception {
        var out = spec.commandLine().getOut();
        double bits = weights == 0 ? 0 : packedBytes * 8.0 / weights;
        int threads = threadCount.count;
        if (json.on) {
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("top1", top1);
            o.put("n", n);
            o.put("examplesPerSecond", perSecond);
            o.put("batch", batch.size);
            o.put("threads", threads);
            o.put("batchSplitByThread", splitBatches);
            o.put("activations", name(chosen()));
            o.put("int8Layers", activationUse.int8Layers());
            o.put("ternaryLayers", activationUse.ternaryLayers());
            o.put("packedWeightBytes", packedBytes);
            o.put("residentBitsPerWeight", bits);
            o.put("floatTernaryWeights", floatTernary);
            if (kept.weights() > 0) {
                ObjectNode k = o.putObject("kept");
                k.put("weights", kept.weights());
                k.put("storedBits", kept.storedBits());
                k.put("int8Layers", kept.int8());
                k.put("fp16Layers", kept.fp16());
            }
            if (cmp != null) {
                ObjectNode c = o.putObject("ort");
                c.put("agreement", cmp.agreement());
                c.put("maxAbsOutputDiff", cmp.maxAbsDiff());
                c.put("minOutputCosine", cmp.minCosine());
                c.put("examplesPerSecond", cmp.ortPerSecond());
                c.put("speedup", perSecond / cmp.ortPerSecond());
            }
            if (nodeProfile != null) nodeProfile.put(o);
            out.println(new ObjectMapper().writeValueAsString(o));
        } else {
            out.printf(Locale.ROOT, "%s: top-1 %s on %d examples; %.0f examples/s (batch %d, %d thread%s%s, activations %s)%n", model,
                    TaskAccuracy.percent(top1), n, perSecond, batch.size, threads, threads == 1 ? "" : "s", splitBatches ? ", one part of each batch per thread" : "",
                    describe(chosen(), activationUse));
            out.printf(Locale.ROOT, "packed ternary weights resident: %d bytes, %.3f bits/weight; %s%n", packedBytes, bits, loadWarmUp);
            if (floatTernary > 0) out.printf(Locale.ROOT, "%d ternary weights of ConvTranspose layers run in float (dequantized at load; no packed kernel)%n", floatTernary);
            if (kept.weights() > 0) {
                out.printf(Locale.ROOT, "kept layers: %d INT8 + %d FP16, %d weights at %.3f bits/weight in the file, dequantized to float at load%n",
                        kept.int8(), kept.fp16(), kept.weights(), kept.storedBits() / kept.weights());
            }
            if (cmp != null) {
                out.printf(Locale.ROOT, "ONNX Runtime on the dequantized model: %.0f examples/s (runtime is %.2fx), predictions agree on %.2f %%, max |output diff| %.2e, min output cosine %.7f%n",
                        cmp.ortPerSecond(), perSecond / cmp.ortPerSecond(), 100 * cmp.agreement(), cmp.maxAbsDiff(), cmp.minCosine());
            }
            if (nodeProfile != null) nodeProfile.print(out);
        }
        out.flush();
    }

    private Activations chosen() {
        if (exact && activations == Activations.INT8)
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--exact and --activations int8 contradict each other");
        return exact ? Activations.FLOAT : activations;
    }

    private static String name(Activations a) {
        return a.name().toLowerCase(Locale.ROOT);
    }

    /** The mode, and for auto what it chose: "auto: int8 in 36 of 37 ternary layers". */
    static String describe(Activations a, Graph.ActivationUse use) {
        if (a != Activations.AUTO) return name(a);
        return String.format(Locale.ROOT, "auto: int8 in %d of %d ternary layers", use.int8Layers(), use.ternaryLayers());
    }
}
