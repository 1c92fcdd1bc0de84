package org.ternary4j.qat.finetune;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.ternary4j.core.FloatArrays;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.onnx.LayerDecision;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.onnx.OnnxTensor;
import org.ternary4j.formats.onnx.OnnxTernarizer;
import org.ternary4j.formats.packed.PackedEntry;
import org.ternary4j.formats.packed.PackedOnnxWeights;
import org.ternary4j.formats.packed.PackedReader;
import org.ternary4j.qat.PhasedOptimizer;
import org.ternary4j.qat.Training;
import org.ternary4j.qat.graph.GraphInterpreter;

/**
 * Distillation fine-tuning of any ONNX model the interpreter runs: the layers the ternarizer would
 * choose (same selection and grouping rules) train through their method's quantizer and
 * straight-through estimator to match the full-precision model's outputs on the user's examples;
 * biases train too (and layer norms' scales and shifts when asked); batch norms run in their inference form, their statistics re-estimated on
 * the student once before training ({@link BatchNormStatistics}) and then frozen. The result is the original
 * graph with the weights written back as dequantized ternary values.
 */
public final class Finetune {
    /** Examples per forward pass when measuring (no gradients kept). */
    private static final int EVAL_BATCH = 64;

    /**
     * @param model  the full-precision model (teacher, and the graph the student keeps)
     * @param data   the training examples (inputs by model input name; labels optional)
     * @param init   a model with the same graph whose weights the student starts from (a calibrated
     *               ternarization), or null to start from the method's projection of the model's own
     * @param initPacked the packed file written beside {@code init} (or null): its choices per layer are kept, each
     *               ternary layer at its own grouping, each layer mixed precision kept at INT8/FP16 frozen at that precision
     */
    public record Request(Path model, Dataset data, Path init, Path initPacked, FinetuneOptions options, FinetuneResult.Listener listener) {
        public Request(Path model, Dataset data, Path init, FinetuneOptions options, FinetuneResult.Listener listener) {
            this(model, data, init, null, options, listener);
        }
    }

    /** A mixed-precision start's choices, from its packed file: each ternary layer's entry (grouping, shape), the layers kept at INT8/FP16. */
    private record PackedStart(Path file, Map<String, PackedEntry> ternary, Map<String, KeptTensor> kept) {
        static final PackedStart NONE = new PackedStart(null, Map.of(), Map.of());

        static PackedStart read(Path packed) throws IOException {
            if (packed == null) return NONE;
            Map<String, PackedEntry> ternary = new LinkedHashMap<>();
            try (PackedReader p = PackedReader.open(packed)) {
                for (String name : p.ternaryNames()) ternary.put(name, p.entry(name));
                return new PackedStart(packed, ternary, p.readAllKept());
            }
        }

        /** Refuses a layer the packed file holds in another shape than the model's canonical one. */
        void checkShape(String name, int[] canonical) throws IOException {
            int[] s = kept.containsKey(name) ? kept.get(name).shape() : ternary.containsKey(name) ? ternary.get(name).shape() : null;
            if (s != null && !java.util.Arrays.equals(s, canonical)) {
                throw new IOException(file + ": tensor '" + name + "' is " + java.util.Arrays.toString(s) + ", the model's weight is "
                        + java.util.Arrays.toString(canonical) + " (canonical layout): not a packed file of this model");
            }
        }
    }

    private Finetune() {}

    public static FinetuneResult run(Request r) throws IOException {
        FinetuneOptions o = r.options();
        Engine.getInstance().setRandomSeed((int) o.seed());
        OnnxModel onnx = OnnxModel.read(r.model());
        String file = r.model().toString();
        // The layer plan reads only the selection; the projection is never applied.
        OnnxOptions selection = OnnxOptions.of(Projections.parse("tnt"), o.grouping()).withAllLayers(o.allLayers()).withInclude(o.include()).withExclude(o.exclude());
        List<LayerDecision> plan = OnnxTernarizer.plan(r.model(), selection);
        try (Model model = Model.newInstance("ternary4j-finetune")) {
            GraphInterpreter graph = GraphInterpreter.of(onnx, model.getNDManager());
            Inputs inputs = new Inputs(r.data(), graph.graph().runtimeInputs(), file);
            List<Target> targets = new ArrayList<>(Target.of(graph, r.data().labels() != null).stream().map(t -> t.withPooled(o.pooledWeight()).withWeight(o.distillWeight())).toList());
            if (targets.isEmpty()) throw new IllegalArgumentException(file + ": the graph declares no outputs to match");
            if (r.data().labels() != null && targets.stream().noneMatch(Target::logits)) throw unlabelled(r.data(), file);
            if (o.distillWeight() == 0 && r.data().labels() == null) {
                throw new IllegalArgumentException(r.data().source() + ": no labels, and a distillation weight of 0 leaves nothing to train on");
            }
            List<Target> hidden = Target.hidden(graph, o.hidden(), o.hiddenWeight());
            if (!hidden.isEmpty()) {
                r.listener().note(hidden.size() + " hidden targets sharing weight " + o.hiddenWeight() + ": " + hidden.getFirst().value()
                        + (hidden.size() > 1 ? " … " + hidden.getLast().value() : ""));
            }
            targets.addAll(hidden);
            GraphBlock block = new GraphBlock(graph, inputs.names(), targets.stream().map(Target::value).toList());
            Map<String, Grouping> groupings = new LinkedHashMap<>();
            List<FinetuneResult.Layer> kept = new ArrayList<>();
            if (r.initPacked() != null && r.init() == null) throw new IllegalArgumentException(r.initPacked() + ": a packed start needs the model it was written beside (--init)");
            PackedStart packed = PackedStart.read(r.initPacked());
            for (LayerDecision d : plan) addLayer(d, graph, block, o, packed, groupings, kept, r.listener());
            for (String name : packed.ternary().keySet()) {
                if (!groupings.containsKey(name)) throw new IOException(r.initPacked() + ": ternary tensor '" + name + "' is no Conv/Gemm/MatMul weight of " + file);
            }
            if (block.weights().isEmpty()) throw new IllegalArgumentException(file + ": no weight layer is selected for ternarizing");
            if (o.trainKept()) kept.replaceAll(k -> packed.kept().containsKey(k.weight()) ? k : trainKept(graph, block, k));
            for (String b : biases(graph, block)) block.addBias(b, graph.constant(b).getShape());
            Set<OnnxNode> trainedNorms = o.trainNorms() ? BatchNormStatistics.of(block) : Set.of();
            List<String> affine = new ArrayList<>();
            for (OnnxNode bn : trainedNorms) for (String name : bn.inputs().subList(1, 3)) addTrainable(graph, block, name, affine);
            if (o.trainLayerNorms()) {
                int before = affine.size();
                for (String name : LayerNorms.affine(graph)) addTrainable(graph, block, name, affine);
                r.listener().note((affine.size() - before) + " layer-norm scales and shifts train");
            }
            for (String name : affine) if (!block.biases().containsKey(name)) block.addBias(name, graph.constant(name).getShape());
            block.trainNorms(trainedNorms);

            int stepsPerEpoch = (inputs.count() + o.batchSize() - 1) / o.batchSize();
            Set<String> alternating = new HashSet<>();
            for (TernaryWeight w : block.weights().values()) for (Parameter p : w.quantizer().alternatingParameters()) alternating.add(p.getId());
            Tracker lr = Tracker.cosine().setBaseValue(o.learningRate()).optFinalValue(o.learningRate() * 0.01f)
                    .setMaxUpdates(Math.max(1, o.epochs() * stepsPerEpoch)).build();
            PhasedOptimizer optimizer = new PhasedOptimizer(Optimizer.adam().optLearningRateTracker(lr).build(), alternating);
            model.setBlock(block);
            try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(optimizer))) {
                trainer.initialize(inputs.names().stream().map(n -> new Shape(1)).toArray(Shape[]::new));
                start(graph, block, r.init(), file);
                int norms = BatchNormStatistics.reestimate(block, inputs, o.bnExamples(), model.getNDManager());
                if (norms > 0) r.listener().note("statistics of " + norms + " batch norms re-estimated on the student (" + Math.min(o.bnExamples(), inputs.count()) + " examples)");
                long startNs = System.nanoTime();
                Distillation teacher = Distillation.teacher(graph, inputs, targets, model.getNDManager(), EVAL_BATCH);
                int[] labels = r.data().labels();
                if (labels != null && teacher.labelTarget() < 0) throw unlabelled(r.data(), file);
                r.listener().note(String.format(java.util.Locale.ROOT, "full-precision outputs of %d examples: %.1f s", inputs.count(), (System.nanoTime() - startNs) / 1e9));
                FinetuneResult.Metrics before = measure(block, inputs, teacher, labels, model.getNDManager());
                List<FinetuneResult.Epoch> epochs = new ArrayList<>();
                Random shuffle = new Random(o.seed());
                ThreadMXBean threads = ManagementFactory.getThreadMXBean();
                boolean cpuTime = threads.isCurrentThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled();
                for (int e = 1; e <= o.epochs(); e++) {
                    long t0 = System.nanoTime(), cpu0 = cpuTime ? threads.getCurrentThreadCpuTime() : 0;
                    r.listener().epochStarted(e, o.epochs(), inputs.count());
                    double loss = epoch(trainer, optimizer, !alternating.isEmpty(), inputs, teacher, labels,
                            inputs.batches(Training.permutation(inputs.count(), shuffle), o.batchSize(), shuffle), r.listener());
                    FinetuneResult.Epoch done = new FinetuneResult.Epoch(e, loss, (System.nanoTime() - t0) / 1e9,
                            cpuTime ? (threads.getCurrentThreadCpuTime() - cpu0) / 1e9 : Double.NaN);
                    epochs.add(done);
                    r.listener().epochDone(done);
                }
                if (!trainedNorms.isEmpty()) {
                    BatchNormStatistics.reestimate(block, inputs, o.bnExamples(), model.getNDManager());
                    r.listener().note("statistics of " + trainedNorms.size() + " batch norms trained in their training form re-estimated ("
                            + Math.min(o.bnExamples(), inputs.count()) + " examples)");
                }
                FinetuneResult.Metrics after = measure(block, inputs, teacher, labels, model.getNDManager());
                return export(onnx, graph, block, groupings, kept, packed.kept(), plan, o, before, after, epochs, model.getNDManager());
            }
        }
    }

    private static IllegalArgumentException unlabelled(Dataset data, String file) {
        return new IllegalArgumentException(data.source() + ": has class labels, but " + file + " has no output of class logits ([N, classes]) to train them on");
    }

    private static void addLayer(LayerDecision d, GraphInterpreter graph, GraphBlock block, FinetuneOptions o, PackedStart packed,
                                 Map<String, Grouping> groupings, List<FinetuneResult.Layer> kept, FinetuneResult.Listener listener) throws IOException {
        String op = d.op();
        boolean layer = op.equals("Conv") || op.equals("Gemm") || op.equals("MatMul") || op.equals("ConvTranspose");
        if (!layer) return;
        NDArray w = graph.constant(d.weight());
        // MatMul weights are stored [in, out], and Gemm's without transB: canonical is [out, in].
        long[] s = w == null ? null : w.getShape().getShape();
        boolean transposed = s != null && s.length == 2 && transposedWeight(graph, d.weight(), op);
        Shape canonical = w == null ? null : transposed ? new Shape(s[1], s[0]) : new Shape(s);
        if (canonical != null) packed.checkShape(d.weight(), TernaryGroups.ints(canonical.getShape()));
        KeptTensor keptAt = packed.kept().get(d.weight());
        if (keptAt != null) {
            String reason = "kept at " + keptAt.precision().spec().toUpperCase(java.util.Locale.ROOT) + " by the mixed-precision start (frozen)";
            kept.add(new FinetuneResult.Layer(d.weight(), op, false, reason, w == null ? 0 : w.size(), keptAt.bitsPerWeight(), keptAt.precision().spec()));
            return;
        }
        // A packed start decides for the layers it holds: a budget makes first and last layers candidates like any other.
        boolean ternary = packed.ternary().containsKey(d.weight()) || d.ternarized();
        String reason = d.reason();
        if (ternary && (op.equals("ConvTranspose") || w == null || w.getDataType() != DataType.FLOAT32)) {
            reason = "kept full precision: fine-tuning ternarizes Conv, Gemm and MatMul weights stored as constants";
            listener.note(d.weight() + " (" + op + "): " + reason);
        } else if (ternary) {
            PackedEntry start = packed.ternary().get(d.weight());
            Grouping g = (start != null ? start.grouping() : o.grouping()).forRank(canonical.dimension());
            o.method().checkGrouping(g);
            block.addWeight(new TernaryWeight(d.weight(), canonical, transposed, o.method().quantizer(g), o.halfScales()));
            groupings.put(d.weight(), g);
            return;
        }
        kept.add(new FinetuneResult.Layer(d.weight(), op, false, reason, w == null ? 0 : w.size(), Double.NaN, "-"));
    }

    private static boolean transposedWeight(GraphInterpreter graph, String weight, String op) {
        OnnxNode node = graph.consumers(weight).stream().filter(n -> n.opType().equals(op)).findFirst().orElseThrow();
        return op.equals("MatMul") || op.equals("Gemm") && node.intAttr("transB", 0) == 0;
    }

    /** A kept layer whose float weight trains, as its bias does; one that cannot (not a float constant of its own) stays as it is. */
    private static FinetuneResult.Layer trainKept(GraphInterpreter graph, GraphBlock block, FinetuneResult.Layer k) {
        NDArray w = graph.constant(k.weight());
        if (w == null || w.getDataType() != DataType.FLOAT32 || graph.consumers(k.weight()).size() != 1 || block.biases().containsKey(k.weight())) return k;
        block.addKeptWeight(k.weight(), w.getShape());
        return new FinetuneResult.Layer(k.weight(), k.op(), false, k.reason() + "; trained in full precision", k.weights(), k.bitsPerWeight(), k.grouping());
    }

    /**
     * The constants that act as a trained (ternarized or kept float) layer's bias, each read by that one node only: a
     * Conv's or Gemm's third input, the constant added right after a MatMul, or the scale γ and
     * shift β of a batch norm that alone reads a bias-less Conv (its statistics stay frozen: γ and β
     * can absorb any per-channel change of scale and mean the ternary weights bring).
     */
    private static List<String> biases(GraphInterpreter graph, GraphBlock block) {
        List<String> out = new ArrayList<>();
        for (String weight : block.trainedLayers()) {
            for (OnnxNode n : graph.consumers(weight)) {
                String candidate = null, scale = null;
                if ((n.opType().equals("Conv") || n.opType().equals("Gemm")) && n.input(2).isPresent()) candidate = n.inputs().get(2);
                else {
                    String product = n.outputs().get(0);
                    OnnxNode add = n.opType().equals("MatMul") ? graph.soleConsumer(product, "Add").filter(a -> a.inputs().size() == 2).orElse(null) : null;
                    OnnxNode bn = n.opType().equals("Conv") ? graph.soleConsumer(product, "BatchNormalization").orElse(null) : null;
                    if (add != null) {
                        candidate = add.otherInput(product);
                    } else if (bn != null) {
                        candidate = bn.inputs().get(2);
                        scale = bn.inputs().get(1);
                    }
                }
                if (candidate != null) addTrainable(graph, block, candidate, out);
                if (scale != null) addTrainable(graph, block, scale, out);
            }
        }
        return out;
    }

    private static void addTrainable(GraphInterpreter graph, GraphBlock block, String name, List<String> out) {
        NDArray c = graph.constant(name);
        if (c != null && c.getDataType() == DataType.FLOAT32 && graph.consumers(name).size() == 1 && !block.weights().containsKey(name)
                && !block.biases().containsKey(name) && !out.contains(name)) {
            out.add(name);
        }
    }

    /** Sets the latent weights and biases from the model, or from {@code init}; other constants {@code init} changes are used as they are. */
    private static void start(GraphInterpreter graph, GraphBlock block, Path init, String file) throws IOException {
        Map<String, float[]> from = new LinkedHashMap<>();
        if (init != null) {
            try (OnnxModel m = OnnxModel.read(init)) {
                for (String name : constantNames(graph)) {
                    OnnxTensor t = m.graph().constant(name).orElse(null);
                    NDArray mine = graph.constant(name);
                    boolean trained = block.weights().containsKey(name) || block.biases().containsKey(name);
                    if (t == null || !t.type().map(x -> x.isFloat()).orElse(false) || mine.getDataType() != DataType.FLOAT32
                            || !java.util.Arrays.equals(TernaryGroups.ints(mine.getShape().getShape()), t.shape())) {
                        if (trained) throw new IOException(init + ": has no float tensor '" + name + "' shaped as in " + file + " (not a ternarization of that model?)");
                        continue;
                    }
                    float[] v = t.floats();
                    if (trained) from.put(name, v);
                    else if (!java.util.Arrays.equals(v, mine.toFloatArray())) block.fix(name, graph.constant(name).getManager().create(v, mine.getShape()));
                }
            }
        }
        for (TernaryWeight w : block.weights().values()) {
            float[] stored = from.containsKey(w.onnxName()) ? from.get(w.onnxName()) : graph.constant(w.onnxName()).toFloatArray();
            w.start(w.transposed() ? FloatArrays.transpose(stored, (int) w.canonical().get(1), (int) w.canonical().get(0)) : stored);
        }
        for (var b : block.biases().entrySet()) {
            b.getValue().getArray().set(from.containsKey(b.getKey()) ? from.get(b.getKey()) : graph.constant(b.getKey()).toFloatArray());
        }
    }

    private static List<String> constantNames(GraphInterpreter graph) {
        List<String> names = new ArrayList<>(graph.graph().initializers().keySet());
        for (OnnxNode n : graph.graph().nodes()) if (n.opType().equals("Constant")) names.add(n.outputs().get(0));
        return names;
    }

    private static double epoch(Trainer trainer, PhasedOptimizer optimizer, boolean alternates, Inputs inputs, Distillation teacher, int[] labels,
                                List<int[]> batches, FinetuneResult.Listener listener) {
        double sum = 0;
        int seen = 0;
        for (int[] idx : batches) {
            try (NDManager m = trainer.getManager().newSubManager()) {
                NDList x = inputs.batch(m, idx);
                if (alternates) {
                    optimizer.phase(PhasedOptimizer.Phase.ALTERNATING);
                    step(trainer, x, teacher, idx, labels, m);
                    optimizer.phase(PhasedOptimizer.Phase.OTHERS);
                }
                sum += step(trainer, x, teacher, idx, labels, m) * idx.length;
            }
            seen += idx.length;
            listener.batchDone(idx.length, sum / seen);
        }
        return sum / seen;
    }

    private static double step(Trainer trainer, NDList x, Distillation teacher, int[] idx, int[] labels, NDManager m) {
        float value;
        try (GradientCollector gc = trainer.newGradientCollector()) {
            NDArray loss = teacher.loss(trainer.forward(x), idx, labels, m);
            gc.backward(loss);
            value = loss.getFloat();
        }
        trainer.step();
        if (!Float.isFinite(value)) throw new IllegalStateException("fine-tuning diverged: loss is " + value + " (try a smaller learning rate)");
        return value;
    }

    /**
     * The student (inference, no gradients) against the teacher and the labels on every example.
     * Agreement counts arg-max matches per example, or per position for sequence logits (a
     * recogniser's time steps).
     */
    private static FinetuneResult.Metrics measure(GraphBlock block, Inputs inputs, Distillation teacher, int[] labels, NDManager parent) {
        double loss = 0;
        int a = teacher.agreementTarget(), c = teacher.labelTarget();
        int[] fp = a >= 0 ? teacher.teacherClasses() : null;
        long agree = 0, positions = 0, correct = 0;
        for (int[] idx : inputs.batches(Inputs.range(0, inputs.count()), EVAL_BATCH, new Random(0))) {
            try (NDManager m = parent.newSubManager()) {
                NDList out = block.forward(new ParameterStore(m, false), inputs.batch(m, idx), false);
                loss += teacher.loss(out, idx, null, m).getFloat() * idx.length;
                if (a < 0) continue;
                int[] pred = Distillation.argMax(out.get(a).toFloatArray(), teacher.classes(a));
                int per = pred.length / idx.length;
                for (int i = 0; i < idx.length; i++) for (int p = 0; p < per; p++) if (pred[i * per + p] == fp[idx[i] * per + p]) agree++;
                positions += pred.length;
                if (c < 0 || labels == null) continue;
                int[] label = c == a ? pred : Distillation.argMax(out.get(c).toFloatArray(), teacher.classes(c));
                for (int i = 0; i < idx.length; i++) if (label[i] == labels[idx[i]]) correct++;
            }
        }
        int n = inputs.count();
        return new FinetuneResult.Metrics(loss / n, a < 0 ? Double.NaN : (double) agree / positions, c < 0 || labels == null ? Double.NaN : (double) correct / n);
    }

    private static FinetuneResult export(OnnxModel onnx, GraphInterpreter graph, GraphBlock block, Map<String, Grouping> groupings,
                                         List<FinetuneResult.Layer> kept, Map<String, KeptTensor> keptAt, List<LayerDecision> plan, FinetuneOptions o,
                                         FinetuneResult.Metrics before, FinetuneResult.Metrics after, List<FinetuneResult.Epoch> epochs,
                                         NDManager parent) throws IOException {
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, FinetuneResult.Layer> layers = new LinkedHashMap<>();
        List<PackedOnnxWeights.Weight> ternary = new ArrayList<>();
        double bits = 0, bitsAll = 0;
        long count = 0, countAll = 0;
        try (NDManager m = parent.newSubManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            for (TernaryWeight w : block.weights().values()) {
                float[] canonical = w.effectiveCanonical(ps, m, false).toFloatArray();
                int[] shape = TernaryGroups.ints(w.canonical().getShape());
                Grouping g = groupings.get(w.onnxName());
                TernaryTensor t = TernaryGroups.of(w.onnxName(), shape, canonical, g, o.method().cliName());
                double b = t.bitsPerWeight(o.packing(), o.halfScales());
                ternary.add(new PackedOnnxWeights.Weight(w.onnxName(), graph.graph().constant(w.onnxName()).flatMap(OnnxTensor::type).map(Enum::name).orElse("FLOAT"), t));
                values.put(w.onnxName(), w.transposed() ? FloatArrays.transpose(canonical, shape[0], shape[1]) : canonical);
                layers.put(w.onnxName(), new FinetuneResult.Layer(w.onnxName(), "", true, "ternarized", canonical.length, b, g.spec()));
                bits += b * canonical.length;
                count += canonical.length;
            }
        }
        for (var b : block.biases().entrySet()) values.put(b.getKey(), b.getValue().getArray().toFloatArray());
        for (var f : block.fixed().entrySet()) values.put(f.getKey(), f.getValue().toFloatArray());
        for (FinetuneResult.Layer k : kept) layers.put(k.weight(), k);
        List<FinetuneResult.Layer> ordered = new ArrayList<>();
        for (LayerDecision d : plan) {
            FinetuneResult.Layer l = layers.get(d.weight());
            if (l == null) continue;
            if (l.ternarized()) l = new FinetuneResult.Layer(l.weight(), d.op(), true, l.reason(), l.weights(), l.bitsPerWeight(), l.grouping());
            double width = l.ternarized() || !Double.isNaN(l.bitsPerWeight()) ? l.bitsPerWeight() : storedBits(graph, l.weight());
            bitsAll += width * l.weights();
            countAll += l.weights();
            ordered.add(l);
        }
        OnnxModel out = onnx.withFloats(values);
        return new FinetuneResult(out, ordered, List.copyOf(ternary), keptAt, before, after, epochs, bits / Math.max(1, count), bitsAll / Math.max(1, countAll));
    }

    private static double storedBits(GraphInterpreter graph, String name) {
        return graph.graph().constant(name).flatMap(OnnxTensor::type).map(t -> t.bytes * 8.0).orElse(32.0);
    }
}
