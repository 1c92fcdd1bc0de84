package org.ternary4j.ptq.calibrate;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.onnx.OnnxModel;

/**
 * Each calibrated layer's sensitivity, the model's relative output error Σ‖y_l − y‖² / Σ‖y‖² with
 * only that layer at its reference weight, measured from the layer's cut on: the full-precision
 * values at cut k ({@link Stretches}) go through the rest of the model once with layer k changed,
 * and are then carried to cut k+1. The part before a layer is the same for the changed and the
 * unchanged model, so running it once serves every layer after it; a full-model run per layer
 * spent most of mixed precision's time there. The full-precision outputs come from the rest of the
 * model from the first cut, in the same batches, so every difference compares like with like.
 * Layers' runs go to {@link Workers} while the values are carried on.
 */
final class Sensitivity {
    private final OnnxModel model;
    private final Stretches plan;
    private final List<String> outputs;
    private final String file;

    /** {@code outputs}: the model's FLOAT outputs, compared; {@code plan}: the cuts of the calibrated layers, in order. */
    Sensitivity(OnnxModel model, Stretches plan, List<String> outputs, String file) {
        this.model = model;
        this.plan = plan;
        this.outputs = List.copyOf(outputs);
        this.file = file;
    }

    /**
     * Per layer (plan order), the relative output error on {@code data} with {@code weights.get(k)}
     * in place of layer k's weight ({@code names.get(k)}; stored layout).
     */
    List<Double> measure(List<String> names, List<float[]> weights, Dataset data) throws IOException {
        if (names.size() != plan.cuts().size() || weights.size() != names.size()) {
            throw new IllegalArgumentException("one reference weight per cut expected: " + names.size() + " names, " + plan.cuts().size() + " cuts");
        }
        List<Double> out = new ArrayList<>();
        // Cuts whose layer's run is still going, oldest first; at most one per worker and the newest are open.
        Deque<Pending> pending = new ArrayDeque<>();
        TokenMask mask = TokenMask.of(data);
        Cut cur = Cut.first(model, plan.frontiers().get(0), data, file);
        try {
            List<float[]> reference = new ArrayList<>();
            double[] sum = {0};
            rest(cur, 0, Map.of(), (i, y, shape, examples) -> {
                float[] y0 = copy(y);
                reference.add(y0);
                sum[0] = squares(FloatBuffer.wrap(y0), null, new Output(shape, examples, mask), sum[0]);
            });
            double norm = sum[0];
            for (int k = 0; k < names.size(); k++) {
                // Layer k's run depends on no other layer's: a worker does it while this thread carries the values to cut k+1.
                Cut at = cur;
                int kk = k;
                pending.add(new Pending(at, Workers.submitBeside(at, () -> difference(at, kk, Map.of(names.get(kk), weights.get(kk)), reference, mask))));
                if (k + 1 < names.size()) cur = advance(cur, k);
                while (pending.size() > Workers.threads() || !pending.isEmpty() && k + 1 == names.size()) {
                    Pending p = pending.removeFirst();
                    try {
                        double diff = Workers.join(p.run());
                        out.add(norm == 0 ? 0 : diff / norm);
                    } finally {
                        if (p.cut() != cur) p.cut().close();
                    }
                }
            }
        } finally {
            for (Pending p : pending) {
                Workers.settle(p.run());
                if (p.cut() != cur) p.cut().close();
            }
            cur.close();
        }
        return out;
    }

    /** A cut and the sensitivity run that reads it. */
    private record Pending(Cut cut, Future<Double> run) {}

    /**
     * Σ‖y − y₀‖² over the model's outputs (rows of padded tokens left out), run from cut k on with
     * {@code changed} constants, against the full-precision outputs {@code reference}.
     */
    private double difference(Cut cut, int k, Map<String, float[]> changed, List<float[]> reference, TokenMask mask) throws IOException {
        double[] diff = {0};
        rest(cut, k, changed, (i, y, shape, examples) -> {
            float[] y0 = reference.get(i);
            if (y.capacity() != y0.length) throw new IllegalStateException("output sizes differ between runs: " + y.capacity() + " and " + y0.length);
            diff[0] = squares(y, y0, new Output(shape, examples, mask), diff[0]);
        });
        return diff[0];
    }

    /** A model output's shape, the examples of its batch, and the padding mask of the calibration set (or null). */
    record Output(long[] shape, Examples examples, TokenMask mask) {}

    /**
     * {@code sum} + Σ (y − y₀)² ({@code y0} null: Σ y²) over the output's elements, added one by one,
     * leaving out rows of padded tokens: their values are never used, and cut batches have fewer of them.
     */
    static double squares(FloatBuffer y, float[] y0, Output out, double sum) {
        long[] shape = out.shape();
        boolean masked = out.mask() != null && out.mask().applies(shape, out.examples().tokens());
        for (int j = 0; j < y.capacity(); j++) {
            if (masked) {
                long row = j / shape[2];
                if (!out.mask().keeps(out.examples().get((int) (row / shape[1])), row % shape[1])) continue;
            }
            double d = y0 == null ? y.get(j) : (double) y.get(j) - y0[j];
            sum += d * d;
        }
        return sum;
    }

    private interface OutputSink {
        /** The {@code index}-th output tensor of the run (batches in order, outputs in order within each), its shape and its batch's examples. */
        void accept(int index, FloatBuffer values, long[] shape, Examples examples);
    }

    /**
     * Runs the model from cut {@code k} to its outputs on every batch, with {@code changed}
     * constants; an output computed before the cut is read from the cut's values.
     */
    private void rest(Cut cut, int k, Map<String, float[]> changed, OutputSink sink) throws IOException {
        Set<String> frontier = plan.frontiers().get(k);
        List<String> computed = outputs.stream().filter(o -> !frontier.contains(o)).toList();
        int[] index = {0};
        try (StretchRun run = computed.isEmpty() ? null : StretchRun.open(model, cut.types(), computed, changed, file)) {
            Set<String> load = new LinkedHashSet<>(run == null ? List.of() : run.inputs());
            for (String o : outputs) if (frontier.contains(o)) load.add(o);
            StretchRun.Extras each = (b, views) -> {
                for (String o : outputs) {
                    StretchRun.View v = frontier.contains(o) ? b.view(o, file) : views.get(o);
                    sink.accept(index[0]++, v.values(), v.shape(), b.examples());
                }
            };
            cut.forEach(load, b -> {
                if (run == null) each.accept(b, Map.of());
                else b.step(run, Set.of(), each).close();
            });
        }
    }

    /** The values at cut k+1 from those at cut k (full precision); the ones at cut k stay open. */
    private Cut advance(Cut cur, int k) throws IOException {
        List<String> computed = plan.computed(k);
        Set<String> next = plan.frontiers().get(k + 1);
        try (StretchRun run = computed.isEmpty() ? null : StretchRun.open(model, cur.types(), computed, Map.of(), file)) {
            return cur.step(run, next, null);
        }
    }

    private static float[] copy(FloatBuffer b) {
        float[] v = new float[b.capacity()];
        b.get(0, v);
        return v;
    }
}
