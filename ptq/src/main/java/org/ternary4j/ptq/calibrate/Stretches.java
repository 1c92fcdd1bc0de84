package org.ternary4j.ptq.calibrate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.formats.onnx.OnnxGraph;
import org.ternary4j.formats.onnx.OnnxNode;

/**
 * A model cut before each calibrated layer's node (graph order), so that the calibration inputs
 * flow through it stretch by stretch instead of from the start for every layer: cut k's
 * {@code frontier} holds every value computed before the layer's node (or fed to the model) that
 * the layer or a later node still reads; stretch k computes cut k+1's new values from cut k's
 * (and, after the last cut, nothing but the extras). {@code extras.get(k)}: the requested values
 * (bias outputs) that stretch k computes. Constants are not frontier values: a stretch carries
 * the initializers and Constant nodes it uses.
 */
record Stretches(List<Integer> cuts, List<Set<String>> frontiers, List<List<String>> extras) {

    /** {@code nodes}: the node index of each layer, ascending; {@code wanted}: values to compute along the way. */
    static Stretches plan(OnnxGraph g, List<Integer> nodes, Set<String> wanted) {
        List<OnnxNode> all = g.nodes();
        Map<String, Integer> producedAt = new HashMap<>();
        Set<String> constants = new HashSet<>(g.initializers().keySet());
        for (int i = 0; i < all.size(); i++) {
            OnnxNode n = all.get(i);
            boolean constant = n.opType().equals("Constant") && n.standard();
            for (String o : n.outputs()) {
                if (o.isEmpty()) continue;
                if (constant) constants.add(o);
                else producedAt.put(o, i);
            }
        }
        for (var in : g.runtimeInputs()) producedAt.put(in.name(), -1);
        Map<String, Integer> lastUse = new HashMap<>();
        for (int i = 0; i < all.size(); i++) {
            for (String in : reads(all.get(i))) if (producedAt.containsKey(in)) lastUse.merge(in, i, Math::max);
        }
        List<Set<String>> frontiers = new ArrayList<>();
        for (int c : nodes) {
            Set<String> f = new LinkedHashSet<>();
            for (var e : producedAt.entrySet()) {
                Integer last = lastUse.get(e.getKey());
                if (e.getValue() < c && last != null && last >= c) f.add(e.getKey());
            }
            frontiers.add(sorted(f));
        }
        List<List<String>> extras = new ArrayList<>();
        for (int k = 0; k < nodes.size(); k++) extras.add(new ArrayList<>());
        for (String w : wanted) {
            Integer p = producedAt.get(w);
            if (p == null || p < nodes.get(0)) throw new IllegalArgumentException("'" + w + "' is not computed after the first calibrated layer");
            int k = nodes.size() - 1;
            while (nodes.get(k) > p) k--;
            extras.get(k).add(w);
        }
        return new Stretches(List.copyOf(nodes), frontiers, extras);
    }

    /** Cut k+1's values that stretch k computes (the rest of it passes through unchanged); none after the last cut. */
    List<String> computed(int k) {
        if (k + 1 >= cuts.size()) return List.of();
        List<String> out = new ArrayList<>();
        for (String v : frontiers.get(k + 1)) if (!frontiers.get(k).contains(v)) out.add(v);
        return out;
    }

    /** What stretch k computes: its share of the next cut and its extras. */
    List<String> outputs(int k) {
        List<String> out = new ArrayList<>(computed(k));
        for (String e : extras.get(k)) if (!out.contains(e)) out.add(e);
        return out;
    }

    /** Every value a node reads, including what its subgraphs take from the enclosing graph. */
    private static Set<String> reads(OnnxNode n) {
        Set<String> out = new LinkedHashSet<>(n.inputs());
        for (OnnxGraph s : n.subgraphs()) for (OnnxNode m : s.nodes()) out.addAll(reads(m));
        return out;
    }

    /** Sorted by name, so that the order values are fed and stored in never depends on hashing. */
    private static Set<String> sorted(Set<String> s) {
        return new LinkedHashSet<>(s.stream().sorted().toList());
    }
}
