package org.ternary4j.core;

import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.grouping.Shapes;
import org.ternary4j.core.projection.GroupPasses;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.core.projection.Scales;

/**
 * Applies a projection to every group of a tensor. Groups are independent and each writes only
 * its own codes and scale slots, so the result is the same whatever the thread count.
 */
public record Ternarizer(Projection projection, Grouping grouping, int threads) {

    public Ternarizer {
        if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1");
    }

    public Ternarizer(Projection projection, Grouping grouping) {
        this(projection, grouping, 1);
    }

    public TernaryTensor apply(int[] shape, float[] w) {
        if (w.length != Shapes.size(shape)) throw new IllegalArgumentException("tensor has " + w.length + " values for its shape");
        GroupLayout layout = grouping.layout(shape);
        // Each group is checked once it is in cache (projectRange); a layout that leaves elements out is checked whole first.
        if (layout.elementCount() != w.length) refuseNonFinite(w);
        int groups = layout.groupCount();
        byte[] codes = new byte[w.length];
        float[] pos = new float[groups];
        float[] neg = projection.twoScales() ? new float[groups] : null;
        if (threads == 1 || groups < 2) {
            projectRange(w, layout, 0, groups, codes, pos, neg);
        } else {
            inParallel(groups, (from, to) -> projectRange(w, layout, from, to, codes, pos, neg));
        }
        return new TernaryTensor(shape.clone(), grouping, projection.spec(), codes, pos, neg);
    }

    /**
     * Projects groups {@code from … to−1} of a contiguous layout (no index array) on their own, for
     * pipelines that never hold a whole tensor: {@code w[0…]} holds elements
     * {@code layout.starts()[from]…}, their codes go to {@code codes[0…]}, their scales to
     * {@code pos[g]} and {@code neg[g]} (neg null for one-scale projections). Runs on the calling
     * thread; gives the same codes and scales as {@link #apply}. A non-finite weight is refused
     * with its index in the whole tensor.
     */
    public void applyGroups(GroupLayout layout, int from, int to, float[] w, byte[] codes, float[] pos, float[] neg) {
        if (layout.index() != null) throw new IllegalArgumentException("groups are not contiguous runs of elements");
        int base = layout.starts()[from];
        int max = 0;
        for (int g = from; g < to; g++) max = Math.max(max, layout.size(g));
        float[] buf = new float[max];
        byte[] groupCodes = new byte[max];
        for (int g = from; g < to; g++) {
            int n = layout.size(g), at = layout.starts()[g] - base;
            Scales s = Scales.ZERO;
            if (n > 0) {
                System.arraycopy(w, at, buf, 0, n);
                s = projectGroup(buf, n, groupCodes, layout.starts()[g]);
                System.arraycopy(groupCodes, 0, codes, at, n);
            }
            pos[g] = s.pos();
            if (neg != null) neg[g] = s.neg();
        }
    }

    /**
     * Projects one group held in {@code w[0…n)} (n ≥ 1) into {@code codes[0…n)}, as {@link #apply}
     * does each group; {@code first} is the group's first element index in the whole tensor, for
     * the error on a non-finite weight. For pipelines that decode a group straight into a buffer of
     * their own.
     */
    public Scales projectGroup(float[] w, int n, byte[] codes, int first) {
        if (!GroupPasses.allFinite(w, n)) {
            for (int j = 0; j < n; j++) if (!Float.isFinite(w[j])) throw new NonFiniteWeightException(first + j, w[j]);
        }
        return projection.project(w, n, codes);
    }

    /** Work on groups from … to−1. */
    private interface GroupRange {
        void project(int from, int to);
    }

    /**
     * Runs {@code work} over all groups on the calling thread and threads−1 helpers, each taking
     * the next chunk of groups from a shared counter: a thread that got slow groups (or a busy
     * core) takes fewer chunks, and chunks of many groups keep each thread's codes and scales
     * apart (no shared cache lines except at chunk edges). The caller working too keeps its warm
     * per-thread scratch busy; plain threads, unlike a pool made per call, do not spin once out
     * of work.
     */
    private void inParallel(int groups, GroupRange work) {
        int chunks = Math.min(groups, threads * 8);
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Runnable worker = () -> {
            try {
                for (int c; (c = next.getAndIncrement()) < chunks && failure.get() == null; ) {
                    work.project((int) ((long) groups * c / chunks), (int) ((long) groups * (c + 1) / chunks));
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
        Thread[] helpers = new Thread[threads - 1];
        for (int t = 0; t < helpers.length; t++) helpers[t] = Thread.ofPlatform().name("ternarizer-" + t).daemon().start(worker);
        worker.run();
        for (Thread h : helpers) {
            try {
                h.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
    }

    /** Throws for the first non-finite weight in index order, whichever group or thread came across one. */
    private static void refuseNonFinite(float[] w) {
        for (int i = 0; i < w.length; i++) if (!Float.isFinite(w[i])) throw new NonFiniteWeightException(i, w[i]);
    }

    private void projectRange(float[] w, GroupLayout layout, int from, int to, byte[] codes, float[] pos, float[] neg) {
        int max = layout.maxSize();
        float[] buf = new float[max];
        byte[] groupCodes = new byte[max];
        for (int g = from; g < to; g++) {
            int n = layout.size(g);
            Scales s = Scales.ZERO;
            if (n > 0) {
                layout.gather(w, g, buf);
                if (!GroupPasses.allFinite(buf, n)) refuseNonFinite(w);
                s = projection.project(buf, n, groupCodes);
                layout.scatter(groupCodes, g, codes);
            }
            pos[g] = s.pos();
            if (neg != null) neg[g] = s.neg();
        }
    }
}
