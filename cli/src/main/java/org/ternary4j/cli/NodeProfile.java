package org.ternary4j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ternary4j.runtime.graph.Graph.NodeKey;

/**
 * {@code run --profile}: each graph node's CPU time on the calling thread over one pass of the
 * examples, the slowest first, so a user sees which layers of their model the time goes to. With
 * more than one thread the workers' share of a shared step is not counted, and a step that waits
 * for them counts the wait.
 */
record NodeProfile(Map<NodeKey, Long> nanosByNode, int examples, int threads) {
    /** Nodes listed; the rest are summed on one line. */
    static final int SHOWN = 15;

    private long total() {
        return nanosByNode.values().stream().mapToLong(Long::longValue).sum();
    }

    private List<Map.Entry<NodeKey, Long>> slowest() {
        return nanosByNode.entrySet().stream()
                .sorted(Map.Entry.<NodeKey, Long>comparingByValue().reversed().thenComparing(e -> e.getKey().toString())).toList();
    }

    void print(PrintWriter out) {
        long total = total();
        out.printf(Locale.ROOT, "profile: %.3f ms of calling-thread CPU per example over %d examples%s; slowest nodes (node  operator kernel [first input's shape]):%n",
                total / 1e6 / examples, examples, threads == 1 ? "" : " (" + threads + " threads: the workers' share is not counted)");
        List<Map.Entry<NodeKey, Long>> all = slowest();
        long rest = total;
        for (Map.Entry<NodeKey, Long> e : all.subList(0, Math.min(SHOWN, all.size()))) {
            out.printf(Locale.ROOT, "  %5.1f %%  %8.3f ms  %s%n", 100.0 * e.getValue() / total, e.getValue() / 1e6 / examples, e.getKey());
            rest -= e.getValue();
        }
        if (all.size() > SHOWN) out.printf(Locale.ROOT, "  %5.1f %%  %8.3f ms  the other %d nodes%n", 100.0 * rest / total, rest / 1e6 / examples, all.size() - SHOWN);
    }

    void put(ObjectNode o) {
        ObjectNode p = o.putObject("profile");
        long total = total();
        p.put("cpuMsPerExample", total / 1e6 / examples);
        ArrayNode nodes = p.putArray("nodes");
        for (Map.Entry<NodeKey, Long> e : slowest()) {
            ObjectNode n = nodes.addObject();
            NodeKey k = e.getKey();
            n.put("node", k.node());
            n.put("op", k.op());
            if (k.kernel() != null) n.put("kernel", k.kernel());
            if (k.shape() != null) k.shape().forEach(n.putArray("inputShape")::add);
            n.put("cpuMsPerExample", e.getValue() / 1e6 / examples);
            n.put("share", (double) e.getValue() / total);
        }
    }
}
