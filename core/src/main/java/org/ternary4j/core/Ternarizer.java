package org.ternary4j.core;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
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
            int chunks = Math.min(groups, threads * 8);
            try (ForkJoinPool pool = new ForkJoinPool(threads)) {
                pool.submit(() -> IntStream.range(0, chunks).parallel().forEach(c ->
                        projectRange(w, layout, (int) ((long) groups * c / chunks), (int) ((long) groups * (c + 1) / chunks), codes, pos, neg))).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
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
                if (!GroupPasses.allFinite(buf, n)) {
                    for (int j = 0; j < n; j++) if (!Float.isFinite(buf[j])) throw new NonFiniteWeightException(layout.starts()[g] + j, buf[j]);
                }
                s = projection.project(buf, n, groupCodes);
                System.arraycopy(groupCodes, 0, codes, at, n);
            }
            pos[g] = s.pos();
            if (neg != null) neg[g] = s.neg();
        }
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
