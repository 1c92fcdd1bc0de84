package org.ternary4j.qat.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ternary4j.qat.graph.GraphInterpreter;

/**
 * The full-precision model's values on every example (computed once, kept on the host) and the
 * loss that pulls the student towards them: per target, the mean squared error divided by the
 * teacher's mean square, so every target weighs the same whatever its scale. Logits are centred
 * per example first (softmax ignores a shift); this is the high-temperature limit of
 * Hinton's KL distillation and, unlike KL on a saturated softmax, keeps pulling on examples the
 * teacher is sure about. Logits over more than {@link TopKTeacher#DENSE_CLASSES} classes (a
 * recogniser's characters) are kept as the teacher's top k per position and matched by KL
 * divergence instead ({@link TopKTeacher}). With labels, the cross-entropy of the first logits
 * target is added.
 */
final class Distillation {
    private final List<Target> targets;
    private final List<float[]> values = new ArrayList<>();
    /** Per target, its top-k store, or null where {@link #values} holds it whole. */
    private final List<TopKTeacher> topK = new ArrayList<>();
    private final List<long[]> exampleShapes = new ArrayList<>();
    private final double[] meanSquare;

    private Distillation(List<Target> targets, double[] meanSquare) {
        this.targets = targets;
        this.meanSquare = meanSquare;
    }

    /** Runs the unmodified graph over all examples in batches of {@code batch}. */
    static Distillation teacher(GraphInterpreter g, Inputs in, List<Target> targets, NDManager parent, int batch) {
        List<String> names = targets.stream().map(Target::value).toList();
        List<List<float[]>> parts = new ArrayList<>();
        for (int t = 0; t < targets.size(); t++) parts.add(new ArrayList<>());
        List<long[]> shapes = new ArrayList<>();
        List<TopKTeacher> sparse = new ArrayList<>();
        for (int start = 0; start < in.count(); start += batch) {
            // The scope also closes what ops on the model's constants put on the constants' manager.
            try (NDManager m = parent.newSubManager(); ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
                NDList x = in.batch(m, Inputs.range(start, Math.min(in.count(), start + batch)));
                Map<String, NDArray> feeds = new LinkedHashMap<>();
                for (int k = 0; k < x.size(); k++) feeds.put(in.names().get(k), x.get(k));
                List<NDArray> outs = new ArrayList<>(g.run(feeds, Map.of(), names).values());
                for (int t = 0; t < targets.size(); t++) {
                    if (start == 0) targets.get(t).check(outs.get(t).getShape().dimension());
                    if (start == 0) {
                        shapes.add(outs.get(t).getShape().slice(1).getShape());
                        sparse.add(sparse(targets.get(t), outs.get(t).getShape(), in.count()));
                    }
                    TopKTeacher k = sparse.get(t);
                    if (k != null) {
                        float[] v = outs.get(t).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
                        int per = k.positions() * k.classes(), n = v.length / per;
                        for (int i = 0; i < n; i++) k.put(start + i, v, i * per);
                        continue;
                    }
                    NDArray o = targets.get(t).logits() ? centred(outs.get(t)) : outs.get(t);
                    parts.get(t).add(o.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
                }
            }
        }
        double[] ms = new double[targets.size()];
        Distillation d = new Distillation(targets, ms);
        for (int t = 0; t < targets.size(); t++) {
            d.topK.add(sparse.get(t));
            int n = parts.get(t).stream().mapToInt(a -> a.length).sum();
            float[] all = new float[n];
            int at = 0;
            double sq = 0;
            for (float[] p : parts.get(t)) {
                System.arraycopy(p, 0, all, at, p.length);
                at += p.length;
            }
            for (float v : all) sq += (double) v * v;
            ms[t] = Math.max(sq / Math.max(1, n), 1e-12);
            d.values.add(all);
            d.exampleShapes.add(shapes.get(t));
        }
        return d;
    }

    /** A top-k store for logits over many classes, else null (the target is kept whole). */
    private static TopKTeacher sparse(Target t, Shape batchShape, int examples) {
        long classes = batchShape.get(batchShape.dimension() - 1);
        if (!t.logits() || classes <= TopKTeacher.DENSE_CLASSES) return null;
        long positions = batchShape.size() / batchShape.get(0) / classes;
        return TopKTeacher.of(Math.toIntExact(classes), Math.toIntExact(positions), examples);
    }

    /** Logits minus their mean over the class (last) axis. */
    static NDArray centred(NDArray logits) {
        return logits.sub(logits.mean(new int[] {logits.getShape().dimension() - 1}, true));
    }

    List<Target> targets() {
        return targets;
    }

    /** The teacher's (centred) values of target {@code t} for the examples {@code idx}. */
    NDArray teacher(NDManager m, int t, int[] idx) {
        long[] s = exampleShapes.get(t);
        int per = (int) new Shape(s).size();
        float[] v = new float[idx.length * per];
        for (int i = 0; i < idx.length; i++) System.arraycopy(values.get(t), idx[i] * per, v, i * per, per);
        long[] shape = new long[s.length + 1];
        shape[0] = idx.length;
        System.arraycopy(s, 0, shape, 1, s.length);
        return m.create(v, new Shape(shape));
    }

    /** The distillation loss of the student's target values on the examples {@code idx}, plus cross-entropy on {@code labels} (null: none). */
    NDArray loss(NDList student, int[] idx, int[] labels, NDManager m) {
        NDArray total = null;
        for (int t = 0; t < targets.size(); t++) {
            if (topK.get(t) != null) {
                NDArray l = topK.get(t).loss(student.get(t), idx, m);
                total = total == null ? l : total.add(l);
                continue;
            }
            NDArray s = targets.get(t).logits() ? centred(student.get(t)) : student.get(t);
            NDArray l = s.sub(teacher(m, t, idx)).square().mean().div((float) meanSquare[t]);
            total = total == null ? l : total.add(l);
        }
        int c = labelTarget();
        if (labels != null && c >= 0) {
            NDArray logp = student.get(c).logSoftmax(1);
            int classes = (int) logp.getShape().get(1);
            float[] hot = new float[idx.length * classes];
            for (int i = 0; i < idx.length; i++) {
                int y = labels[idx[i]];
                if (y >= classes) throw new IllegalArgumentException("label " + y + " of example " + idx[i] + " is not below the model's " + classes + " classes");
                hot[i * classes + y] = 1;
            }
            total = total.add(logp.mul(m.create(hot, logp.getShape())).sum().div(-idx.length));
        }
        return total;
    }

    /** The first target holding [N, classes] logits, or −1. */
    int labelTarget() {
        for (int t = 0; t < targets.size(); t++) if (targets.get(t).logits() && exampleShapes.get(t).length == 1) return t;
        return -1;
    }

    /** The first logits target ([N, classes] or [N, positions…, classes]), or −1: the one arg-max agreement is measured on. */
    int agreementTarget() {
        for (int t = 0; t < targets.size(); t++) if (targets.get(t).logits()) return t;
        return -1;
    }

    /** Classes along the last axis of target {@code t}. */
    int classes(int t) {
        long[] s = exampleShapes.get(t);
        return (int) s[s.length - 1];
    }

    /** The teacher's arg-max class at each position of each example on {@link #agreementTarget()}, example by example. */
    int[] teacherClasses() {
        int t = agreementTarget();
        return topK.get(t) != null ? topK.get(t).top1() : argMax(values.get(t), classes(t));
    }

    static int[] argMax(float[] v, int classes) {
        int[] out = new int[v.length / classes];
        for (int i = 0; i < out.length; i++) {
            int best = 0;
            for (int k = 1; k < classes; k++) if (v[i * classes + k] > v[i * classes + best]) best = k;
            out[i] = best;
        }
        return out;
    }
}
