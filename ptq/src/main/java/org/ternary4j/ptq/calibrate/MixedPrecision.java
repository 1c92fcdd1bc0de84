package org.ternary4j.ptq.calibrate;

import static org.ternary4j.core.FloatArrays.transpose;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.formats.onnx.ElementType;
import org.ternary4j.formats.onnx.LayerDecision;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.ValueInfo;

/**
 * Sensitivity analysis for {@link GroupingBudget}, every layer alone on the full-precision model:
 * <ul>
 * <li>each candidate's local error, Σ(w−q)ᵀH(w−q) / ΣwᵀHw on the layer's full-precision inputs
 *     (ternary candidates calibrated with the layer-local steps, INT8 and FP16 rounded);</li>
 * <li>the layer's sensitivity: the model's relative output error Σ‖y_l − y‖² / Σ‖y‖² with only
 *     this layer ternarized at its reference grouping (the first candidate), measured with ONNX
 *     Runtime on up to {@value #SENSITIVITY_EXAMPLES} calibration examples;</li>
 * <li>each candidate's estimated model output error: the sensitivity scaled by its local error
 *     relative to the reference grouping's (first order: small weight errors move the output in
 *     proportion), which makes layers comparable where local errors alone are not.</li>
 * </ul>
 */
final class MixedPrecision {
    /**
     * Enough to rank the layers: on the PaddleOCR classifier (256 calibration lines, {@code --budget
     * 3.0}) 64 examples chose other layers than 256, with held-out accuracy 0.986 against 0.988,
     * for a quarter of the pass's runs.
     */
    static final int SENSITIVITY_EXAMPLES = 64;

    /** Layers with at most this many inputs are measured beside each other (their k² matrices take a few MB). */
    private static final int PARALLEL_K = 1024;

    /**
     * How layers are ternarized: messages' file, the projection, the packing whose cost counts and
     * whether scales are stored as FP16, the layer-local steps, the default grouping per shape.
     */
    record Setup(String file, Projection projection, Packing packing, boolean halfScales, Steps steps, Function<int[], Grouping> grouping) {}

    private final Setup setup;

    MixedPrecision(Setup setup) {
        this.setup = setup;
    }

    /**
     * What the budget chooses among: the calibrated layers with their input statistics and the
     * model cut before each of them ({@code plan}), and the embedding tables.
     */
    record Layers(List<CalibLayer> calibrated, List<List<InputStats>> stats, Stretches plan, List<Embedding> embeddings) {}

    /**
     * A Gather table (embedding) under a budget: a candidate like any other layer. Its inputs are
     * indices, so its local errors are weight errors Σ(w−q)² / Σw² (every row equally likely).
     */
    record Embedding(int order, String weight, int[] shape) {}

    /** The embedding table {@code d} reads, when it is a rank-2 FLOAT constant of the main graph. */
    static java.util.Optional<Embedding> embedding(OnnxModel model, LayerDecision d) {
        if (!d.op().equals("Gather")) return java.util.Optional.empty();
        return CalibLayer.embeddedFloat(model.graph(), d.weight()).filter(t -> t.shape().length == 2)
                .map(t -> new Embedding(d.layerIndex(), d.weight(), t.shape()));
    }

    GroupingBudget.Choice choose(OnnxModel model, Layers layers, List<GroupingBudget.Fixed> fixed, CalibrationInputs data, double budget,
                                 List<String> notes) throws IOException {
        List<List<GroupingBudget.Candidate>> perLayer = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<float[]> reference = new ArrayList<>(); // each layer's reference ternary weight, stored layout
        // Each layer's candidates are solved on its own statistics, independently of the others; beside
        // each other only while their k² matrices are small, so that memory stays that of one layer's solve.
        List<java.util.concurrent.Future<Measured>> measuring = new ArrayList<>();
        for (int li = 0; li < layers.calibrated().size(); li++) {
            CalibLayer l = layers.calibrated().get(li);
            List<InputStats> st = layers.stats().get(li);
            Workers.Task<Measured> task = () -> measure(model, l, st);
            measuring.add(l.k() <= PARALLEL_K ? Workers.submit(task) : Workers.now(task));
        }
        for (int li = 0; li < layers.calibrated().size(); li++) {
            Measured m;
            try {
                m = Workers.join(measuring.get(li));
            } catch (IOException | RuntimeException e) {
                measuring.forEach(Workers::settle);
                throw e;
            }
            perLayer.add(m.candidates());
            names.add(layers.calibrated().get(li).weight());
            reference.add(m.reference());
        }
        for (Embedding e : layers.embeddings()) {
            Measured m = measure(model, e);
            perLayer.add(m.candidates());
            names.add(e.weight());
            reference.add(m.reference());
        }
        List<Double> sensitivity = sensitivities(model, layers, names, reference, data, notes);
        List<List<GroupingBudget.Candidate>> scaled = new ArrayList<>();
        for (int li = 0; li < perLayer.size(); li++) {
            List<GroupingBudget.Candidate> cs = perLayer.get(li);
            double refLocal = cs.getFirst().localError(), s = sensitivity.get(li);
            List<GroupingBudget.Candidate> out = new ArrayList<>();
            for (GroupingBudget.Candidate c : cs) {
                double e = Double.isNaN(s) ? c.localError() : refLocal == 0 ? s : s * c.localError() / refLocal;
                out.add(new GroupingBudget.Candidate(c.layerIndex(), c.weight(), c.choice(), c.params(), c.bits(), c.localError(), e));
            }
            scaled.add(out);
        }
        return GroupingBudget.choose(scaled, sensitivity, fixed, budget);
    }

    /** One layer's candidates (errors still local) and its reference ternary weight in the model's layout. */
    private record Measured(List<GroupingBudget.Candidate> candidates, float[] reference) {}

    private Measured measure(OnnxModel model, CalibLayer l, List<InputStats> st) throws IOException {
        float[] stored = CalibLayer.embeddedFloat(model.graph(), l.weight()).orElseThrow().floats();
        float[] w = l.transposed() ? transpose(stored, l.storedShape()[0], l.storedShape()[1]) : stored;
        int[] canonical = l.canonicalShape();
        int groups = l.groups(), rows = l.rows() / groups, k = l.k();
        int[] shape = canonical.clone();
        shape[0] = rows;
        double ref = 0;
        for (int gi = 0; gi < groups; gi++) ref += error(w, null, gi * rows, rows, k, st.get(gi).gram());
        List<GroupingBudget.Candidate> cs = new ArrayList<>();
        float[] reference = null;
        for (Grouping g : GroupingBudget.candidates(canonical, setup.grouping().apply(canonical))) {
            GroupLayout layout = g.layout(canonical);
            if (groups > 1 && !layout.rowLocal(k)) continue; // cannot be split by conv group
            int perGroup = layout.groupCount() / groups;
            byte[] codes = new byte[w.length];
            float[] pos = new float[layout.groupCount()], neg = setup.projection().twoScales() ? new float[layout.groupCount()] : null;
            double err = 0;
            for (int gi = 0; gi < groups; gi++) {
                float[] wg = java.util.Arrays.copyOfRange(w, gi * rows * k, (gi + 1) * rows * k);
                LayerProblem p = new LayerProblem(wg, rows, k, st.get(gi).gram(), g.layout(shape), setup.projection().twoScales());
                LayerSolver.Solution sol = LayerSolver.solve(p, st.get(gi).meanSquare(), setup.projection(), setup.steps());
                err += sol.error();
                System.arraycopy(sol.codes(), 0, codes, gi * rows * k, rows * k);
                System.arraycopy(sol.pos(), 0, pos, gi * perGroup, perGroup);
                if (neg != null) System.arraycopy(sol.neg(), 0, neg, gi * perGroup, perGroup);
            }
            if (reference == null) reference = stored(l, new TernaryTensor(canonical.clone(), g, "reference", codes, pos, neg).dequantize());
            cs.add(new GroupingBudget.Candidate(l.order(), l.weight(), g.spec(), w.length,
                    GroupingBudget.storedBits(canonical, g, setup.projection().twoScales(), setup.packing(), setup.halfScales()), ref == 0 ? 0 : err / ref, 0));
        }
        for (KeptTensor.Precision p : KeptTensor.Precision.values()) {
            float[] q = KeptTensor.of(p, canonical, w).dequantize();
            double err = 0;
            for (int gi = 0; gi < groups; gi++) err += error(w, q, gi * rows, rows, k, st.get(gi).gram());
            cs.add(new GroupingBudget.Candidate(l.order(), l.weight(), p.spec(), w.length, GroupingBudget.storedBits(canonical, p), ref == 0 ? 0 : err / ref, 0));
        }
        return new Measured(cs, reference);
    }

    private Measured measure(OnnxModel model, Embedding e) throws IOException {
        float[] w = CalibLayer.embeddedFloat(model.graph(), e.weight()).orElseThrow().floats();
        double ref = 0;
        for (float v : w) ref += (double) v * v;
        List<GroupingBudget.Candidate> cs = new ArrayList<>();
        float[] reference = null;
        for (Grouping g : GroupingBudget.candidates(e.shape(), setup.grouping().apply(e.shape()))) {
            float[] q = ternary(e, w, g).dequantize();
            if (reference == null) reference = q;
            cs.add(new GroupingBudget.Candidate(e.order(), e.weight(), g.spec(), w.length,
                    GroupingBudget.storedBits(e.shape(), g, setup.projection().twoScales(), setup.packing(), setup.halfScales()), ref == 0 ? 0 : squaredError(w, q) / ref, 0));
        }
        for (KeptTensor.Precision p : KeptTensor.Precision.values()) {
            float[] q = KeptTensor.of(p, e.shape(), w).dequantize();
            cs.add(new GroupingBudget.Candidate(e.order(), e.weight(), p.spec(), w.length, GroupingBudget.storedBits(e.shape(), p),
                    ref == 0 ? 0 : squaredError(w, q) / ref, 0));
        }
        return new Measured(cs, reference);
    }

    private TernaryTensor ternary(Embedding e, float[] w, Grouping g) {
        return new org.ternary4j.core.Ternarizer(setup.projection(), g).apply(e.shape(), w.clone());
    }

    private static double squaredError(float[] w, float[] q) {
        double s = 0;
        for (int i = 0; i < w.length; i++) s += ((double) w[i] - q[i]) * ((double) w[i] - q[i]);
        return s;
    }

    /**
     * {@code r} with the embedding tables' choices added: ternary ones (at the chosen grouping) to the
     * weights, kept ones to the kept tensors and, dequantized, into the corrected model.
     */
    Calibrator.Result withEmbeddings(Calibrator.Result r, OnnxModel model, List<Embedding> embeddings) throws IOException {
        if (embeddings.isEmpty()) return r;
        Map<String, TernaryTensor> weights = new java.util.LinkedHashMap<>(r.weights());
        Map<String, KeptTensor> kept = new java.util.LinkedHashMap<>(r.kept());
        Map<String, float[]> values = new java.util.LinkedHashMap<>();
        for (Embedding e : embeddings) {
            String choice = r.budget().choice(e.weight());
            float[] w = CalibLayer.embeddedFloat(model.graph(), e.weight()).orElseThrow().floats();
            if (r.budget().kept().containsKey(e.weight())) {
                KeptTensor t = KeptTensor.of(r.budget().kept().get(e.weight()), e.shape(), w);
                kept.put(e.weight(), t);
                values.put(e.weight(), t.dequantize());
            } else {
                weights.put(e.weight(), ternary(e, w, Grouping.parse(choice)));
            }
        }
        OnnxModel corrected = values.isEmpty() ? r.corrected() : r.corrected().withFloats(values);
        return new Calibrator.Result(weights, kept, corrected, r.layers(), r.notes(), r.budget());
    }

    /** The layer's weight stored at {@code p}. */
    static KeptTensor keep(OnnxModel model, CalibLayer l, KeptTensor.Precision p) throws IOException {
        float[] stored = CalibLayer.embeddedFloat(model.graph(), l.weight()).orElseThrow().floats();
        return KeptTensor.of(p, l.canonicalShape(), l.transposed() ? transpose(stored, l.storedShape()[0], l.storedShape()[1]) : stored);
    }

    /**
     * The weight layers that are no candidates but count toward the budget: those kept full
     * precision by the layer choice (at their stored width) and those ternarized without
     * calibration (at the default grouping's storage).
     */
    static List<GroupingBudget.Fixed> fixed(OnnxModel model, List<LayerDecision> decisions, Set<String> calibrated, Setup setup, List<String> notes) {
        List<GroupingBudget.Fixed> out = new ArrayList<>();
        for (LayerDecision d : decisions) {
            if (calibrated.contains(d.weight())) continue;
            var t = model.graph().constant(d.weight());
            if (t.isEmpty()) {
                notes.add(d.weight() + ": not a main-graph constant, left out of the bits/weight budget");
                continue;
            }
            int[] shape = t.get().shape();
            long n = 1;
            for (int x : shape) n *= x;
            if (!d.ternarized()) {
                int width = t.get().type().map(e -> 8 * e.bytes).orElse(32);
                out.add(new GroupingBudget.Fixed(d.weight(), n, n * width, d.reason()));
            } else {
                // MatMul and Gemm store [in, out] mostly; the scale count is what the layout changes, a small part of the cost.
                int[] canonical = shape.length == 2 && d.op().equals("MatMul") ? new int[] {shape[1], shape[0]} : shape;
                Grouping g = setup.grouping().apply(canonical);
                out.add(new GroupingBudget.Fixed(d.weight(), n, GroupingBudget.storedBits(canonical, g, setup.projection().twoScales(), setup.packing(), setup.halfScales()),
                        "ternarized " + g.spec() + " without calibration"));
            }
        }
        return out;
    }

    /** Canonical values in the layout the model stores the weight. */
    static float[] stored(CalibLayer l, float[] canonical) {
        return l.transposed() ? transpose(canonical, l.rows(), l.k()) : canonical;
    }

    /** Σ over rows [from, from + rows) of (w − q)ᵀ H (w − q); q null stands for zeros. */
    static double error(float[] w, float[] q, int from, int rows, int k, double[] h) {
        double total = 0;
        double[] e = new double[k];
        for (int r = from; r < from + rows; r++) {
            for (int j = 0; j < k; j++) e[j] = w[r * k + j] - (q == null ? 0 : q[r * k + j]);
            total += Linalg.quadratic(h, e, e, k);
        }
        return total;
    }

    /**
     * Per layer, the model's relative output error with only that layer at its reference weight;
     * NaN everywhere (with a note) when the model has no FLOAT output to compare. Calibrated layers
     * run from their cut on ({@link Sensitivity}); embedding tables, read before any cut, run the whole model.
     */
    private List<Double> sensitivities(OnnxModel model, Layers layers, List<String> names, List<float[]> reference, CalibrationInputs data,
                                       List<String> notes) throws IOException {
        List<String> outputs = new ArrayList<>();
        for (ValueInfo v : model.graph().outputs()) if (v.type().equals(java.util.Optional.of(ElementType.FLOAT))) outputs.add(v.name());
        List<Double> out = new ArrayList<>();
        if (outputs.isEmpty()) {
            notes.add("the model has no FLOAT output: mixed precision compares layers by their local output error alone");
            for (int i = 0; i < names.size(); i++) out.add(Double.NaN);
            return out;
        }
        var subset = data.inputs().limit(Math.min(SENSITIVITY_EXAMPLES, data.inputs().count()));
        int n = layers.calibrated().size();
        if (n > 0) out.addAll(new Sensitivity(model, layers.plan(), outputs, setup.file()).measure(names.subList(0, n), reference.subList(0, n), subset));
        if (n < names.size()) out.addAll(wholeModel(model, names.subList(n, names.size()), reference.subList(n, names.size()), subset, outputs));
        return out;
    }

    /** Per layer, the relative output error with only that layer at its reference weight, each a run of the whole model. */
    private List<Double> wholeModel(OnnxModel model, List<String> layers, List<float[]> reference, org.ternary4j.formats.data.Dataset subset,
                                    List<String> outputList) throws IOException {
        Set<String> outputs = new java.util.LinkedHashSet<>(outputList);
        List<Double> out = new ArrayList<>();
        List<float[]> fp = new ArrayList<>();
        TokenCut cut = TokenCut.plan(model.graph(), subset, StretchRun.Values.PART);
        TokenMask mask = TokenMask.of(subset);
        double[] norm = {0};
        try (IntermediateRunner r = IntermediateRunner.open(model.toBytes(), setup.file())) {
            r.run(subset, outputs, cut, (batch, examples) -> {
                for (String name : outputs) {
                    IntermediateRunner.Tensor t = batch.get(name);
                    fp.add(t.values());
                    norm[0] = Sensitivity.squares(FloatBuffer.wrap(t.values()), null, new Sensitivity.Output(t.shape(), examples, mask), norm[0]);
                }
            });
        }
        for (int li = 0; li < layers.size(); li++) {
            double[] diff = {0};
            int[] at = {0};
            byte[] changed = model.withFloats(Map.of(layers.get(li), reference.get(li))).toBytes();
            try (IntermediateRunner r = IntermediateRunner.open(changed, setup.file())) {
                r.run(subset, outputs, cut, (batch, examples) -> {
                    for (String name : outputs) {
                        IntermediateRunner.Tensor t = batch.get(name);
                        diff[0] = Sensitivity.squares(FloatBuffer.wrap(t.values()), fp.get(at[0]++), new Sensitivity.Output(t.shape(), examples, mask), diff[0]);
                    }
                });
            }
            out.add(norm[0] == 0 ? 0 : diff[0] / norm[0]);
        }
        return out;
    }
}
