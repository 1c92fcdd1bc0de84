package org.ternary4j.ptq.calibrate;

import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.core.projection.Scales;
import org.ternary4j.core.projection.WeightedTnt;

/**
 * Ternarizes one layer for its calibration inputs: initial codes and scales (the chosen projection,
 * or its activation-weighted exact version), then optionally scale refits and GPTQ rounds, keeping
 * whichever candidate has the lowest output error Σ (w − q)ᵀ H (w − q).
 */
public final class LayerSolver {

    /** Codes and scales (neg null for one scale) and their output error. */
    public record Solution(byte[] codes, float[] pos, float[] neg, double error) {}

    private LayerSolver() {}

    /** {@code d} are the per-input importances E[x²] (length k); {@code projection} is used when not weighted. */
    public static Solution solve(LayerProblem p, double[] d, Projection projection, Steps steps) {
        Solution plain = plain(p, projection);
        Solution s = steps.weighted() ? weighted(p, d) : plain;
        Shared shared = new Shared(p, steps.actOrder());
        if (steps.refit()) s = better(s, refit(p, shared, s));
        for (int round = 0; round < steps.gptqRounds(); round++) {
            byte[] codes = TernaryGptq.codes(p, shared.factor(), s.pos(), s.neg());
            float[] pos = s.pos().clone(), neg = s.neg() == null ? null : s.neg().clone();
            if (steps.descent()) {
                ScaleRefit.refit(p, shared.weightProducts(), codes, pos, neg);
                CodeDescent.improve(p, codes, pos, neg, 20);
            }
            ScaleRefit.refit(p, shared.weightProducts(), codes, pos, neg);
            Solution next = new Solution(codes, pos, neg, p.outputError(codes, pos, neg));
            if (!(next.error() < s.error())) break;
            s = next;
        }
        // A calibrated layer never ends with more output error than the plain projection. (Starting
        // from the better of the two instead measured 0.2-0.3 points worse on LeNet-5: the weighted
        // start leads GPTQ to codes that generalise better even when it starts higher.)
        return better(plain, s);
    }

    private static Solution better(Solution a, Solution b) {
        return b.error() < a.error() ? b : a;
    }

    private static Solution refit(LayerProblem p, Shared shared, Solution s) {
        byte[] codes = s.codes().clone();
        float[] pos = s.pos().clone(), neg = s.neg() == null ? null : s.neg().clone();
        ScaleRefit.refit(p, shared.weightProducts(), codes, pos, neg);
        return new Solution(codes, pos, neg, p.outputError(codes, pos, neg));
    }

    /** What every refit and GPTQ round on one problem share (both depend on H and w alone), computed when first needed. */
    private static final class Shared {
        private final LayerProblem p;
        private final boolean actOrder;
        private double[] weightProducts;
        private TernaryGptq.Factor factor;

        Shared(LayerProblem p, boolean actOrder) {
            this.p = p;
            this.actOrder = actOrder;
        }

        double[] weightProducts() {
            if (weightProducts == null) weightProducts = ScaleRefit.weightProducts(p);
            return weightProducts;
        }

        TernaryGptq.Factor factor() {
            if (factor == null) factor = TernaryGptq.factor(p, actOrder);
            return factor;
        }
    }

    /** The projection applied per group, as the plain ternarizer does. */
    static Solution plain(LayerProblem p, Projection projection) {
        GroupLayout layout = p.layout();
        int groups = layout.groupCount();
        byte[] codes = new byte[p.w().length];
        float[] pos = new float[groups], neg = p.twoScales() ? new float[groups] : null;
        float[] buf = new float[layout.maxSize()];
        byte[] gc = new byte[layout.maxSize()];
        for (int g = 0; g < groups; g++) {
            int n = layout.size(g);
            if (n == 0) continue;
            layout.gather(p.w(), g, buf);
            Scales sc = projection.project(buf, n, gc);
            layout.scatter(gc, g, codes);
            pos[g] = sc.pos();
            if (neg != null) neg[g] = sc.neg();
            else if (!sc.symmetric()) throw new IllegalArgumentException("projection " + projection.spec() + " gave two scales for a one-scale problem");
        }
        return new Solution(codes, pos, neg, p.outputError(codes, pos, neg));
    }

    /** Spec §1.3 per group with d_i = E[x²] of the input weight i multiplies (floored so every d_i > 0). */
    static Solution weighted(LayerProblem p, double[] d) {
        GroupLayout layout = p.layout();
        int groups = layout.groupCount(), k = p.k();
        double mean = 0;
        for (double v : d) mean += v;
        mean /= d.length;
        // Inputs that are always zero still need a positive importance; a tiny one keeps them
        // from steering the scale while the exact scan stays well defined.
        float floor = (float) Math.max(mean * 1e-6, Float.MIN_NORMAL);
        WeightedTnt wt = new WeightedTnt(p.twoScales());
        byte[] codes = new byte[p.w().length];
        float[] pos = new float[groups], neg = p.twoScales() ? new float[groups] : null;
        float[] buf = new float[layout.maxSize()], dbuf = new float[layout.maxSize()];
        byte[] gc = new byte[layout.maxSize()];
        for (int g = 0; g < groups; g++) {
            int n = layout.size(g);
            if (n == 0) continue;
            for (int j = 0; j < n; j++) {
                int q = layout.position(g, j);
                buf[j] = p.w()[q];
                dbuf[j] = Math.max(floor, (float) d[q % k]);
            }
            Scales sc = wt.project(buf, dbuf, n, gc);
            layout.scatter(gc, g, codes);
            pos[g] = sc.pos();
            if (neg != null) neg[g] = sc.neg();
        }
        return new Solution(codes, pos, neg, p.outputError(codes, pos, neg));
    }
}
