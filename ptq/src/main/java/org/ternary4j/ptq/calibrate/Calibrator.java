package org.ternary4j.ptq.calibrate;

import static org.ternary4j.core.FloatArrays.transpose;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.formats.onnx.LayerDecision;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxTensor;

/**
 * Sequential calibrated ternarization. Layers are handled in graph order; before layer k is
 * ternarized the calibration inputs are run through the model whose layers before k are already
 * ternarized (and bias-corrected), so each layer compensates for the error of the ones before it:
 * <ol>
 * <li>collect the Gram matrix H of the layer's actual inputs (conv: patches);</li>
 * <li>solve for codes and scales ({@link LayerSolver});</li>
 * <li>bias correction: set the bias so the layer's mean output per channel on the calibration
 *     inputs equals the full-precision model's, b' = (E[y_fp] − Q·E[x]) / beta.</li>
 * </ol>
 * The result holds the ternary weights (canonical layout) and the model with the corrected biases
 * but full-precision weights, which {@code OnnxTernarizer} then ternarizes with these weights
 * (so BatchNorm folding, reports and packed output work as without calibration).
 */
public final class Calibrator {

    /** What calibration measured for one layer; errors are relative output errors Σ(w−q)ᵀH(w−q) / Σ wᵀHw. */
    public record LayerReport(int layerIndex, String op, String weight, int inputs, long samples, double plainError, double calibratedError,
                              boolean biasCorrected) {}

    /** The calibrated weights by weight name, the bias-corrected model, per-layer reports and notes. */
    public record Result(Map<String, TernaryTensor> weights, OnnxModel corrected, List<LayerReport> layers, List<String> notes,
                         GroupingBudget.Choice budget) {}

    private final String file;
    private final Projection projection;
    private final Grouping grouping;
    private final Steps steps;
    private final String method;

    private final Double budget;
    private final Packing packing;
    private Map<String, Grouping> perLayer = Map.of();

    /** {@code budget}: bits/weight for {@link GroupingBudget}, or null to use {@code grouping} everywhere. */
    public Calibrator(String file, Projection projection, Grouping grouping, Steps steps, Double budget, Packing packing) {
        this.budget = budget;
        this.packing = packing;
        this.file = file;
        this.projection = projection;
        this.grouping = grouping;
        this.steps = steps;
        this.method = projection.spec() + "+cal";
    }

    public Result run(OnnxModel model, List<LayerDecision> decisions, CalibrationInputs data) throws IOException {
        for (OnnxTensor t : model.graph().initializers().values()) {
            if (t.external()) throw new IllegalArgumentException(file + ": calibration does not support models with external data yet");
        }
        List<String> notes = new ArrayList<>();
        List<CalibLayer> layers = new ArrayList<>();
        for (LayerDecision d : decisions) {
            if (!d.ternarized()) continue;
            CalibLayer.Result r = CalibLayer.find(model.graph(), d.layerIndex(), d.op(), d.weight());
            if (r.layer() != null) layers.add(r.layer());
            else notes.add(r.reason());
        }
        Map<String, Moments> fpMoments = fpOutputMoments(model, layers, data);
        GroupingBudget.Choice choice = budget == null ? null : chooseGroupings(model, layers, data);
        OnnxModel work = model;      // ternary weights so far, for the sequential runs
        OnnxModel corrected = model; // full-precision weights, corrected biases
        Map<String, TernaryTensor> weights = new LinkedHashMap<>();
        List<LayerReport> reports = new ArrayList<>();
        for (CalibLayer l : layers) {
            boolean target = steps.fpTarget() && !weights.isEmpty(); // before the first ternary layer both inputs are the same
            InputStats stats = collect(work, target ? model : null, l, data);
            float[] stored = weight(work, l);
            float[] w = l.transposed() ? transpose(stored, l.storedShape()[0], l.storedShape()[1]) : stored;
            // With a bias to correct, only the centered error remains after correction, so fit that.
            boolean centered = steps.bias() && l.bias() != null;
            double[] h = centered ? stats.centeredGram() : stats.gram();
            if (target) w = FpTarget.weights(w, l.rows(), l.k(), h, centered ? stats.centeredCross() : stats.cross());
            Grouping g = groupingFor(l);
            LayerProblem p = new LayerProblem(w, l.rows(), l.k(), h, g.layout(l.canonicalShape()), projection.twoScales());
            double[] d = stats.meanSquare();
            LayerSolver.Solution plain = LayerSolver.solve(p, d, projection, Steps.NONE);
            LayerSolver.Solution s = LayerSolver.solve(p, d, projection, steps);
            if (steps.variance()) matchVariance(p, s.pos(), s.neg(), s.codes(), stats.centeredGram(), stats.count(), fpMoments.get(l.biasOutput()).variance());
            TernaryTensor tt = new TernaryTensor(l.canonicalShape().clone(), g, method, s.codes(), s.pos(), s.neg());
            weights.put(l.weight(), tt);
            float[] q = tt.dequantize();
            work = work.withFloats(Map.of(l.weight(), l.transposed() ? transpose(q, l.rows(), l.k()) : q));
            boolean corrected1 = false;
            if (steps.bias() && l.bias() != null) {
                float[] b = correctedBias(q, l, stats.mean(), fpMoments.get(l.biasOutput()).mean());
                work = work.withFloats(Map.of(l.bias(), b));
                corrected = corrected.withFloats(Map.of(l.bias(), b));
                corrected1 = true;
            } else if (steps.bias()) {
                notes.add(l.weight() + ": no bias to correct (" + l.op() + " without a bias vector)");
            }
            double ref = p.outputError(new byte[w.length], new float[p.layout().groupCount()], p.twoScales() ? new float[p.layout().groupCount()] : null);
            reports.add(new LayerReport(l.order(), l.op(), l.weight(), l.k(), stats.count(), ref == 0 ? 0 : plain.error() / ref,
                    ref == 0 ? 0 : s.error() / ref, corrected1));
        }
        return new Result(weights, corrected, reports, notes, choice);
    }

    /**
     * Sensitivity analysis and budgeted choice: every layer alone, on the full-precision model's
     * inputs, for each candidate grouping.
     */
    private GroupingBudget.Choice chooseGroupings(OnnxModel model, List<CalibLayer> layers, CalibrationInputs data) throws IOException {
        Map<String, InputStats> stats = new LinkedHashMap<>();
        for (CalibLayer l : layers) stats.put(l.weight(), collect(model, null, l, data));
        Steps local = new Steps(steps.weighted(), steps.refit(), steps.gptqRounds(), false, false, false, steps.descent());
        List<List<GroupingBudget.Candidate>> perLayerCandidates = new ArrayList<>();
        for (CalibLayer l : layers) {
            InputStats st = stats.get(l.weight());
            float[] stored = weight(model, l);
            float[] w = l.transposed() ? transpose(stored, l.storedShape()[0], l.storedShape()[1]) : stored;
            double[] h = st.gram();
            List<GroupingBudget.Candidate> cs = new ArrayList<>();
            for (Grouping g : GroupingBudget.candidates(l.canonicalShape(), groupingFor(l.canonicalShape()))) {
                LayerProblem p = new LayerProblem(w, l.rows(), l.k(), h, g.layout(l.canonicalShape()), projection.twoScales());
                double ref = p.outputError(new byte[w.length], new float[p.layout().groupCount()], p.twoScales() ? new float[p.layout().groupCount()] : null);
                double err = LayerSolver.solve(p, st.meanSquare(), projection, local).error();
                cs.add(new GroupingBudget.Candidate(l.order(), l.weight(), g.spec(), w.length,
                        GroupingBudget.bits(l.canonicalShape(), g, projection.twoScales(), packing), ref == 0 ? 0 : err / ref));
            }
            perLayerCandidates.add(cs);
        }
        GroupingBudget.Choice c = GroupingBudget.choose(perLayerCandidates, budget);
        Map<String, Grouping> m = new LinkedHashMap<>();
        c.groupings().forEach((k, v) -> m.put(k, Grouping.parse(v)));
        perLayer = m;
        return c;
    }

    private Grouping groupingFor(CalibLayer l) {
        return perLayer.getOrDefault(l.weight(), groupingFor(l.canonicalShape()));
    }

    /** Conv-only groupings fall back to row for rank-2 weights, as the ternarizer does. */
    private Grouping groupingFor(int[] canonical) {
        return grouping.forRank(canonical.length);
    }

    /** b' = (E[y_fp] − Q·E[x]) / beta per output channel: the ternary layer's mean output matches full precision. */
    static float[] correctedBias(float[] q, CalibLayer l, double[] meanInput, double[] fpMean) {
        int rows = l.rows(), k = l.k();
        float[] b = new float[rows];
        for (int o = 0; o < rows; o++) {
            double m = 0;
            for (int j = 0; j < k; j++) m += (double) q[o * k + j] * meanInput[j];
            b[o] = (float) ((fpMean[o] - m) / l.biasScale());
        }
        return b;
    }

    /** Per-channel mean and variance of a layer output on the calibration inputs. */
    record Moments(double[] mean, double[] variance) {}

    /** Moments of every calibrated layer's output (bias included) in the full-precision model. */
    private Map<String, Moments> fpOutputMoments(OnnxModel model, List<CalibLayer> layers, CalibrationInputs data) throws IOException {
        Map<String, double[]> sums = new LinkedHashMap<>(), squares = new LinkedHashMap<>();
        Map<String, long[]> counts = new LinkedHashMap<>();
        Set<String> names = new LinkedHashSet<>();
        for (CalibLayer l : layers) {
            names.add(l.biasOutput());
            sums.put(l.biasOutput(), new double[l.rows()]);
            squares.put(l.biasOutput(), new double[l.rows()]);
            counts.put(l.biasOutput(), new long[1]);
        }
        if (names.isEmpty()) return Map.of();
        try (IntermediateRunner r = IntermediateRunner.open(model.withOutputs(List.copyOf(names)).toBytes(), file)) {
            r.run(data.inputs(), names, batch -> {
                for (String name : names) {
                    IntermediateRunner.Tensor t = batch.get(name);
                    double[] s = sums.get(name), sq = squares.get(name);
                    boolean channelsFirst = t.shape().length == 4; // conv outputs NCHW; dense outputs [..., out]
                    int c = s.length;
                    int inner = channelsFirst ? (int) (t.shape()[2] * t.shape()[3]) : 1;
                    float[] v = t.values();
                    for (int i = 0; i < v.length; i++) {
                        int ch = channelsFirst ? (i / inner) % c : i % c;
                        s[ch] += v[i];
                        sq[ch] += (double) v[i] * v[i];
                    }
                    counts.get(name)[0] += v.length / c;
                }
            });
        }
        Map<String, Moments> out = new LinkedHashMap<>();
        for (String name : names) {
            double[] s = sums.get(name), sq = squares.get(name);
            long n = counts.get(name)[0];
            double[] var = new double[s.length];
            for (int i = 0; i < s.length; i++) {
                s[i] /= n;
                var[i] = Math.max(0, sq[i] / n - s[i] * s[i]);
            }
            out.put(name, new Moments(s, var));
        }
        return out;
    }

    /**
     * Variance correction: scales each output channel's ternary values so that the channel's
     * output variance on the calibration inputs equals full precision's (least-squares scales
     * shrink it); only for groupings whose groups lie inside one row.
     */
    static void matchVariance(LayerProblem p, float[] pos, float[] neg, byte[] codes, double[] centeredGram, long n, double[] fpVariance) {
        if (!p.rowLocal() || n == 0) return;
        int k = p.k();
        int[] groupOf = p.groupOf();
        double[] q = new double[k];
        double[] factor = new double[p.rows()];
        for (int r = 0; r < p.rows(); r++) {
            for (int j = 0; j < k; j++) q[j] = LayerProblem.value(codes[r * k + j], groupOf[r * k + j], pos, neg);
            double var = Linalg.quadratic(centeredGram, q, q, k) / n;
            factor[r] = var > 0 && fpVariance[r] > 0 ? Math.sqrt(fpVariance[r] / var) : 1;
        }
        for (int g = 0; g < p.layout().groupCount(); g++) {
            if (p.layout().size(g) == 0) continue;
            double f = factor[p.layout().position(g, 0) / k];
            pos[g] = (float) (pos[g] * f);
            if (neg != null) neg[g] = (float) (neg[g] * f);
        }
    }

    /**
     * Statistics of the layer's inputs in {@code current}; with {@code reference} (the full-precision
     * model) also the cross moments with the inputs the reference gives the same examples.
     */
    private InputStats collect(OnnxModel current, OnnxModel reference, CalibLayer l, CalibrationInputs data) throws IOException {
        InputStats stats = new InputStats(l.k(), reference != null);
        List<float[]> refs = new ArrayList<>();
        if (reference != null) {
            try (IntermediateRunner r = IntermediateRunner.open(reference.withOutputs(List.of(l.input())).toBytes(), file)) {
                r.run(data.inputs(), Set.of(l.input()), batch -> refs.add(batch.get(l.input()).values()));
            }
        }
        int[] batchIndex = {0};
        try (IntermediateRunner r = IntermediateRunner.open(current.withOutputs(List.of(l.input())).toBytes(), file)) {
            r.run(data.inputs(), Set.of(l.input()), batch -> {
                IntermediateRunner.Tensor t = batch.get(l.input());
                float[] ref = reference == null ? null : refs.get(batchIndex[0]++);
                long[] s = t.shape();
                if (l.conv() != null) {
                    if (s.length != 4 || s[1] != l.conv().cin()) throw new IllegalArgumentException(file + ": input of " + l.node() + " has shape " + java.util.Arrays.toString(s));
                    l.conv().patches(t.values(), ref, (int) s[0], (int) s[2], (int) s[3], stats);
                } else {
                    if (s.length < 1 || s[s.length - 1] != l.k()) throw new IllegalArgumentException(file + ": input of " + l.node() + " has shape " + java.util.Arrays.toString(s));
                    for (int off = 0; off < t.values().length; off += l.k()) {
                        if (ref == null) stats.add(t.values(), off);
                        else stats.add(t.values(), off, ref, off);
                    }
                }
            });
        }
        return stats;
    }

    /** The layer's stored weight values in {@code model} ({@link CalibLayer#find} checked it is an embedded FLOAT constant). */
    private static float[] weight(OnnxModel model, CalibLayer l) throws IOException {
        return CalibLayer.embeddedFloat(model.graph(), l.weight()).orElseThrow().floats();
    }
}
