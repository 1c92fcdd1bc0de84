package org.ternary4j.ptq.calibrate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which calibration steps run (each can be switched off to measure what it brings) and how many
 * GPTQ-style rounds of code search with error feedback (each followed by a refit; 0 = none).
 */
public record Steps(Set<Step> on, int gptqRounds) {
    /** One switchable step. */
    public enum Step {
        /** Activation-weighted exact projection (spec §1.3, d_i = E[x_i²]) for the initial codes and scales. */
        WEIGHTED("weighted"),
        /** Output-error least-squares scales, codes fixed. */
        REFIT("refit"),
        /** The layer's mean output on the calibration inputs equals the full-precision model's. */
        BIAS("bias"),
        /**
         * Fit the full-precision model's layer output W·x_fp from the partially ternarized model's inputs x
         * (target W* = W·M·H⁻¹, M = Σ x_fp xᵀ) instead of W·x: later layers undo earlier layers' error.
         */
        TARGET("target"),
        /** Each output channel's variance on the calibration inputs equals full precision's. */
        VARIANCE("variance"),
        /** After each GPTQ round, coordinate descent over the codes on the exact output error. */
        DESCENT("descent"),
        /**
         * GPTQ visits the inputs by decreasing E[x²] (act-order) instead of in index order; not in
         * {@code all}: no better on LeNet-5 (CALIBRATION.md).
         */
        ACT_ORDER("act-order"),
        /**
         * Before everything else, AWQ-style equivalent scaling of the dense layers' inputs
         * ({@link EquivalentScaling}); not in {@code all}: it adds a Mul node per scaled value.
         */
        SCALE("scale"),
        /**
         * Before everything else, per-head Hadamard rotations of self-attention folded into the
         * float weights ({@link HeadRotation}); exact, no new nodes; not in {@code all}.
         */
        ROTATE("rotate");

        final String spelling;

        Step(String spelling) {
            this.spelling = spelling;
        }
    }

    public static final Steps ALL = new Steps(EnumSet.of(Step.WEIGHTED, Step.REFIT, Step.BIAS, Step.TARGET, Step.DESCENT), 3);
    public static final Steps NONE = new Steps(EnumSet.noneOf(Step.class), 0);

    public Steps {
        if (gptqRounds < 0) throw new IllegalArgumentException("GPTQ rounds must be ≥ 0");
        on = on.isEmpty() ? Collections.unmodifiableSet(EnumSet.noneOf(Step.class)) : Collections.unmodifiableSet(EnumSet.copyOf(on));
    }

    /** These steps with {@code off} switched off. */
    public Steps without(Step... off) {
        EnumSet<Step> s = on.isEmpty() ? EnumSet.noneOf(Step.class) : EnumSet.copyOf(on);
        for (Step o : off) s.remove(o);
        return new Steps(s, gptqRounds);
    }

    public boolean has(Step step) {
        return on.contains(step);
    }

    // The steps as the solver asks for them.
    public boolean weighted() { return has(Step.WEIGHTED); }
    public boolean refit() { return has(Step.REFIT); }
    public boolean bias() { return has(Step.BIAS); }
    public boolean fpTarget() { return has(Step.TARGET); }
    public boolean variance() { return has(Step.VARIANCE); }
    public boolean descent() { return has(Step.DESCENT); }
    public boolean actOrder() { return has(Step.ACT_ORDER); }
    public boolean scale() { return has(Step.SCALE); }
    public boolean rotate() { return has(Step.ROTATE); }

    /** Parses "all", "none" or a comma list of weighted, refit, gptq[:R], bias, target, variance, descent, act-order, scale, rotate. */
    public static Steps parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("all")) return ALL;
        if (s.equals("none")) return NONE;
        EnumSet<Step> on = EnumSet.noneOf(Step.class);
        int g = 0;
        for (String part : s.split(",")) {
            String t = part.trim();
            Step step = Arrays.stream(Step.values()).filter(x -> x.spelling.equals(t)).findFirst().orElse(null);
            if (step != null) on.add(step);
            else if (t.equals("gptq")) g = ALL.gptqRounds;
            else if (t.startsWith("gptq:")) {
                try {
                    g = Integer.parseInt(t.substring(5));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("calibration step '" + t + "': rounds must be an integer");
                }
            } else {
                throw new IllegalArgumentException("calibration step '" + t + "': one of weighted, refit, gptq[:R], bias, target, variance, descent, act-order, scale, rotate (or all, none)");
            }
        }
        return new Steps(on, g);
    }

    /** The spelling {@link #parse} reads back, steps in a fixed order. */
    public String spec() {
        List<String> p = new ArrayList<>();
        if (weighted()) p.add("weighted");
        if (refit()) p.add("refit");
        if (gptqRounds > 0) p.add("gptq:" + gptqRounds);
        if (bias()) p.add("bias");
        if (fpTarget()) p.add("target");
        if (variance()) p.add("variance");
        if (descent()) p.add("descent");
        if (actOrder()) p.add("act-order");
        if (scale()) p.add("scale");
        if (rotate()) p.add("rotate");
        return p.isEmpty() ? "none" : String.join(",", p);
    }
}
