package org.ternary4j.ptq.calibrate;

import static org.ternary4j.core.FloatArrays.transpose;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.core.KeptTensor;
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
 * Sequential calibrated ternarization. Layers are handled in graph order; each layer is fitted to
 * the inputs it gets in the model whose layers before it are already ternarized (and
 * bias-corrected), so it compensates for the error of the ones before it:
 * <ol>
 * <li>collect the Gram matrix H of the layer's actual inputs (conv: patches; rows subsampled by a
 *     fixed stride when there are far more than needed, {@link RowSample});</li>
 * <li>solve for codes and scales ({@link LayerSolver});</li>
 * <li>bias correction: set the bias so the layer's mean output per channel on the calibration
 *     inputs equals the full-precision model's, b' = (E[y_fp] − Q·E[x]) / beta.</li>
 * </ol>
 * The calibration inputs flow through the model once per model state, not once per layer: the
 * graph is cut before every calibrated layer ({@link Stretches}) and the values at one cut (those
 * later nodes still read) are carried to the next by running only the stretch between them
 * ({@link StretchRun}), for the partially ternarized model and then, for the full-precision
 * target, the full-precision one. A cut's values wait in temporary files and come into memory one
 * part of the examples at a time ({@link Cut}), so memory does not grow with the number of
 * examples. One full-precision pass first measures every layer's output moments and, with a
 * budget, every layer's sensitivity.
 * The result holds the ternary weights (canonical layout) and the model with the corrected biases
 * but full-precision weights, which {@code OnnxTernarizer} then ternarizes with these weights
 * (so BatchNorm folding, reports and packed output work as without calibration).
 */
public final class Calibrator {

    /** What calibration measured for one layer; errors are relative output errors Σ(w−q)ᵀH(w−q) / Σ wᵀHw. */
    public record LayerReport(int layerIndex, String op, String weight, int inputs, long samples, double plainError, double calibratedError,
                              boolean biasCorrected) {}

    /**
     * The calibrated weights by weight name, the layers mixed precision kept at INT8/FP16, the
     * bias-corrected model (kept layers' values dequantized in it), per-layer reports and notes.
     */
    public record Result(Map<String, TernaryTensor> weights, Map<String, KeptTensor> kept, OnnxModel corrected, List<LayerReport> layers,
                         List<String> notes, GroupingBudget.Choice budget) {}

    private final String file;
    private final Projection projection;
    private final Grouping grouping;
    private final Steps steps;
    private final String method;

    private final Double budget;
    private final Packing packing;
    private final boolean halfScales;

    /**
     * What one calibration run works on, passed along rather than kept in fields: the layers in
     * graph order, their cuts, the inputs, the padding mask of token inputs (or null), notes to add to.
     */
    private record Job(OnnxModel model, List<CalibLayer> layers, Stretches plan, CalibrationInputs data, TokenMask mask, List<String> notes) {}

    /** The sequential pass's results so far: what the partly ternary model has in place of the model's constants, and the ternary weights. */
    private record Solved(Map<String, float[]> changed, Map<String, TernaryTensor> weights) {}

    /**
     * Calibrates with the ternarizer's method, grouping and packing; {@code budget}: bits/weight for
     * {@link GroupingBudget}, or null to use the grouping everywhere.
     */
    public Calibrator(String file, OnnxOptions options, Steps steps, Double budget) {
        this.file = file;
        this.projection = options.projection();
        this.grouping = options.grouping();
        this.packing = options.packing();
        this.halfScales = options.halfScales();
        this.steps = steps;
        this.budget = budget;
        this.method = projection.spec() + "+cal";
    }

    public Result run(OnnxModel model, List<LayerDecision> decisions, CalibrationInputs data) throws IOException {
        for (OnnxTensor t : model.graph().initializers().values()) {
            if (t.external()) throw new IllegalArgumentException(file + ": calibration does not support models with external data yet");
        }
        List<String> notes = new ArrayList<>();
        List<CalibLayer> found = new ArrayList<>();
        List<MixedPrecision.Embedding> embeddings = new ArrayList<>();
        for (LayerDecision d : decisions) {
            if (!d.ternarized()) continue;
            var e = budget == null ? java.util.Optional.<MixedPrecision.Embedding>empty() : MixedPrecision.embedding(model, d);
            if (e.isPresent()) {
                embeddings.add(e.get()); // a budget candidate; ternarized without calibration, as every Gather table
                continue;
            }
            CalibLayer.Result r = CalibLayer.find(model.graph(), d.layerIndex(), d.op(), d.weight());
            if (r.layer() != null) found.add(r.layer());
            else notes.add(r.reason());
        }
        // Graph order: each layer is calibrated on the inputs the layers before it, already ternary, give it.
        Map<CalibLayer, Integer> at = new LinkedHashMap<>();
        for (CalibLayer l : found) at.put(l, nodeIndex(model, l));
        List<CalibLayer> layers = found.stream().sorted(java.util.Comparator.comparingInt(at::get)).toList();
        Set<String> candidates = new LinkedHashSet<>();
        for (CalibLayer l : layers) candidates.add(l.weight());
        for (MixedPrecision.Embedding e : embeddings) candidates.add(e.weight());
        List<GroupingBudget.Fixed> fixed = budget == null ? List.of() : MixedPrecision.fixed(model, decisions, candidates, setup(), notes);
        if (layers.isEmpty()) {
            if (!embeddings.isEmpty()) notes.add("no layer to calibrate: the embedding tables are ternarized at the given grouping, outside the budget");
            return new Result(Map.of(), Map.of(), model, List.of(), notes, budget == null ? null : GroupingBudget.choose(List.of(), List.of(), fixed, budget));
        }
        TokenMask mask = TokenMask.of(data.inputs());
        if (mask != null) {
            notes.add("statistics of (example, token) rows leave out padding (" + TokenMask.INPUT + " 0): " + mask.realCount() + " of "
                    + (long) mask.examples() * mask.tokens() + " token rows kept");
            TokenCut cut = TokenCut.plan(model.graph(), data.inputs(), StretchRun.Values.PART);
            long run = 0;
            if (cut != null) for (Examples b : cut.batches()) run += (long) b.count() * b.tokens();
            notes.add(cut != null ? "examples run in order of length, each batch up to its last real token: " + run + " token rows computed"
                    : "the model's token inputs do not share one dynamic token axis: every token row is computed");
        }
        Set<String> wanted = new LinkedHashSet<>();
        if (steps.bias() || steps.variance()) for (CalibLayer l : layers) wanted.add(l.biasOutput());
        Stretches plan = Stretches.plan(model.graph(), layers.stream().map(at::get).toList(), wanted);
        Job job = new Job(model, layers, plan, data, mask, notes);
        // Before the first calibrated layer the full-precision and the partly ternary model agree: one first cut serves both passes.
        Cut first = Cut.first(model, plan.frontiers().get(0), data.inputs(), file);
        GroupingBudget.Choice choice;
        FpPass fp;
        try {
            fp = budget == null && wanted.isEmpty() ? new FpPass(Map.of(), null) : fpPass(job, first);
            choice = budget == null ? null : new MixedPrecision(setup()).choose(model,
                    new MixedPrecision.Layers(layers, fp.stats(), plan, embeddings), fixed, data, budget, notes);
        } catch (IOException | RuntimeException e) {
            first.close();
            throw e;
        }
        Result r = sequential(job, first, fp.moments(), choice);
        return choice == null ? r : new MixedPrecision(setup()).withEmbeddings(r, model, embeddings);
    }

    /**
     * Layer by layer on the partially ternarized model: the calibration inputs' values at the
     * layer's cut (and, for the full-precision target, the full-precision model's values there),
     * statistics, solution, then the stretch to the next cut with this layer ternary.
     */
    private Result sequential(Job job, Cut first, Map<String, Moments> fpMoments, GroupingBudget.Choice choice) throws IOException {
        OnnxModel model = job.model();
        List<CalibLayer> layers = job.layers();
        Stretches plan = job.plan();
        Map<String, float[]> biases = new LinkedHashMap<>(); // the corrected ones
        Map<String, float[]> changed = new LinkedHashMap<>(); // what the partially ternarized model has in place of the model's constants
        Map<String, TernaryTensor> weights = new LinkedHashMap<>();
        Map<String, KeptTensor> kept = new LinkedHashMap<>();
        List<LayerReport> reports = new ArrayList<>();
        Cut cur = first;
        Cut ref = cur; // the full-precision model's values: the same until a layer is ternary
        List<InputStats> stats = null;
        // The full-precision model's next cut depends on no layer's solution: a worker computes it beside this layer's work.
        java.util.concurrent.Future<Cut> fpNext = null;
        try {
            for (int k = 0; k < layers.size(); k++) {
                CalibLayer l = layers.get(k);
                fpNext = steps.fpTarget() && ref != cur && k + 1 < layers.size() ? fpAdvance(model, ref, k, plan) : null;
                boolean target = steps.fpTarget() && !changed.isEmpty(); // before the first changed layer both inputs are the same
                // A layer reading the same value as the one before it (Q, K and V of attention) sees the same inputs.
                boolean same = stats != null && l.input().equals(layers.get(k - 1).input()) && java.util.Objects.equals(l.conv(), layers.get(k - 1).conv())
                        && l.k() == layers.get(k - 1).k() && stats.get(0).hasCross() == target;
                KeptTensor.Precision keep = choice == null ? null : choice.kept().get(l.weight());
                LayerReport report = null;
                if (keep != null) {
                    // Kept layers are near exact: stored as chosen, and the layers after them fit what they output.
                    KeptTensor t = MixedPrecision.keep(model, l, keep);
                    kept.put(l.weight(), t);
                    changed.put(l.weight(), MixedPrecision.stored(l, t.dequantize()));
                    stats = null;
                } else {
                    if (!same) stats = collect(job, l, cur, target ? ref : null);
                    // Solving allocates matrices of k² doubles: idle part memory goes back first.
                    StretchRun.Values.trimPool();
                    report = solve(job, l, groupingFor(l, choice), stats, target, fpMoments, new Solved(changed, weights));
                }
                if (report != null) {
                    reports.add(report);
                    if (report.biasCorrected()) biases.put(l.bias(), changed.get(l.bias()));
                }
                if (k + 1 == layers.size()) break;
                Set<String> next = plan.frontiers().get(k + 1);
                List<String> computed = plan.computed(k);
                boolean diverged = ref != cur || !changed.isEmpty();
                if (fpNext == null && steps.fpTarget() && diverged) fpNext = fpAdvance(model, ref, k, plan); // this layer is the first one changed
                Cut nextCur = advance(model, cur, computed, next, changed), nextRef;
                try {
                    nextRef = fpNext == null ? nextCur : Workers.join(fpNext);
                } catch (IOException | RuntimeException e) {
                    nextCur.close();
                    throw e;
                }
                fpNext = null;
                if (ref != cur) ref.close();
                cur.close();
                cur = nextCur;
                ref = nextRef;
            }
        } finally {
            Cut abandoned = Workers.settle(fpNext);
            if (abandoned != null) abandoned.close();
            if (ref != cur) ref.close();
            cur.close();
        }
        // Full-precision weights with the corrected biases and kept layers: the ternarizer then puts in the ternary weights.
        Map<String, float[]> edits = new LinkedHashMap<>(biases);
        for (String w : kept.keySet()) edits.put(w, changed.get(w));
        return new Result(weights, kept, edits.isEmpty() ? model : model.withFloats(edits), reports, job.notes(), choice);
    }

    /** The full-precision model's values at cut k+1 from {@code ref}'s at cut k, computed by a worker. */
    private java.util.concurrent.Future<Cut> fpAdvance(OnnxModel model, Cut ref, int k, Stretches plan) {
        List<String> computed = plan.computed(k);
        Set<String> next = plan.frontiers().get(k + 1);
        return Workers.submitBeside(ref, () -> advance(model, ref, computed, next, Map.of()));
    }

    /** The values at the next cut, {@code next}, from {@code cut}'s through the stretch that computes {@code computed} with {@code changed} constants. */
    private Cut advance(OnnxModel model, Cut cut, List<String> computed, Set<String> next, Map<String, float[]> changed) throws IOException {
        try (StretchRun run = computed.isEmpty() ? null : StretchRun.open(model, cut.types(), computed, changed, file)) {
            return cut.step(run, next, null);
        }
    }

    /** Ternarizes one layer from its input statistics; records its weights (and corrected bias) in {@code changed}. Null when it cannot be calibrated. */
    private LayerReport solve(Job job, CalibLayer l, Grouping g, List<InputStats> stats, boolean target, Map<String, Moments> fpMoments, Solved solved)
            throws IOException {
        List<String> notes = job.notes();
        Map<String, float[]> changed = solved.changed();
        GroupLayout layout = g.layout(l.canonicalShape());
        int groups = l.groups();
        if (groups > 1 && !layout.rowLocal(l.k())) {
            notes.add(l.weight() + ": grouping " + g.spec() + " spans the conv's groups, ternarized without calibration");
            return null;
        }
        float[] stored = weight(job.model(), l);
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
            // One copy of the centered Gram matrix serves the fit and the variance match: at k in the thousands each is tens of MB.
            double[] centeredGram = centered || steps.variance() ? st.centeredGram() : null;
            double[] h = centered ? centeredGram : st.gram();
            if (target) wg = FpTarget.weights(wg, rows, k, h, centered ? st.centeredCross() : st.cross());
            int[] shape = l.canonicalShape().clone();
            shape[0] = rows;
            LayerProblem p = new LayerProblem(wg, rows, k, h, g.layout(shape), projection.twoScales());
            double[] d = st.meanSquare();
            LayerSolver.Solution plain = LayerSolver.solve(p, d, projection, Steps.NONE);
            LayerSolver.Solution sol = LayerSolver.solve(p, d, projection, steps);
            if (steps.variance()) {
                matchVariance(p, sol.pos(), sol.neg(), sol.codes(), centeredGram, st.count(), java.util.Arrays.copyOfRange(fp.variance(), from, from + rows));
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
        solved.weights().put(l.weight(), tt);
        float[] q = tt.dequantize();
        changed.put(l.weight(), l.transposed() ? transpose(q, l.rows(), l.k()) : q);
        boolean corrected = false;
        if (steps.bias() && l.bias() != null) {
            changed.put(l.bias(), bias);
            corrected = true;
        } else if (steps.bias()) {
            notes.add(l.weight() + ": no bias to correct (" + l.op() + " without a bias vector)");
        }
        return new LayerReport(l.order(), l.op(), l.weight(), l.k(), stats.get(0).count(), ref == 0 ? 0 : plainError / ref,
                ref == 0 ? 0 : error / ref, corrected);
    }

    /** The index of the layer's node in graph order. */
    private static int nodeIndex(OnnxModel model, CalibLayer l) {
        List<org.ternary4j.formats.onnx.OnnxNode> nodes = model.graph().nodes();
        for (int i = 0; i < nodes.size(); i++) {
            var n = nodes.get(i);
            if (n.opType().equals(l.op()) && n.inputs().size() > 1 && n.inputs().get(1).equals(l.weight())) return i;
        }
        throw new IllegalStateException("no node for " + l.weight());
    }

    /** What one pass of the full-precision model measures: its layers' output moments and, for the budget, each layer's input statistics. */
    private record FpPass(Map<String, Moments> moments, List<List<InputStats>> stats) {}

    /**
     * One pass of the calibration inputs through the full-precision model, stretch by stretch:
     * moments of every layer's output and, with a budget, every layer's input statistics.
     */
    private FpPass fpPass(Job job, Cut first) throws IOException {
        OnnxModel model = job.model();
        List<CalibLayer> layers = job.layers();
        Stretches plan = job.plan();
        Map<String, MomentSums> sums = new LinkedHashMap<>();
        for (CalibLayer l : layers) sums.putIfAbsent(l.biasOutput(), new MomentSums(l.rows(), l.conv() != null));
        List<List<InputStats>> stats = budget == null ? null : new ArrayList<>();
        if (stats != null) for (CalibLayer l : layers) stats.add(newStats(l, false));
        Cut v = first;
        try {
            for (int k = 0; k < layers.size(); k++) {
                final int kk = k;
                CalibLayer l = layers.get(k);
                RowSample[] sample = new RowSample[1];
                Cut at = v;
                // The layer's statistics and the stretch to the next cut both only read this cut: a worker takes the statistics.
                java.util.concurrent.Future<Void> collecting = stats == null ? null : Workers.submitBeside(at, () -> {
                    at.forEach(Set.of(l.input()), b -> add(job, l, stats.get(kk), b, null, sample));
                    return null;
                });
                Cut after = null;
                try {
                    List<String> outputs = plan.outputs(k);
                    if (!outputs.isEmpty() || k + 1 < layers.size()) {
                        Set<String> next = k + 1 < layers.size() ? plan.frontiers().get(k + 1) : Set.of();
                        try (StretchRun run = outputs.isEmpty() ? null : StretchRun.open(model, v.types(), outputs, Map.of(), file)) {
                            after = v.step(run, next, (b, computed) -> {
                                for (String name : plan.extras().get(kk)) sums.get(name).add(computed.get(name), job.mask(), b.examples());
                            });
                        }
                    }
                    if (collecting != null) Workers.join(collecting);
                } catch (IOException | RuntimeException e) {
                    Workers.settle(collecting);
                    if (after != null) after.close();
                    throw e;
                }
                if (after == null) break;
                if (v != first) v.close();
                v = after;
            }
        } finally {
            if (v != first) v.close();
        }
        Map<String, Moments> moments = new LinkedHashMap<>();
        sums.forEach((name, m) -> moments.put(name, m.moments()));
        return new FpPass(moments, stats);
    }

    private static List<InputStats> newStats(CalibLayer l, boolean cross) {
        List<InputStats> stats = new ArrayList<>();
        for (int g = 0; g < l.groups(); g++) stats.add(new InputStats(l.k(), cross));
        return stats;
    }

    /** Per-channel sums of a layer output (NCHW for convs, [..., out] for dense layers). */
    private static final class MomentSums {
        final double[] sum, square;
        long count;

        final boolean conv;

        MomentSums(int channels, boolean conv) {
            sum = new double[channels];
            square = new double[channels];
            this.conv = conv;
        }

        /** Adds the output of a batch of {@code examples}; rows of padded tokens ({@code mask}, may be null) are left out. */
        void add(StretchRun.View t, TokenMask mask, Examples examples) {
            long[] s = t.shape();
            int c = sum.length;
            // NCHW for convs (channel, then positions), [..., out] for dense layers, whatever their rank.
            int inner = conv ? (int) (s[2] * s[3]) : 1;
            boolean masked = !conv && mask != null && mask.applies(s, examples.tokens());
            long row = 0;
            java.nio.FloatBuffer v = t.values();
            int length = v.capacity();
            for (int base = 0; base < length; base += c * inner, row++) {
                if (masked && !mask.keeps(examples.get((int) (row / s[1])), row % s[1])) continue;
                for (int ch = 0, i = base; ch < c; ch++) {
                    for (int n = 0; n < inner; n++, i++) {
                        float x = v.get(i);
                        sum[ch] += x;
                        square[ch] += (double) x * x;
                    }
                }
                count += inner;
            }
        }

        Moments moments() {
            double[] mean = new double[sum.length], var = new double[sum.length];
            for (int i = 0; i < sum.length; i++) {
                mean[i] = sum[i] / count;
                var[i] = Math.max(0, square[i] / count - mean[i] * mean[i]);
            }
            return new Moments(mean, var);
        }
    }

    private MixedPrecision.Setup setup() {
        return new MixedPrecision.Setup(file, projection, packing, halfScales, steps.without(Steps.Step.BIAS, Steps.Step.TARGET, Steps.Step.VARIANCE), this::groupingFor);
    }

    /** The grouping the budget chose for the layer, or the ternarizer's. */
    private Grouping groupingFor(CalibLayer l, GroupingBudget.Choice choice) {
        String chosen = choice == null ? null : choice.groupings().get(l.weight());
        return chosen != null ? Grouping.parse(chosen) : groupingFor(l.canonicalShape());
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
     * Statistics of the layer's inputs in the values of every batch at its cut; with {@code reference}
     * (the full-precision model's values there) also the cross moments with the reference inputs.
     */
    private List<InputStats> collect(Job job, CalibLayer l, Cut current, Cut reference) throws IOException {
        List<InputStats> stats = newStats(l, reference != null);
        RowSample[] sample = new RowSample[1];
        Set<String> input = Set.of(l.input());
        for (int b = 0; b < current.parts(); b++) {
            try (StretchRun.Values c = current.load(b, input); StretchRun.Values r = reference == null ? null : reference.load(b, input)) {
                add(job, l, stats, c, r, sample);
            }
        }
        return stats;
    }

    /**
     * Adds the rows {@code sample[0]} keeps of one batch's inputs of the layer (chosen at the first
     * batch, for {@code total} examples).
     */
    private void add(Job job, CalibLayer l, List<InputStats> stats, StretchRun.Values current, StretchRun.Values reference, RowSample[] sample)
            throws IOException {
        int total = job.data().inputs().count();
        TokenMask mask = job.mask();
        StretchRun.View t = current.view(l.input(), file);
        java.nio.FloatBuffer ref = reference == null ? null : reference.view(l.input(), file).values();
        long[] s = t.shape();
        if (l.conv() != null) {
            if (s.length != 4 || s[1] != l.conv().channels()) throw new IllegalArgumentException(file + ": input of " + l.node() + " has shape " + java.util.Arrays.toString(s));
            int n = (int) s[0], h = (int) s[2], w = (int) s[3];
            if (sample[0] == null) sample[0] = RowSample.of((long) total * l.conv().outH(h) * l.conv().outW(w), l.k(), l.conv().outW(w));
            l.conv().patches(new ConvGeometry.Batch(t.values(), ref, n, h, w, current.examples()), stats, sample[0]);
        } else {
            if (s.length < 1 || s[s.length - 1] != l.k()) throw new IllegalArgumentException(file + ": input of " + l.node() + " has shape " + java.util.Arrays.toString(s));
            Examples examples = current.examples();
            int n = examples.count();
            long rows = t.values().capacity() / l.k(), perExample = s.length > 1 && n > 0 ? rows / n : 1;
            boolean masked = mask != null && mask.applies(s, examples.tokens());
            // Rows are numbered as if no token were cut, so a sample keeps the same rows however the examples were batched.
            long numbered = masked ? mask.tokens() : perExample;
            if (sample[0] == null) sample[0] = RowSample.of(total * numbered, l.k(), numbered);
            float[] x = new float[l.k()], r = ref == null ? null : new float[l.k()];
            Rows each = new Rows(t.values(), ref, x, r, stats.get(0), sample[0]);
            if (perExample * n != rows) {
                each.add(examples.get(0) * perExample, 0, rows, null, 0); // rows not one block per example: the part as one block
                return;
            }
            for (int e = 0; e < n; e++) each.add(examples.get(e) * numbered, e * perExample, perExample, masked ? mask : null, examples.get(e));
        }
    }

    /** Adds sampled rows of a layer's inputs ({@code ref}: the full-precision model's, or null) to its statistics. */
    private record Rows(java.nio.FloatBuffer x, java.nio.FloatBuffer ref, float[] row, float[] refRow, InputStats stats, RowSample sample) {
        /**
         * The rows {@code at ..< at + count} of the batch, numbered {@code number ..} over the whole
         * calibration set; with {@code mask}, only example {@code example}'s real tokens.
         */
        void add(long number, long at, long count, TokenMask mask, int example) {
            int k = row.length;
            for (long i = sample.firstFrom(number); i < number + count; i += sample.stride()) {
                if (mask != null && !mask.keeps(example, i - number)) continue;
                int off = (int) (at + i - number) * k;
                x.get(off, row);
                if (ref == null) {
                    stats.add(row, 0);
                } else {
                    ref.get(off, refRow);
                    stats.add(row, 0, refRow, 0);
                }
            }
        }
    }

    /** The layer's stored weight values in {@code model} ({@link CalibLayer#find} checked it is an embedded FLOAT constant). */
    private static float[] weight(OnnxModel model, CalibLayer l) throws IOException {
        return CalibLayer.embeddedFloat(model.graph(), l.weight()).orElseThrow().floats();
    }
}
