package org.ternary4j.formats.onnx;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What every model must satisfy before anything reads it further: each value produced exactly
 * once (by a node, an initializer, a graph input or an enclosing graph) and consumed only where it
 * exists, no node feeding itself (longer cycles fail the topological sort), and the attributes of
 * the ops ternary4j interprets within their legal ranges.
 */
final class GraphCheck {
    private final String file;

    private GraphCheck(String file) {
        this.file = file;
    }

    static void check(OnnxGraph main, String file) throws IOException {
        new GraphCheck(file).graph(main, Set.of(), "main graph");
    }

    private void graph(OnnxGraph g, Set<String> outer, String where) throws IOException {
        String at = file + ": " + (g.name().isEmpty() ? where : "graph '" + g.name() + "'");
        Set<String> defined = new HashSet<>();
        for (ValueInfo v : g.inputs()) if (!defined.add(v.name())) throw new IOException(at + ": input '" + v.name() + "' declared twice");
        // An initializer may repeat an input's name (IR < 4 lists initializers as inputs).
        defined.addAll(g.initializers().keySet());
        for (OnnxNode n : g.nodes()) {
            for (String out : n.outputs()) {
                if (out.isEmpty()) continue;
                if (!defined.add(out)) throw new IOException(at + ": value '" + out + "' is produced twice (again by node '" + n.label() + "')");
            }
        }
        Set<String> visible = new HashSet<>(outer);
        visible.addAll(defined);
        for (OnnxNode n : g.nodes()) {
            for (String in : n.inputs()) {
                if (in.isEmpty()) continue;
                if (n.outputs().contains(in)) throw new IOException(at + ": node '" + n.label() + "' consumes its own output '" + in + "'");
                if (!visible.contains(in)) throw new IOException(at + ": node '" + n.label() + "' reads '" + in + "', which nothing produces");
            }
            attributes(n, g, at);
            for (OnnxGraph sub : n.subgraphs()) graph(sub, visible, "a subgraph of node '" + n.label() + "'");
        }
        for (ValueInfo v : g.outputs()) {
            if (!visible.contains(v.name())) throw new IOException(at + ": output '" + v.name() + "' is produced by nothing");
        }
    }

    private void attributes(OnnxNode n, OnnxGraph g, String at) throws IOException {
        if (!n.standard()) return;
        String node = at + ": node '" + n.label() + "' (" + n.opType() + ")";
        try {
            switch (n.opType()) {
                case "Gemm" -> {
                    for (String a : List.of("transA", "transB")) {
                        long v = n.intAttr(a, 0);
                        if (v != 0 && v != 1) throw new IOException(node + ": " + a + " must be 0 or 1, got " + v);
                    }
                    for (String a : List.of("alpha", "beta")) {
                        float v = n.floatAttr(a, 1f);
                        if (!Float.isFinite(v)) throw new IOException(node + ": " + a + " must be finite, got " + v);
                    }
                }
                case "Conv", "ConvTranspose" -> {
                    long group = n.intAttr("group", 1);
                    if (group < 1) throw new IOException(node + ": group must be ≥ 1, got " + group);
                    Optional<OnnxTensor> w = n.input(1).flatMap(g::constant);
                    if (w.isPresent() && w.get().shape().length >= 1) {
                        int[] s = w.get().shape();
                        // Conv stores [out, in/group, k…]; ConvTranspose [in, out/group, k…]: both lead with a multiple of group.
                        if (s[0] % group != 0) throw new IOException(node + ": group " + group + " does not divide the weight's " + s[0] + " channels");
                    }
                }
                default -> { }
            }
        } catch (IllegalArgumentException e) {
            throw new IOException(at + ": " + e.getMessage());
        }
    }
}
