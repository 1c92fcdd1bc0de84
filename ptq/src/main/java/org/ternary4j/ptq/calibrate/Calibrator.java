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
import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.formats.onnx.LayerDecision;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxOptions;
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

    /**
     * Calibrates with the ternarizer's method, grouping and packing; {@code budget}: bits/weight for
     * {@link GroupingBudget}, or null to use the grouping everywhere.
     */
    public Calibrator(String file, OnnxOptions options, Steps steps, Double budget) {
        this.file = file;
        this.projection = options.projection();
        this.grouping = options.grouping();
        this.packing = options.packing();
        this.steps = steps;
        this.budget = budget;
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
            Grouping g = groupingFor(l);
            GroupLayout layout = g.layout(l.canonicalShape());
            int groups = l.groups();
            if (groups > 1 && !layout.rowLocal(l.k())) {
                notes.add(l.weight() + ": grouping " + g.spec() + " spans the conv's groups, ternarized without calibration");
                continue;
            }
            List<InputStats> stats = collect(work, target ? model : null, l, data);
            float[] stored = weight(work, l);
            float[] w = l.transposed() ? transpose(stored, l.storedShape()[0], l.storedShape()[1]) : stored;
            // With a bias to correct, only the centered error remains after correction, so fit that.
            boolean centered = steps.bias() && l.bias() != null;
            Moments fp = fpMoments.get(l.biasOutput());
            // Scale groups per conv group: the whole layout for one group; row-local (checked above) for several.
            int rows = l.rows() / groups, k = l.k(), perGroup = layout.groupCount() / groups;
            byte[] codes = new byte[w.length];
            float[] pos = new float[layout.groupCount()], neg = projection.twoScales() ? new float[layout.groupCount()] : null;
            float[] bias = new float[l.rows()];
            double plainError = 0, error = 0, ref = 0;
            for (int gi = 0; gi < groups; gi++) {
                // Group gi's output channels see only its input channels: its own problem, its own H.
                InputStats st = stats.get(gi);
                int from = gi * rows;
                float[] wg = java.util.Arrays.copyOfRange(w, from * k, (from + rows) * k);
                double[] h = centered ? st.centeredGram() : st.gram();
                if (target) wg = FpTarget.weights(wg, rows, k, h, centered ? st.centeredCross() : st.cross());
                int[] shape = l.canonicalShape().clone();
                shape[0] = rows;
                LayerProblem p = new LayerProblem(wg, rows, k, h, g.layout(shape), projection.twoScales());
                double[] d = st.meanSquare();
                LayerSolver.Solution plain = LayerSolver.solve(p, d, projection, Steps.NONE);
                LayerSolver.Solution sol = LayerSolver.solve(p, d, projection, steps);
                if (steps.variance()) {
                    matchVariance(p, sol.pos(), sol.neg(), sol.codes(), st.centeredGram(), st.count(), java.util.Arrays.copyOfRange(fp.variance(), from, from + rows));
                }
                System.arraycopy(sol.codes(), 0, codes, from * k, rows * k);
                System.arraycopy(sol.pos(), 0, pos, gi * perGroup, perGroup);
                if (neg != null) System.arraycopy(sol.neg(), 0, neg, gi * perGroup, perGroup);
                plainError += plain.error();
                error += sol.error();
                ref += p.outputError(new byte[wg.length], new float[p.layout().groupCount()], p.twoScales() ? new float[p.layout().groupCount()] : null);
                if (steps.bias() && l.bias() != null) {
                    float[] q = new TernaryTensor(shape, g, method, sol.codes(), sol.pos(), sol.neg()).dequantize();
                    float[] b = correctedBias(q, rows, k, l.biasScale(), st.mean(), java.util.Arrays.copyOfRange(fp.mean(), from, from + rows));
                    System.arraycopy(b, 0, bias, from, rows);
                }
            }
            TernaryTensor tt = new TernaryTensor(l.canonicalShape().clone(), g, method, codes, pos, neg);
            weights.put(l.weight(), tt);
            float[] q = tt.dequantize();
            work = work.withFloats(Map.of(l.weight(), l.transposed() ? transpose(q, l.rows(), l.k()) : q));
            boolean corrected1 = false;
            if (steps.bias() && l.bias() != null) {
                work = work.withFloats(Map.of(l.bias(), bias));
                corrected = corrected.withFloats(Map.of(l.bias(), bias));
                corrected1 = true;
            } else if (steps.bias()) {
                notes.add(l.weight() + ": no bias to correct (" + l.op() + " without a bias vector)");
            }
            reports.add(new LayerReport(l.order(), l.op(), l.weight(), l.k(), stats.get(0).count(), ref == 0 ? 0 : plainError / ref,
                    ref == 0 ? 0 : error / ref, corrected1));
        }
        return new Result(weights, corrected, reports, notes, choice);
    }

    /**
     * Sensitivity analysis and budgeted choice: every layer alone, on the full-precision model's
     * inputs, for each candidate grouping.
     */
    private GroupingBudget.Choice chooseGroupings(OnnxModel model, List<CalibLayer> layers, CalibrationInputs data) throws IOException {
        Steps local = steps.without(Steps.Step.BIAS, Steps.Step.TARGET, Steps.Step.VARIANCE);
        List<List<GroupingBudget.Candidate>> perLayerCandidates = new ArrayList<>();
        for (CalibLayer l : layers) {
            List<InputStats> st = collect(model, null, l, data);
            float[] stored = weight(model, l);
            float[] w = l.transposed() ? transpose(stored, l.storedShape()[0], l.storedShape()[1]) : stored;
            int rows = l.rows() / l.groups(), k = l.k();
            int[] shape = l.canonicalShape().clone();
            shape[0] = rows;
            List<GroupingBudget.Candidate> cs = new ArrayList<>();
            for (Grouping g : GroupingBudget.candidates(l.canonicalShape(), groupingFor(l.canonicalShape()))) {
                if (l.groups() > 1 && !g.layout(l.canonicalShape()).rowLocal(k)) continue; // cannot be split by conv group
                double err = 0, ref = 0;
                for (int gi = 0; gi < l.groups(); gi++) {
                    float[] wg = java.util.Arrays.copyOfRange(w, gi * rows * k, (gi + 1) * rows * k);
                    LayerProblem p = new LayerProblem(wg, rows, k, st.get(gi).gram(), g.layout(shape), projection.twoScales());
                    ref += p.outputError(new byte[wg.length], new float[p.layout().groupCount()], p.twoScales() ? new float[p.layout().groupCount()] : null);
                    err += LayerSolver.solve(p, st.get(gi).meanSquare(), projection, local).error();
                }
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
    static float[] correctedBias(float[] q, int rows, int k, float biasScale, double[] meanInput, double[] fpMean) {
        float[] b = new float[rows];
        for (int o = 0; o < rows; o++) {
            double m = 0;
            for (int j = 0; j < k; j++) m += (double) q[o * k + j] * meanInput[j];
            b[o] = (float) ((fpMean[o] - m) / biasScale);
        }
        return b;
    }

    /** Per-channel mean and variance of a layer output on the calibration inputs. */
    record Moments(double[] mean, double[] variance) {}

    /** Moments of every calibrated layer's output (bias included) in the full-precision model. */
    private Map<String, Moments> fpOutputMoments(OnnxModel model, List<CalibLayer> layers, CalibrationInputs data) throws IOException {
        Map<String, double[]> sums = new LinkedHashMap<>(), squares = new LinkedHashMap<>();
        Map<String, long[]> counts = new LinkedHashMap<>();
        Set<String> names = new LinkedHashSet<>(), convOutputs = new LinkedHashSet<>();
        for (CalibLayer l : layers) {
            names.add(l.biasOutput());
            if (l.conv() != null) convOutputs.add(l.biasOutput());
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
                    boolean channelsFirst = convOutputs.contains(name); // conv outputs NCHW; dense outputs [..., out], also of rank 4
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
    private List<InputStats> collect(OnnxModel current, OnnxModel reference, CalibLayer l, CalibrationInputs data) throws IOException {
        List<InputStats> stats = new ArrayList<>();
        for (int g = 0; g < l.groups(); g++) stats.add(new InputStats(l.k(), reference != null));
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
                    if (s.length != 4 || s[1] != l.conv().channels()) throw new IllegalArgumentException(file + ": input of " + l.node() + " has shape " + java.util.Arrays.toString(s));
                    l.conv().patches(t.values(), ref, (int) s[0], (int) s[2], (int) s[3], stats);
                } else {
                    if (s.length < 1 || s[s.length - 1] != l.k()) throw new IllegalArgumentException(file + ": input of " + l.node() + " has shape " + java.util.Arrays.toString(s));
                    for (int off = 0; off < t.values().length; off += l.k()) {
                        if (ref == null) stats.get(0).add(t.values(), off);
                        else stats.get(0).add(t.values(), off, ref, off);
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
