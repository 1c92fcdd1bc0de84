package org.ternary4j.runtime.graph;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.formats.onnx.ElementType;
import org.ternary4j.formats.onnx.OnnxGraph;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.formats.onnx.OnnxTensor;
import org.ternary4j.formats.onnx.ValueInfo;
import org.ternary4j.formats.onnx.WeightLayout;
import org.ternary4j.runtime.kernel.Buffers;
import org.ternary4j.runtime.kernel.Parallel;
import org.ternary4j.runtime.kernel.WeightBytes;

/**
 * A compiled ONNX graph: initializers and Constant nodes decoded, ternary layers packed, every
 * node turned into a {@link CompiledOps.Op} with its attributes resolved, and a BatchNormalization
 * (and Relu) that only post-processes a Conv or Gemm fused into that layer's epilogue (see
 * {@link Planner}). Values live in an array indexed by slot, not a map. Immutable after
 * {@link #compile}; {@link #run} may be called from several threads.
 */
public final class Graph {
    /** One executable step: input slots (−1 for absent inputs and packed weights) and their names, output slots (−1 for unnamed). */
    record Step(String op, String name, int[] in, String[] inNames, int[] out, CompiledOps.Op kernel) {}

    private final Step[] steps;
    private final Tensor[] template;
    private final List<String> inputs;
    private final int[] inputSlots;
    private final List<String> outputs;
    private final int[] outputSlots;
    private final List<TernaryLayers> layers;
    /** Ternary weights of layers that run in float (ConvTranspose), dequantized at load. */
    private final long floatWeights;
    /** Per step, the computed values no later step reads (graph outputs never): their arrays may be reused ({@link Buffers}). */
    private final int[][] dying;
    /** Whether the inputs and outputs declare a batch first ({@link BatchSplit#declared}). */
    private final boolean batchDeclared;
    /**
     * By batch size and parts, whether a batch-split run gave a whole run's bits: kernels choose
     * by the number of rows, and some give an example other bits at another batch size (VGG's
     * exact Gemm at 1, 2–5 and 6 or more rows), so each size is compared once.
     */
    private final Map<Long, Boolean> splitGivesSameBits = new java.util.concurrent.ConcurrentHashMap<>();

    private Graph(Step[] steps, Tensor[] template, List<String> inputs, int[] inputSlots, List<String> outputs, int[] outputSlots,
                  List<TernaryLayers> layers, long floatWeights, boolean batchDeclared) {
        this.steps = steps;
        this.batchDeclared = batchDeclared;
        this.floatWeights = floatWeights;
        this.template = template;
        this.inputs = inputs;
        this.inputSlots = inputSlots;
        this.outputs = outputs;
        this.outputSlots = outputSlots;
        this.layers = layers;
        this.dying = dying(steps, template.length, outputSlots);
    }

    /** The values each step is the last to produce or read, outputs left out. */
    private static int[][] dying(Step[] steps, int slots, int[] outputSlots) {
        int[] last = new int[slots];
        java.util.Arrays.fill(last, -1);
        for (int k = 0; k < steps.length; k++) {
            for (int s : steps[k].in()) if (s >= 0) last[s] = k;
            for (int s : steps[k].out()) if (s >= 0) last[s] = Math.max(last[s], k);
        }
        for (int s : outputSlots) last[s] = Integer.MAX_VALUE;
        int[] count = new int[steps.length];
        for (int l : last) if (l >= 0 && l < steps.length) count[l]++;
        int[][] d = new int[steps.length][];
        for (int k = 0; k < steps.length; k++) d[k] = new int[count[k]];
        for (int s = 0; s < slots; s++) if (last[s] >= 0 && last[s] < steps.length) d[last[s]][--count[last[s]]] = s;
        return d;
    }

    /**
     * Compiles the model's main graph. Every problem is an IOException whose message is one line,
     * "FILE: problem": operators the runtime lacks (all named at once), tensors that do not decode,
     * packed weights that are not a Conv/Gemm/MatMul weight or whose shape disagrees with the model,
     * attributes out of range.
     */
    public static Graph compile(OnnxModel model, Map<String, TernaryTensor> ternary) throws IOException {
        return compile(model, ternary, Map.of());
    }

    /** As {@link #compile(OnnxModel, Map)}, with the weights named in {@code kept} (INT8/FP16) dequantized at load ({@link KeptWeights}). */
    public static Graph compile(OnnxModel model, Map<String, TernaryTensor> ternary, Map<String, KeptTensor> kept) throws IOException {
        String file = model.file().toString();
        OnnxGraph g = model.graph();
        Set<String> unsupported = new TreeSet<>();
        for (OnnxNode n : g.nodes()) {
            String lacking = !n.standard() || !Operators.SUPPORTED.contains(n.opType()) ? (n.standard() ? n.opType() : n.domain() + "." + n.opType())
                    : Upsampling.unsupported(n);
            if (lacking != null) unsupported.add(lacking);
        }
        if (!unsupported.isEmpty()) throw new IOException(file + ": model uses operators the runtime does not support: " + String.join(", ", unsupported));
        long opset = model.opset("");
        try {
            return compile(g, new Weights(ternary, kept), opset < 0 ? 1 : (int) Math.min(opset, Integer.MAX_VALUE), file);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
    }

    /** The packed weights that replace the model's: ternary ones run by the packed kernels, kept ones dequantized. */
    private record Weights(Map<String, TernaryTensor> ternary, Map<String, KeptTensor> kept) {}

    private static Graph compile(OnnxGraph g, Weights weights, int opset, String file) throws IOException {
        Map<String, TernaryTensor> ternary = weights.ternary();
        Map<String, Tensor> constants = new HashMap<>();
        Map<String, int[]> initializerShapes = new HashMap<>();
        for (OnnxTensor t : g.initializers().values()) {
            initializerShapes.put(t.name(), t.shape());
            if (!ternary.containsKey(t.name())) constants.put(t.name(), tensor(t, file));
        }
        for (OnnxNode n : g.nodes()) {
            if (!n.opType().equals("Constant")) continue;
            Optional<OnnxTensor> v = n.tensorAttr("value");
            if (v.isEmpty() || n.outputs().size() != 1) {
                throw new IllegalArgumentException("Constant node '" + n.label() + "': only the 'value' tensor attribute and one output are supported");
            }
            constants.put(n.outputs().getFirst(), tensor(v.get(), file));
        }
        KeptWeights.apply(g.nodes(), weights.kept(), constants);

        Map<Integer, TernaryLayers> layers = new HashMap<>();
        Set<String> used = new HashSet<>();
        long floatWeights = 0;
        Set<String> onePixel = OnePixel.values(g.nodes(), initializerShapes);
        for (int i = 0; i < g.nodes().size(); i++) {
            OnnxNode n = g.nodes().get(i);
            for (int j = 0; j < n.inputs().size(); j++) {
                String in = n.inputs().get(j);
                if (!ternary.containsKey(in)) continue;
                if (j == 1 && n.opType().equals("ConvTranspose")) {
                    constants.put(in, dequantizedConvTranspose(n, ternary.get(in), initializerShapes.get(in)));
                    floatWeights += ternary.get(in).codes().length;
                    used.add(in);
                    continue;
                }
                if (j != 1 || !(n.opType().equals("Conv") || n.opType().equals("Gemm") || n.opType().equals("MatMul"))) {
                    throw new IllegalArgumentException("ternary weight '" + in + "' is input " + j + " of " + n.opType() + " node '" + n.label()
                            + "'; packed weights can only be the weight (input 1) of Conv, Gemm or MatMul");
                }
                Tensor bias = n.opType().equals("Conv") ? n.input(2).map(constants::get).orElse(null) : null;
                layers.put(i, TernaryLayers.of(n, ternary.get(in), initializerShapes.get(in), bias, onePixel.contains(n.inputs().getFirst())));
                used.add(in);
            }
        }
        Set<String> unused = new TreeSet<>(ternary.keySet());
        unused.removeAll(used);
        if (!unused.isEmpty()) throw new IllegalArgumentException("ternary weights not used as a Conv/Gemm/MatMul weight in the graph: " + String.join(", ", unused));

        List<ValueInfo> fed = g.inputs().stream().filter(v -> !constants.containsKey(v.name()) && !ternary.containsKey(v.name())).toList();
        List<String> inputs = fed.stream().map(ValueInfo::name).toList();
        List<String> outputs = g.outputs().stream().map(ValueInfo::name).toList();
        Planner.Plan plan = Planner.plan(g, constants, layers, ternary.keySet(), outputs, opset);
        return new Graph(plan.steps(), plan.template(), List.copyOf(inputs), plan.slots(inputs), outputs, plan.slots(outputs),
                List.copyOf(layers.values()), floatWeights, BatchSplit.declared(fed, g.outputs()));
    }

    /**
     * A ternary ConvTranspose weight as the float initializer it replaces ([in, out/group, kh, kw]):
     * the runtime has no packed transposed convolution, so such layers run in float.
     */
    private static Tensor dequantizedConvTranspose(OnnxNode n, TernaryTensor t, int[] onnxShape) {
        int groups = (int) n.intAttr("group", 1);
        int[] c = t.shape();
        if (c.length != 4 || groups < 1 || c[0] % groups != 0) {
            throw new IllegalArgumentException("ConvTranspose node '" + n.label() + "': ternary weight " + java.util.Arrays.toString(c) + " does not fit group " + groups);
        }
        int[] stored = {c[1] * groups, c[0] / groups, c[2], c[3]};
        if (onnxShape != null && !java.util.Arrays.equals(onnxShape, stored)) {
            throw new IllegalArgumentException("ConvTranspose node '" + n.label() + "': ternary tensor implies ONNX shape " + java.util.Arrays.toString(stored)
                    + " but the model's initializer is " + java.util.Arrays.toString(onnxShape));
        }
        return new Tensor.F32(stored, new WeightLayout.ConvTransposeGrouped(groups).toStored(t.dequantize(), stored));
    }

    /** A stored tensor as the runtime holds it: float types as float32, integer types and BOOL as int64. */
    private static Tensor tensor(OnnxTensor t, String file) throws IOException {
        ElementType type = t.type().orElseThrow(() -> new IOException(file + ": tensor '" + t.name() + "': element type not supported by the runtime"));
        return type.isFloat() ? new Tensor.F32(t.shape(), t.floats()) : new Tensor.I64(t.shape(), t.longs());
    }

    /** Resident bytes of all packed ternary layers (codes, scales, layout tables; conv biases included). */
    public long packedBytes() {
        return weightBytes().total();
    }

    /** {@link #packedBytes} as codes, scales and conv biases. */
    public WeightBytes weightBytes() {
        WeightBytes b = WeightBytes.NONE;
        for (TernaryLayers l : layers) b = b.plus(l.weightBytes());
        return b;
    }

    /** Ternary weights dequantized at load because their layer has no packed kernel (ConvTranspose): not in {@link #packedBytes}. */
    public long floatTernaryWeights() {
        return floatWeights;
    }

    /** Layers with packed ternary weights (fused ones count once), and how many of them take int8 activations. */
    public record ActivationUse(int int8Layers, int ternaryLayers) {}

    /** What {@code activations} means for this graph's layers (what {@link Activations#AUTO} chose). */
    public ActivationUse activationUse(Activations activations) {
        int ternary = 0, int8 = 0;
        for (Step s : steps) {
            if (!s.kernel().ternary()) continue;
            ternary += s.kernel().layers();
            if (!activations.floatIn(s.kernel().int8Pays())) int8 += s.kernel().layers();
        }
        return new ActivationUse(int8, ternary);
    }

    /** Steps a run executes (fused nodes and MatMuls sharing an input count once). */
    int stepCount() {
        return steps.length;
    }

    public List<String> inputNames() {
        return inputs;
    }

    public List<String> outputNames() {
        return outputs;
    }

    /**
     * Runs the graph. A batch of at least as many examples as threads goes as one part per thread
     * where the graph allows it ({@link BatchSplit}); the first run of each batch size also runs
     * whole, returns the whole run's outputs, and that size keeps splitting only if both gave the
     * same bits. A split run that fails (a part's shapes the graph cannot take: a Reshape to a
     * fixed batch) or whose outputs do not join runs whole, and so does its size from then on; a
     * batch with a NaN or an infinity in its inputs or outputs runs whole ({@link BatchSplit#finite}).
     */
    public Map<String, Tensor> run(Map<String, Tensor> given, Activations activations, Parallel par) {
        Tensor[] in = inputsOf(given);
        int parts = batchDeclared ? BatchSplit.parts(in, par.threads()) : 1;
        if (parts == 1) return whole(in, activations, par, null);
        long size = BatchSplit.key(in[0].shape()[0], parts);
        Boolean same = splitGivesSameBits.get(size);
        if (Boolean.FALSE.equals(same) || !BatchSplit.finite(Arrays.asList(in))) return whole(in, activations, par, null);
        Map<String, Tensor> parted;
        try {
            parted = inParts(in, parts, activations, par);
        } catch (RuntimeException e) {
            parted = null; // the whole run below reports the input's own problems
        }
        if (parted != null && !BatchSplit.finite(parted.values())) return whole(in, activations, par, null);
        if (same != null && parted != null) return parted;
        Map<String, Tensor> whole = whole(in, activations, par, null);
        boolean equal = parted != null;
        for (String o : outputs) if (equal) equal = BatchSplit.sameBits(parted.get(o), whole.get(o));
        splitGivesSameBits.put(size, equal);
        return whole;
    }

    /** Runs the graph on the whole batch at once, each step's work shared by {@code par}'s threads. */
    public Map<String, Tensor> runWhole(Map<String, Tensor> given, Activations activations, Parallel par) {
        return whole(inputsOf(given), activations, par, null);
    }

    /**
     * Whether a batch of this many examples runs as one part per thread on {@code threads}
     * threads: the graph declares a batch, and the first run of that size gave the same bits
     * both ways (false until then).
     */
    public boolean splitsBatches(int batch, int threads) {
        int parts = BatchSplit.parts(batch, threads);
        return batchDeclared && parts > 1 && Boolean.TRUE.equals(splitGivesSameBits.get(BatchSplit.key(batch, parts)));
    }

    /** The inputs as {@code parts} sub-batches, each run whole on one thread; null where the outputs do not join as a batch's. */
    private Map<String, Tensor> inParts(Tensor[] in, int parts, Activations activations, Parallel par) {
        int batch = in[0].shape()[0];
        int[] examples = new int[parts];
        @SuppressWarnings("unchecked") Map<String, Tensor>[] outs = new Map[parts];
        par.wake();
        par.forRange(parts, 1, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int from = BatchSplit.start(batch, parts, p), to = BatchSplit.start(batch, parts, p + 1);
                Tensor[] part = new Tensor[in.length];
                for (int i = 0; i < in.length; i++) part[i] = BatchSplit.slice(in[i], from, to);
                examples[p] = to - from;
                outs[p] = whole(part, activations, Parallel.serial(), null);
            }
        });
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (String o : outputs) {
            Tensor[] pieces = new Tensor[parts];
            for (int p = 0; p < parts; p++) pieces[p] = outs[p].get(o);
            Tensor joined = BatchSplit.join(pieces, examples);
            if (joined == null) return null;
            result.put(o, joined);
        }
        return result;
    }

    /**
     * Runs the graph adding each step's CPU time on the calling thread to {@code nanosByOp} under
     * its operator (fused layers under theirs): on a loaded machine wall time mostly measures the
     * other processes. With one thread that is all the work; with more, the workers' share is missing.
     */
    public Map<String, Tensor> profile(Map<String, Tensor> given, Activations activations, Parallel par, Map<String, Long> nanosByOp) {
        return whole(inputsOf(given), activations, par, new Profile(nanosByOp, null));
    }

    /**
     * As {@link #profile}, by node: each step's time under its node's name, operator, kernel and
     * first input's shape ({@link NodeKey}), which tells a user which layer of their model the
     * time goes to.
     */
    public Map<String, Tensor> profileNodes(Map<String, Tensor> given, Activations activations, Parallel par, Map<NodeKey, Long> nanosByNode) {
        return whole(inputsOf(given), activations, par, new Profile(null, nanosByNode));
    }

    /**
     * A profiled step: the node's name, its operator, the prepared kernel that ran it (null for the
     * reference operators) and its first input's shape (null if none).
     */
    public record NodeKey(String node, String op, String kernel, List<Integer> shape) {
        /** "conv_3  Conv TernaryConv [1, 96, 80, 80]". */
        @Override
        public String toString() {
            return node + "  " + op + (kernel == null ? "" : " " + kernel) + (shape == null ? "" : " " + shape);
        }
    }

    /** Where a profiled run adds its steps' CPU time: by operator (and kernel) or by node, whichever map is given. */
    private record Profile(Map<String, Long> byOp, Map<NodeKey, Long> byNode) {
        void add(Step step, Tensor[] in, long nanos) {
            Class<?> k = step.kernel().getClass();
            // prepared kernels are records: which one ran ("MatMul TernaryMatMul" against "MatMul Generic")
            String kernel = k.isRecord() ? k.getSimpleName() : null;
            if (byOp != null) byOp.merge(kernel == null ? step.op() : step.op() + " " + kernel, nanos, Long::sum);
            else byNode.merge(new NodeKey(step.name(), step.op(), kernel, in.length > 0 && in[0] != null ? Arrays.stream(in[0].shape()).boxed().toList() : null), nanos, Long::sum);
        }
    }

    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    /** One run of the whole graph on these inputs, its steps' work shared by {@code par}'s threads. */
    private Map<String, Tensor> whole(Tensor[] in, Activations activations, Parallel par, Profile profile) {
        par.wake(); // workers parked since the last run start now, while the first steps run serially
        try (Buffers.Run buffers = Buffers.open()) {
            return run(in, activations, par, profile, buffers);
        }
    }

    /**
     * The graph inputs in {@link #inputs}' order, read from the caller's map here and not in the
     * step loop: C2 compiles a map call for the map classes it has seen, so a caller's map of
     * another class than the warm-up's (a HashMap after a LinkedHashMap) left the step loop's
     * compiled code at an uncommon trap, and the loop ran interpreted until C2 had compiled it
     * again (MiniLM's first three calls after a warm-up on the caller's inputs: 10–66 ms, steady
     * 6). Here such a trap costs a recompilation of this small method only.
     */
    private Tensor[] inputsOf(Map<String, Tensor> given) {
        Tensor[] in = new Tensor[inputs.size()];
        for (int i = 0; i < in.length; i++) {
            in[i] = given.get(inputs.get(i));
            if (in[i] == null) throw new IllegalArgumentException("missing model input '" + inputs.get(i) + "'");
        }
        return in;
    }

    /** A run on the graph inputs in {@link #inputs}' order; {@code buffers} (null in a nested run) learns which values hold which arrays; profile null: not profiled. */
    private Map<String, Tensor> run(Tensor[] given, Activations activations, Parallel par, Profile profile, Buffers.Run buffers) {
        Tensor[] values = template.clone();
        for (int i = 0; i < given.length; i++) values[inputSlots[i]] = given[i];
        for (int k = 0; k < steps.length; k++) {
            Step step = steps[k];
            Tensor[] in = new Tensor[step.in().length];
            for (int j = 0; j < in.length; j++) {
                int slot = step.in()[j];
                if (slot < 0) continue;
                in[j] = values[slot];
                if (in[j] == null) throw new IllegalArgumentException(step.op() + " node '" + step.name() + "': input '" + step.inNames()[j] + "' is not computed before it is used");
            }
            Tensor[] out;
            long t0 = profile == null ? 0 : CPU.getCurrentThreadCpuTime();
            try {
                out = step.kernel().run(in, activations, par);
                if (profile != null) profile.add(step, in, CPU.getCurrentThreadCpuTime() - t0);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(step.op() + " node '" + step.name() + "': " + e.getMessage(), e);
            }
            for (int j = 0; j < Math.min(out.length, step.out().length); j++) {
                if (step.out()[j] < 0) continue;
                values[step.out()[j]] = out[j];
                if (buffers != null && out[j] instanceof Tensor.F32 f) buffers.held(f.data());
            }
            if (buffers == null) continue;
            for (int s : dying[k]) {
                if (values[s] instanceof Tensor.F32 f && template[s] == null) buffers.dropped(f.data());
                values[s] = template[s];
            }
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (int i = 0; i < outputs.size(); i++) {
            Tensor t = values[outputSlots[i]];
            if (t == null) throw new IllegalArgumentException("graph output '" + outputs.get(i) + "' is never computed");
            result.put(outputs.get(i), t);
        }
        return result;
    }
}
