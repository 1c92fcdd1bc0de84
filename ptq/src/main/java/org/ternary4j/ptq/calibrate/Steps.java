package org.ternary4j.ptq.calibrate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which calibration steps run (each can be switched off to measure what it brings).
 *
 * @param weighted   activation-weighted exact projection (spec §1.3, d_i = E[x_i²]) for the initial codes and scales
 * @param refit      output-error least-squares scales, codes fixed
 * @param gptqRounds rounds of GPTQ-style ternary code search with error feedback (each followed by a refit); 0 = none
 * @param bias       bias correction: the layer's mean output on the calibration inputs equals the full-precision model's
 * @param variance   variance correction: each output channel's variance on the calibration inputs equals full precision's
 * @param descent    after each GPTQ round, coordinate descent over the codes on the exact output error
 * @param fpTarget   fit the full-precision model's layer output W·x_fp from the partially ternarized model's
 *                   inputs x (target W* = W·M·H⁻¹, M = Σ x_fp xᵀ) instead of W·x: later layers undo earlier layers' error
 */
public record Steps(boolean weighted, boolean refit, int gptqRounds, boolean bias, boolean fpTarget, boolean variance, boolean descent) {
    public static final Steps ALL = new Steps(true, true, 3, true, true, false, true);
    public static final Steps NONE = new Steps(false, false, 0, false, false, false, false);

    public Steps {
        if (gptqRounds < 0) throw new IllegalArgumentException("GPTQ rounds must be ≥ 0");
    }

    /** Parses "all", "none" or a comma list of weighted, refit, gptq[:R], bias, target. */
    public static Steps parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("all")) return ALL;
        if (s.equals("none")) return NONE;
        boolean w = false, r = false, b = false, f = false, v = false, cd = false;
        int g = 0;
        for (String part : s.split(",")) {
            String t = part.trim();
            if (t.equals("weighted")) w = true;
            else if (t.equals("refit")) r = true;
            else if (t.equals("bias")) b = true;
            else if (t.equals("target")) f = true;
            else if (t.equals("variance")) v = true;
            else if (t.equals("descent")) cd = true;
            else if (t.equals("gptq")) g = ALL.gptqRounds;
            else if (t.startsWith("gptq:")) {
                try {
                    g = Integer.parseInt(t.substring(5));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("calibration step '" + t + "': rounds must be an integer");
                }
            } else {
                throw new IllegalArgumentException("calibration step '" + t + "': one of weighted, refit, gptq[:R], bias, target, variance, descent (or all, none)");
            }
        }
        return new Steps(w, r, g, b, f, v, cd);
    }

    public String spec() {
        List<String> p = new ArrayList<>();
        if (weighted) p.add("weighted");
        if (refit) p.add("refit");
        if (gptqRounds > 0) p.add("gptq:" + gptqRounds);
        if (bias) p.add("bias");
        if (fpTarget) p.add("target");
        if (variance) p.add("variance");
        if (descent) p.add("descent");
        return p.isEmpty() ? "none" : String.join(",", p);
    }
}
