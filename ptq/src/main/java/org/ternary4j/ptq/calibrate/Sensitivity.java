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
        Cut cur = Cut.first(model, plan.frontiers().get(0), data, file);
        try {
            List<float[]> reference = new ArrayList<>();
            rest(cur, 0, Map.of(), (i, y) -> reference.add(copy(y)));
            double norm = 0;
            for (float[] y : reference) for (float v : y) norm += (double) v * v;
            for (int k = 0; k < names.size(); k++) {
                // Layer k's run depends on no other layer's: a worker does it while this thread carries the values to cut k+1.
                Cut at = cur;
                int kk = k;
                pending.add(new Pending(at, Workers.submitBeside(at, () -> difference(at, kk, Map.of(names.get(kk), weights.get(kk)), reference))));
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

    /** Σ‖y − y₀‖² over the model's outputs, run from cut k on with {@code changed} constants, against the full-precision outputs {@code reference}. */
    private double difference(Cut cut, int k, Map<String, float[]> changed, List<float[]> reference) throws IOException {
        double[] diff = {0};
        rest(cut, k, changed, (i, y) -> {
            float[] y0 = reference.get(i);
            if (y.capacity() != y0.length) throw new IllegalStateException("output sizes differ between runs: " + y.capacity() + " and " + y0.length);
            for (int j = 0; j < y0.length; j++) {
                double d = (double) y.get(j) - y0[j];
                diff[0] += d * d;
            }
        });
        return diff[0];
    }

    private interface OutputSink {
        /** The {@code index}-th output tensor of the run (batches in order, outputs in order within each). */
        void accept(int index, FloatBuffer values);
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
                for (String o : outputs) sink.accept(index[0]++, (frontier.contains(o) ? b.view(o, file) : views.get(o)).values());
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
