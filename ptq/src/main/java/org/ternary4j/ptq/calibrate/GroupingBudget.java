package org.ternary4j.ptq.calibrate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;

/**
 * Per-layer grouping under a bits/weight budget. Each layer's candidates (the chosen grouping,
 * row, kernel for convs, blocks of 64/32/16 inputs) are scored by their calibrated relative output
 * error with the layer alone ternarized (its sensitivity); starting from the cheapest candidate of
 * every layer, the upgrade that removes the most error per extra bit is taken while the whole
 * model's bits/weight stays within the budget. Ties break by graph order, then candidate order.
 */
public final class GroupingBudget {

    /** One layer's grouping option: storage cost and relative output error on the calibration inputs. */
    public record Candidate(int layerIndex, String weight, String grouping, long params, double bitsPerWeight, double error) {}

    /** The grouping chosen per weight, the model's resulting bits/weight, every candidate measured. */
    public record Choice(Map<String, String> groupings, double bitsPerWeight, double budget, List<Candidate> candidates) {}

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

    /** Storage of codes plus fp32 scales per weight, as {@code TernaryTensor.bitsPerWeight} counts it. */
    static double bits(int[] canonical, Grouping g, boolean twoScales, Packing packing) {
        long n = 1;
        for (int d : canonical) n *= d;
        long scales = (long) g.layout(canonical).groupCount() * (twoScales ? 2 : 1);
        return (packing.packedBytes(n) * 8.0 + scales * 32.0) / n;
    }

    static Choice choose(List<List<Candidate>> perLayer, double budget) {
        int layers = perLayer.size();
        int[] pick = new int[layers];
        long total = 0;
        double used = 0;
        for (int l = 0; l < layers; l++) {
            List<Candidate> c = perLayer.get(l);
            for (int i = 1; i < c.size(); i++) if (c.get(i).bitsPerWeight() < c.get(pick[l]).bitsPerWeight()) pick[l] = i;
            total += c.get(pick[l]).params();
            used += c.get(pick[l]).bitsPerWeight() * c.get(pick[l]).params();
        }
        while (true) {
            int bestL = -1, bestI = -1;
            double bestRatio = 0;
            for (int l = 0; l < layers; l++) {
                Candidate cur = perLayer.get(l).get(pick[l]);
                for (int i = 0; i < perLayer.get(l).size(); i++) {
                    Candidate c = perLayer.get(l).get(i);
                    double extra = (c.bitsPerWeight() - cur.bitsPerWeight()) * c.params();
                    double gain = cur.error() - c.error();
                    if (gain <= 0 || (used + extra) / total > budget + 1e-12) continue;
                    double ratio = extra <= 0 ? Double.POSITIVE_INFINITY : gain / extra;
                    if (ratio > bestRatio) {
                        bestRatio = ratio;
                        bestL = l;
                        bestI = i;
                    }
                }
            }
            if (bestL < 0) break;
            Candidate cur = perLayer.get(bestL).get(pick[bestL]), next = perLayer.get(bestL).get(bestI);
            used += (next.bitsPerWeight() - cur.bitsPerWeight()) * next.params();
            pick[bestL] = bestI;
        }
        Map<String, String> chosen = new LinkedHashMap<>();
        List<Candidate> all = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            chosen.put(perLayer.get(l).get(pick[l]).weight(), perLayer.get(l).get(pick[l]).grouping());
            all.addAll(perLayer.get(l));
        }
        return new Choice(chosen, total == 0 ? 0 : used / total, budget, all);
    }
}
