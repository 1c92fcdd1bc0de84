package org.ternary4j.ptq.calibrate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;

/**
 * Mixed precision under a bits/weight budget. Each layer has candidates: ternary groupings (the
 * chosen one, row, kernel for convs, blocks of 64/32/16 inputs) and keeping the layer at INT8 or
 * FP16. Each candidate has a storage cost in whole bits and an estimated model output error
 * ({@link MixedPrecision} measures it); the choice minimises the summed error of all layers with
 * the total storage, counting the layers that are no candidates ({@link Fixed}) too, within
 * budget × all weights. That is a multiple-choice knapsack, solved exactly by dynamic programming
 * over the storage in units of {@link #unit} bits (costs rounded up, so the result never exceeds the
 * budget). Ties break by graph order, then candidate order.
 */
public final class GroupingBudget {
    /** The dynamic program's table has at most this many storage units per layer. */
    static final long MAX_UNITS = 200_000;

    /**
     * One layer's option: a grouping spelling or "int8"/"fp16"; its storage in bits; its relative
     * output error with the layer alone changed ({@code localError}, on the layer's own outputs) and
     * the estimated error of the model's outputs it stands for ({@code error}, what is minimised).
     */
    public record Candidate(int layerIndex, String weight, String choice, long params, long bits, double localError, double error) {
        public double bitsPerWeight() {
            return params == 0 ? 0 : (double) bits / params;
        }

        /** Whether this candidate keeps the layer out of ternary (INT8 or FP16). */
        public boolean kept() {
            return choice.equals(KeptTensor.Precision.INT8.spec()) || choice.equals(KeptTensor.Precision.FP16.spec());
        }
    }

    /** A weight layer that is no candidate but counts toward the average: kept full precision, or ternarized without calibration. */
    public record Fixed(String weight, long params, long bits, String reason) {}

    /**
     * What one layer got and why: the chosen candidate and its sensitivity (the model's relative
     * output error with this layer alone ternarized at the layer's reference grouping).
     */
    public record Decision(Candidate chosen, double sensitivity, String why) {}

    /** The choice per weight, the bits/weight over every counted weight, every candidate measured. */
    public record Choice(Map<String, Decision> decisions, double bitsPerWeight, double budget, List<Candidate> candidates, List<Fixed> fixed) {

        /** The ternary grouping chosen per weight (kept layers left out). */
        public Map<String, String> groupings() {
            Map<String, String> g = new LinkedHashMap<>();
            decisions.forEach((w, d) -> {
                if (!d.chosen().kept()) g.put(w, d.chosen().choice());
            });
            return g;
        }

        /** The weights kept out of ternary and their precision. */
        public Map<String, KeptTensor.Precision> kept() {
            Map<String, KeptTensor.Precision> k = new LinkedHashMap<>();
            decisions.forEach((w, d) -> {
                if (d.chosen().kept()) k.put(w, KeptTensor.Precision.parse(d.chosen().choice()));
            });
            return k;
        }

        public String choice(String weight) {
            Decision d = decisions.get(weight);
            return d == null ? null : d.chosen().choice();
        }
    }

    private GroupingBudget() {}

    static List<Grouping> candidates(int[] canonical, Grouping chosen) {
        int k = 1;
        for (int i = 1; i < canonical.length; i++) k *= canonical[i];
        LinkedHashSet<Grouping> out = new LinkedHashSet<>();
        out.add(chosen);
        out.add(new Grouping.Row());
        if (canonical.length >= 3) out.add(new Grouping.Kernel());
        for (int b : new int[] {64, 32, 16}) if (b < k) out.add(new Grouping.Block(b));
        return List.copyOf(out);
    }

    /** Storage of codes plus scales per weight, as {@code TernaryTensor.bitsPerWeight} counts it. */
    static double bits(int[] canonical, Grouping g, boolean twoScales, Packing packing, boolean halfScales) {
        return (double) storedBits(canonical, g, twoScales, packing, halfScales) / count(canonical);
    }

    /** Total storage in bits of a ternary layer: packed codes and its scales, FP16 with {@code halfScales} (as the packed file stores them), else FP32. */
    static long storedBits(int[] canonical, Grouping g, boolean twoScales, Packing packing, boolean halfScales) {
        long scales = (long) g.layout(canonical).groupCount() * (twoScales ? 2 : 1);
        return TernaryTensor.storedBits(count(canonical), scales, packing, halfScales ? 16 : 32);
    }

    /** Total storage in bits of a kept layer: INT8 values and one fp32 scale per row, or FP16 values. */
    static long storedBits(int[] canonical, KeptTensor.Precision p) {
        long n = count(canonical);
        return switch (p) {
            case INT8 -> 8 * n + 32L * canonical[0];
            case FP16 -> 16 * n;
        };
    }

    private static long count(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** {@code sensitivity}: per layer, in the order of {@code perLayer}. */
    static Choice choose(List<List<Candidate>> perLayer, List<Double> sensitivity, List<Fixed> fixed, double budget) {
        int layers = perLayer.size();
        long params = 0, fixedBits = 0, least = 0;
        for (Fixed f : fixed) {
            params += f.params();
            fixedBits += f.bits();
        }
        for (List<Candidate> c : perLayer) {
            params += c.getFirst().params();
            least += c.stream().mapToLong(Candidate::bits).min().orElseThrow();
        }
        // The bits the candidates may use; the rounding down keeps the average within the budget.
        long capacity = (long) Math.floor(budget * params + 1e-9) - fixedBits;
        int[] pick = capacity < least ? cheapest(perLayer) : knapsack(perLayer, capacity);
        Map<String, Decision> decisions = new LinkedHashMap<>();
        List<Candidate> all = new ArrayList<>();
        long used = fixedBits;
        for (int l = 0; l < layers; l++) {
            List<Candidate> c = perLayer.get(l);
            Candidate chosen = c.get(pick[l]);
            used += chosen.bits();
            decisions.put(chosen.weight(), new Decision(chosen, sensitivity.get(l), why(c, pick[l], capacity < least)));
            all.addAll(c);
        }
        return new Choice(decisions, params == 0 ? 0 : (double) used / params, budget, all, List.copyOf(fixed));
    }

    private static int[] cheapest(List<List<Candidate>> perLayer) {
        int[] pick = new int[perLayer.size()];
        for (int l = 0; l < pick.length; l++) {
            List<Candidate> c = perLayer.get(l);
            for (int i = 1; i < c.size(); i++) if (c.get(i).bits() < c.get(pick[l]).bits()) pick[l] = i;
        }
        return pick;
    }

    /** Storage unit of the dynamic program: 1 bit when the capacity is small, coarser so the table stays within {@link #MAX_UNITS}. */
    static long unit(long capacity) {
        return Math.max(1, (capacity + MAX_UNITS - 1) / MAX_UNITS);
    }

    /** Least total error within {@code capacity} bits: best[u] over units used, layer by layer, with the choice recorded per layer. */
    private static int[] knapsack(List<List<Candidate>> perLayer, long capacity) {
        long unit = unit(capacity);
        int cap = (int) (capacity / unit);
        int layers = perLayer.size();
        double[] best = new double[cap + 1], next = new double[cap + 1];
        java.util.Arrays.fill(best, 1, cap + 1, Double.POSITIVE_INFINITY); // exactly u units used so far
        byte[][] from = new byte[layers][cap + 1];
        for (int l = 0; l < layers; l++) {
            List<Candidate> c = perLayer.get(l);
            java.util.Arrays.fill(next, Double.POSITIVE_INFINITY);
            for (int i = 0; i < c.size(); i++) {
                long cost = (c.get(i).bits() + unit - 1) / unit;
                if (cost > cap) continue;
                double e = c.get(i).error();
                for (int u = cap; u >= cost; u--) {
                    double v = best[(int) (u - cost)] + e;
                    if (v < next[u]) {
                        next[u] = v;
                        from[l][u] = (byte) i;
                    }
                }
            }
            double[] t = best;
            best = next;
            next = t;
        }
        int at = 0;
        for (int u = 1; u <= cap; u++) if (best[u] < best[at]) at = u;
        // Costs rounded up to units can leave no assignment although the cheapest fits in bits: that one then.
        if (best[at] == Double.POSITIVE_INFINITY) return cheapest(perLayer);
        int[] pick = new int[layers];
        for (int l = layers - 1; l >= 0; l--) {
            pick[l] = from[l][at];
            at -= (int) ((perLayer.get(l).get(pick[l]).bits() + unit - 1) / unit);
        }
        return pick;
    }

    /** Why the layer got its candidate, against its cheapest one. */
    private static String why(List<Candidate> c, int chosen, boolean overBudget) {
        int cheap = 0;
        for (int i = 1; i < c.size(); i++) if (c.get(i).bits() < c.get(cheap).bits()) cheap = i;
        Candidate ch = c.get(chosen), lo = c.get(cheap);
        if (overBudget) return "the budget is below the least storage every layer can have: cheapest choice";
        if (chosen == cheap) {
            Candidate better = null;
            for (Candidate k : c) if (k.error() < ch.error() && (better == null || k.bits() < better.bits())) better = k;
            return better == null ? "cheapest choice and the least error" : String.format(Locale.ROOT,
                    "cheapest choice: %s would lower the estimated output error by %.3g for %.2f more bits/weight, which other layers use better",
                    better.choice(), ch.error() - better.error(), better.bitsPerWeight() - ch.bitsPerWeight());
        }
        return String.format(Locale.ROOT, "estimated output error %.3g instead of %.3g (%s) for %.2f more bits/weight", ch.error(), lo.error(),
                lo.choice(), ch.bitsPerWeight() - lo.bitsPerWeight());
    }
}
