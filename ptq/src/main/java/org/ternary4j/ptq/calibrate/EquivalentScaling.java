package org.ternary4j.ptq.calibrate;

import static org.ternary4j.core.FloatArrays.transpose;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.formats.onnx.InputScale;
import org.ternary4j.formats.onnx.LayerDecision;
import org.ternary4j.formats.onnx.OnnxModel;

/**
 * AWQ-style equivalent input scaling: every value that feeds dense layers to be ternarized gets a
 * per-channel factor 1/s (one Mul node, {@link InputScale}) and those layers' input rows the
 * factor s, so the float model computes the same function; the ternary grid then sits on W·diag(s),
 * which gives inputs with large activations finer steps. s = rms(x)^α (normalised by √(max·min)),
 * α from a grid per value, chosen to minimise the summed relative output error
 * Σ (w − q)ᵀ H (w − q) / Σ wᵀ H w of its layers under a cheap solver (weighted projection and a
 * scale refit) on the full-precision model's inputs; α = 0 is the identity, so a value is only
 * scaled when that error drops. Rows of padded tokens are left out as in {@link Calibrator}.
 */
public final class EquivalentScaling {
    /** The α grid searched per value. */
    static final double[] ALPHAS = {0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1};
    private static final Steps PROXY = Steps.parse("weighted,refit");
    /** Values fetched per pass of the calibration inputs (a transformer block's four). */
    private static final int PER_PASS = 4;

    /** The transformed model and one note per scaled value. */
    public record Outcome(OnnxModel model, List<String> notes) {}

    /** The layers that read one value. */
    private record Site(String value, List<CalibLayer> layers) {}

    private final String file;
    private final Projection projection;
    private final Grouping grouping;

    public EquivalentScaling(String file, Projection projection, Grouping grouping) {
        this.file = file;
        this.projection = projection;
        this.grouping = grouping;
    }

    /** {@code model} with the chosen scalings applied to the inputs of the ternarized dense layers among {@code decisions}. */
    public Outcome apply(OnnxModel model, List<LayerDecision> decisions, CalibrationInputs data) throws IOException {
        List<Site> sites = sites(model, decisions);
        List<String> notes = new ArrayList<>();
        if (sites.isEmpty()) return new Outcome(model, List.of("equivalent scaling: no dense layer to scale"));
        Map<String, InputStats> stats = stats(model, sites, data);
        Map<String, float[]> weights = new LinkedHashMap<>();
        List<InputScale> scales = new ArrayList<>();
        for (Site s : sites) {
            InputStats st = stats.get(s.value());
            double[] h = st.gram();
            double[] rms = st.meanSquare();
            for (int j = 0; j < rms.length; j++) rms[j] = Math.sqrt(rms[j]);
            double best = Double.POSITIVE_INFINITY, plain = 0;
            double bestAlpha = 0;
            for (double alpha : ALPHAS) {
                double e = error(model, s, h, factors(rms, alpha));
                if (alpha == 0) plain = e;
                if (e < best) {
                    best = e;
                    bestAlpha = alpha;
                }
            }
            notes.add(String.format(Locale.ROOT, "equivalent scaling of %s (%d layers): α %.3f, proxy output error %.4f → %.4f", s.value(),
                    s.layers().size(), bestAlpha, plain, best));
            if (bestAlpha == 0) continue;
            double[] f = factors(rms, bestAlpha);
            float[] inverse = new float[f.length];
            for (int j = 0; j < f.length; j++) inverse[j] = (float) (1 / f[j]);
            List<String> names = new ArrayList<>();
            for (CalibLayer l : s.layers()) {
                weights.put(l.weight(), scaledStored(model, l, f));
                names.add(l.weight());
            }
            scales.add(new InputScale(s.value(), names, inverse));
        }
        if (scales.isEmpty()) return new Outcome(model, notes);
        return new Outcome(model.withFloats(weights).withInputScales(scales), notes);
    }

    /** Dense layers to be ternarized, grouped by the value they read, in graph order of first use. */
    private static List<Site> sites(OnnxModel model, List<LayerDecision> decisions) {
        Map<String, List<CalibLayer>> by = new LinkedHashMap<>();
        for (LayerDecision d : decisions) {
            if (!d.ternarized()) continue;
            CalibLayer l = CalibLayer.find(model.graph(), d.layerIndex(), d.op(), d.weight()).layer();
            if (l == null || l.conv() != null || !l.op().equals("MatMul") && !l.op().equals("Gemm")) continue;
            by.computeIfAbsent(l.input(), k -> new ArrayList<>()).add(l);
        }
        Set<String> initializers = model.graph().initializers().keySet();
        List<Site> sites = new ArrayList<>();
        by.forEach((value, layers) -> {
            if (!initializers.contains(value)) sites.add(new Site(value, layers));
        });
        return sites;
    }

    /** Statistics of every site's value on the calibration inputs (padded token rows left out). */
    private Map<String, InputStats> stats(OnnxModel model, List<Site> sites, CalibrationInputs data) throws IOException {
        Map<String, InputStats> stats = new LinkedHashMap<>();
        for (Site s : sites) stats.put(s.value(), new InputStats(s.layers().get(0).k()));
        TokenMask mask = TokenMask.of(data.inputs());
        List<String> all = List.copyOf(stats.keySet());
        // A few values per pass: ONNX Runtime hands over every requested value of a whole batch at once.
        for (int from = 0; from < all.size(); from += PER_PASS) {
            Set<String> outputs = new LinkedHashSet<>(all.subList(from, Math.min(all.size(), from + PER_PASS)));
            collect(model, outputs, stats, mask, data);
        }
        return stats;
    }

    private void collect(OnnxModel model, Set<String> outputs, Map<String, InputStats> stats, TokenMask mask, CalibrationInputs data) throws IOException {
        TokenCut cut = TokenCut.plan(model.graph(), data.inputs(), StretchRun.Values.PART);
        try (IntermediateRunner r = IntermediateRunner.open(model.withOutputs(List.copyOf(outputs)).toBytes(), file)) {
            r.run(data.inputs(), outputs, cut, (batch, examples) -> add(batch, examples, stats, mask));
        }
    }

    /** Adds the rows of one batch of {@code examples} (padded tokens left out) to the values' statistics. */
    private void add(Map<String, IntermediateRunner.Tensor> batch, Examples examples, Map<String, InputStats> stats, TokenMask mask) {
        for (var e : batch.entrySet()) {
            IntermediateRunner.Tensor t = e.getValue();
            InputStats st = stats.get(e.getKey());
            int k = st.dim();
            long[] shape = t.shape();
            if (shape[shape.length - 1] != k) throw new IllegalArgumentException(file + ": value '" + e.getKey() + "' has shape " + java.util.Arrays.toString(shape));
            boolean masked = mask != null && mask.applies(shape, examples.tokens());
            int rows = t.values().length / k;
            for (int row = 0; row < rows; row++) {
                if (!masked || mask.keeps(examples.get((int) (row / shape[1])), row % shape[1])) st.add(t.values(), row * k);
            }
        }
    }

    /** s_j = rms_j^α normalised by √(max·min); channels that are (nearly) always zero get the smallest factor in use. */
    static double[] factors(double[] rms, double alpha) {
        double max = 0;
        for (double v : rms) max = Math.max(max, v);
        double floor = max > 0 ? max * 1e-4 : 1;
        double[] s = new double[rms.length];
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (int j = 0; j < s.length; j++) {
            s[j] = Math.pow(Math.max(rms[j], floor), alpha);
            lo = Math.min(lo, s[j]);
            hi = Math.max(hi, s[j]);
        }
        double norm = Math.sqrt(lo * hi);
        for (int j = 0; j < s.length; j++) s[j] /= norm;
        return s;
    }

    /** Summed relative output error of the site's layers ternarized on W·diag(s) for inputs x/s. */
    private double error(OnnxModel model, Site site, double[] h, double[] s) throws IOException {
        int k = s.length;
        double[] hs = new double[k * k];
        double[] d = new double[k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) hs[i * k + j] = h[i * k + j] / (s[i] * s[j]);
            d[i] = hs[i * k + i];
        }
        double sum = 0;
        for (CalibLayer l : site.layers()) {
            float[] w = canonical(model, l);
            int rows = l.rows();
            for (int o = 0; o < rows; o++) for (int j = 0; j < k; j++) w[o * k + j] = (float) (w[o * k + j] * s[j]);
            LayerProblem p = new LayerProblem(w, rows, k, hs, grouping.forRank(2).layout(l.canonicalShape()), projection.twoScales());
            LayerSolver.Solution sol = LayerSolver.solve(p, d, projection, PROXY);
            double ref = p.outputError(new byte[w.length], new float[p.layout().groupCount()], p.twoScales() ? new float[p.layout().groupCount()] : null);
            sum += ref == 0 ? 0 : sol.error() / ref;
        }
        return sum;
    }

    private static float[] canonical(OnnxModel model, CalibLayer l) throws IOException {
        float[] stored = CalibLayer.embeddedFloat(model.graph(), l.weight()).orElseThrow().floats();
        return l.transposed() ? transpose(stored, l.storedShape()[0], l.storedShape()[1]) : stored.clone();
    }

    /** The stored weight with input row j multiplied by s_j. */
    private static float[] scaledStored(OnnxModel model, CalibLayer l, double[] s) throws IOException {
        float[] stored = CalibLayer.embeddedFloat(model.graph(), l.weight()).orElseThrow().floats().clone();
        int k = s.length;
        if (l.transposed()) {
            int out = l.storedShape()[1];
            for (int j = 0; j < k; j++) for (int o = 0; o < out; o++) stored[j * out + o] = (float) (stored[j * out + o] * s[j]);
        } else {
            int out = l.storedShape()[0];
            for (int o = 0; o < out; o++) for (int j = 0; j < k; j++) stored[o * k + j] = (float) (stored[o * k + j] * s[j]);
        }
        return stored;
    }
}
