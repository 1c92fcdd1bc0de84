package org.ternary4j.qat.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ternary4j.qat.EngineArrays;
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
 * target is added. A target with one row per token ([examples, tokens, ...], for a model with an
 * {@code attention_mask} input) is compared on the real tokens only, padding being no part of what
 * the model computes for a text; its mean over the real tokens (the sentence embedding of
 * mean-pooling models) adds 1 − cosine to the teacher's, the error retrieval sees, times the target's pooled weight
 * (graph outputs only, not hidden targets). Each target's loss is scaled by its {@link Target#weight()}.
 */
final class Distillation {
    private final List<Target> targets;
    private final List<float[]> values = new ArrayList<>();
    /** Per target, the per-token store where the target is compared on real tokens, else null. */
    private final List<TokenValues> perToken = new ArrayList<>();
    /** Per target, its top-k store, or null where {@link #values} holds it whole. */
    private final List<TopKTeacher> topK = new ArrayList<>();
    private final List<long[]> exampleShapes = new ArrayList<>();
    private final double[] meanSquare;
    private final Inputs inputs;
    /** Per target: compared on real tokens only. */
    private final boolean[] tokens;

    private Distillation(List<Target> targets, double[] meanSquare, Inputs inputs) {
        this.targets = targets;
        this.meanSquare = meanSquare;
        this.inputs = inputs;
        this.tokens = new boolean[targets.size()];
    }

    /**
     * Runs the unmodified graph over all examples in batches of about {@code batch} texts of similar
     * length (each cut after its last real token); per-token values are kept up to each example's
     * last real token ({@link TokenValues}).
     */
    static Distillation teacher(GraphInterpreter g, Inputs in, List<Target> targets, NDManager parent, int batch) {
        Runtime rt = Runtime.getRuntime();
        return teacher(g, in, targets, parent, batch, rt.maxMemory() - (rt.totalMemory() - rt.freeMemory()));
    }

    /** As above, refusing values that need more than three quarters of {@code free} bytes. */
    static Distillation teacher(GraphInterpreter g, Inputs in, List<Target> targets, NDManager parent, int batch, long free) {
        List<String> names = targets.stream().map(Target::value).toList();
        List<long[]> shapes = new ArrayList<>();
        List<TopKTeacher> sparse = new ArrayList<>();
        double[] ms = new double[targets.size()], sq = new double[targets.size()], cnt = new double[targets.size()];
        Distillation d = new Distillation(targets, ms, in);
        float[][] all = new float[targets.size()][];
        TokenValues[] stores = new TokenValues[targets.size()];
        long need = 0;
        boolean first = true;
        for (int[] idx : in.batches(Inputs.range(0, in.count()), batch, new java.util.Random(0))) {
            // The scope also closes what ops on the model's constants put on the constants' manager.
            try (NDManager m = parent.newSubManager(); ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
                NDList x = in.batch(m, idx);
                NDArray mask = in.tokenMask(m, idx);
                Map<String, NDArray> feeds = new LinkedHashMap<>();
                for (int k = 0; k < x.size(); k++) feeds.put(in.names().get(k), x.get(k));
                List<NDArray> outs = new ArrayList<>(g.run(feeds, Map.of(), names).values());
                for (int t = 0; t < targets.size(); t++) {
                    if (first) {
                        targets.get(t).check(outs.get(t).getShape().dimension());
                        sparse.add(sparse(targets.get(t), outs.get(t).getShape(), in.count()));
                    }
                    TopKTeacher k = sparse.get(t);
                    if (k != null) {
                        float[] v = outs.get(t).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
                        int per = k.positions() * k.classes();
                        for (int i = 0; i < idx.length; i++) k.put(idx[i], v, i * per);
                        if (first) shapes.add(outs.get(t).getShape().slice(1).getShape());
                        continue;
                    }
                    NDArray o = (targets.get(t).logits() ? centred(outs.get(t)) : outs.get(t)).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
                    if (first) {
                        d.tokens[t] = !targets.get(t).logits() && perToken(o, mask);
                        long[] shape = o.getShape().slice(1).getShape();
                        need += storeBytes(in, shape, d.tokens[t]);
                        if (need > free * 3 / 4) throw tooLarge(in, targets.size(), need, free);
                        if (d.tokens[t]) {
                            shape[0] = in.tokens();
                            stores[t] = new TokenValues(in.lengths(), Math.toIntExact(new Shape(shape).size() / shape[0]));
                        } else {
                            all[t] = new float[Math.multiplyExact(in.count(), Math.toIntExact(new Shape(shape).size()))];
                        }
                        shapes.add(shape);
                    }
                    float[] v = o.toFloatArray();
                    int per = v.length / idx.length;
                    for (int i = 0; i < idx.length; i++) {
                        if (stores[t] != null) stores[t].put(idx[i], v, i * per);
                        else System.arraycopy(v, i * per, all[t], idx[i] * per, per);
                    }
                    if (d.tokens[t]) { // the mean square over real tokens
                        float[] real = mask.toFloatArray();
                        int width = v.length / real.length;
                        for (int i = 0; i < v.length; i++) {
                            if (real[i / width] == 0) continue;
                            sq[t] += (double) v[i] * v[i];
                            cnt[t]++;
                        }
                    } else {
                        for (float f : v) sq[t] += (double) f * f;
                        cnt[t] += v.length;
                    }
                }
            }
            first = false;
        }
        for (int t = 0; t < targets.size(); t++) {
            d.topK.add(sparse.get(t));
            ms[t] = Math.max(sq[t] / Math.max(1, cnt[t]), 1e-12);
            d.values.add(all[t]);
            d.perToken.add(stores[t]);
            d.exampleShapes.add(shapes.get(t));
        }
        return d;
    }

    /** Bytes the teacher's values of one target take: half floats per real token, else floats per example. */
    private static long storeBytes(Inputs in, long[] exampleShape, boolean perToken) {
        long width = new Shape(exampleShape).size() / (perToken ? exampleShape[0] : 1);
        if (!perToken) return 4 * width * in.count();
        long rows = 0;
        for (int l : in.lengths()) rows += l;
        return 2 * width * rows;
    }

    /**
     * The teacher's values are kept for the whole run; past three quarters of the memory left the
     * training steps would run out of it, after the minutes the teacher pass took.
     */
    private static IllegalArgumentException tooLarge(Inputs in, int targets, long need, long free) {
        return new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                "%s: the full-precision values of %d targets on %d examples need more than %.2f GB, over three quarters of the %.2f GB of memory left;"
                        + " use fewer examples or intermediate targets, or give the JVM more memory", in.source(), targets, in.count(), need / 1e9, free / 1e9));
    }

    /** A top-k store for logits over many classes, else null (the target is kept whole). */
    private static TopKTeacher sparse(Target t, Shape batchShape, int examples) {
        long classes = batchShape.get(batchShape.dimension() - 1);
        if (!t.logits() || classes <= TopKTeacher.DENSE_CLASSES) return null;
        long positions = batchShape.size() / batchShape.get(0) / classes;
        return TopKTeacher.of(Math.toIntExact(classes), Math.toIntExact(positions), examples);
    }

    /** Whether {@code value} has one row per token of {@code mask} ([examples, tokens, ...]). */
    private static boolean perToken(NDArray value, NDArray mask) {
        long[] s = value.getShape().getShape();
        return mask != null && s.length >= 3 && s[0] == mask.getShape().get(0) && s[1] == mask.getShape().get(1);
    }

    /** The [n, tokens] mask with ones appended to its shape so it broadcasts over {@code value}'s per-token features. */
    private static NDArray expand(NDArray mask, NDArray value) {
        long[] s = new long[value.getShape().dimension()];
        java.util.Arrays.fill(s, 1);
        s[0] = mask.getShape().get(0);
        s[1] = mask.getShape().get(1);
        return mask.reshape(new Shape(s));
    }

    /** Mean over the real tokens, per example: [n, features...]. */
    private static NDArray pooled(NDArray value, NDArray w, NDArray mask) {
        return value.mul(w).sum(new int[] {1}).div(expand(mask.sum(new int[] {1}, true).maximum(1f), value).squeeze(1));
    }

    /** Mean over the examples of 1 − cos(a_i, b_i), each example's features flattened. */
    private static NDArray cosineGap(NDArray a, NDArray b) {
        NDArray x = a.reshape(a.getShape().get(0), -1), y = b.reshape(b.getShape().get(0), -1);
        NDArray dot = x.mul(y).sum(new int[] {1});
        NDArray norms = EngineArrays.maximum(x.square().sum(new int[] {1}).mul(y.square().sum(new int[] {1})).sqrt(), 1e-12f);
        return dot.div(norms).neg().add(1f).mean();
    }

    /** Logits minus their mean over the class (last) axis. */
    static NDArray centred(NDArray logits) {
        return logits.sub(logits.mean(new int[] {logits.getShape().dimension() - 1}, true));
    }

    List<Target> targets() {
        return targets;
    }

    /** The teacher's (centred) values of target {@code t} for the examples {@code idx}, per-token ones cut as the inputs are. */
    NDArray teacher(NDManager m, int t, int[] idx) {
        long[] s = exampleShapes.get(t).clone();
        float[] v;
        if (perToken.get(t) != null) {
            s[0] = inputs.length(idx);
            v = perToken.get(t).get(idx, (int) s[0]);
        } else {
            int per = (int) new Shape(s).size();
            v = new float[idx.length * per];
            for (int i = 0; i < idx.length; i++) System.arraycopy(values.get(t), idx[i] * per, v, i * per, per);
        }
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
            NDArray l;
            if (tokens[t]) {
                NDArray mask = inputs.tokenMask(m, idx), w = expand(mask, s), ref = teacher(m, t, idx);
                float real = mask.sum().getFloat() * (s.size() / mask.size());
                l = EngineArrays.div(s.sub(ref).square().mul(w).sum(), Math.max(1f, real) * (float) meanSquare[t]);
                float pooledWeight = targets.get(t).pooled();
                if (pooledWeight > 0) {
                    NDArray gap = cosineGap(pooled(s, w, mask), pooled(ref, w, mask));
                    l = l.add(pooledWeight == 1 ? gap : EngineArrays.mul(gap, pooledWeight));
                }
            } else {
                l = EngineArrays.div(s.sub(teacher(m, t, idx)).square().mean(), (float) meanSquare[t]);
            }
            if (targets.get(t).weight() != 1) l = EngineArrays.mul(l, targets.get(t).weight());
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
            total = total.add(EngineArrays.div(logp.mul(m.create(hot, logp.getShape())).sum(), -idx.length));
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
