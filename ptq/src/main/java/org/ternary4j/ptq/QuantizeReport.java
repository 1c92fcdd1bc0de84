package org.ternary4j.ptq;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import org.ternary4j.core.metrics.TensorMetrics;
import org.ternary4j.core.metrics.TensorReport;

/** The per-tensor results of a quantize run, as a table for people and as JSON for programs. */
public record QuantizeReport(String input, String method, String grouping, String packing, List<TensorReport> tensors, int copiedTensors,
                      TaskAccuracy accuracy) {

    public QuantizeReport(String input, String method, String grouping, String packing, List<TensorReport> tensors, int copiedTensors) {
        this(input, method, grouping, packing, tensors, copiedTensors, null);
    }

    public QuantizeReport withAccuracy(TaskAccuracy a) {
        return new QuantizeReport(input, method, grouping, packing, tensors, copiedTensors, a);
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public long ternarizedParameters() {
        return tensors.stream().mapToLong(TensorReport::params).sum();
    }

    /** Storage cost over all ternarized tensors, weighted by their parameter counts. */
    public double bitsPerWeight() {
        long n = ternarizedParameters();
        return n == 0 ? 0 : tensors.stream().mapToDouble(t -> t.metrics().bitsPerWeight() * t.params()).sum() / n;
    }

    public void printTable(PrintWriter out) {
        int width = Math.min(60, Math.max(4, tensors.stream().mapToInt(t -> t.name().length()).max().orElse(4)));
        String row = "%-" + width + "s  %-18s  %-10s  %-9s  %8s  %8s  %8s  %6s%n";
        out.printf(Locale.ROOT, row, "name", "shape", "method", "grouping", "cosine", "relL2", "sparsity", "bits/w");
        for (TensorReport t : tensors) {
            TensorMetrics m = t.metrics();
            out.printf(Locale.ROOT, row, t.name(), shape(t.shape()), t.method(), t.grouping(),
                    String.format(Locale.ROOT, "%.5f", m.cosine()), String.format(Locale.ROOT, "%.5f", m.relL2()),
                    String.format(Locale.ROOT, "%.4f", m.sparsity()), String.format(Locale.ROOT, "%.3f", m.bitsPerWeight()));
        }
        out.printf(Locale.ROOT, "%d tensors ternarized (%d parameters, %.3f bits/weight with %s packing), %d copied unchanged%n",
                tensors.size(), ternarizedParameters(), bitsPerWeight(), packing, copiedTensors);
        out.flush();
    }

    private static String shape(int[] shape) {
        StringBuilder b = new StringBuilder();
        for (int d : shape) b.append(b.isEmpty() ? "" : "x").append(d);
        return b.isEmpty() ? "scalar" : b.toString();
    }

    /** Deterministic (no timings): the same run gives the same bytes. */
    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("input", input);
        root.put("method", method);
        root.put("grouping", grouping);
        root.put("packing", packing);
        ArrayNode list = root.putArray("tensors");
        for (TensorReport t : tensors) {
            ObjectNode o = list.addObject();
            o.put("name", t.name());
            ArrayNode s = o.putArray("shape");
            for (int d : t.shape()) s.add(d);
            o.put("method", t.method());
            o.put("grouping", t.grouping());
            if (t.op() != null) {
                // Graph formats (ONNX) say which grouping a layer's scales follow, whether a BatchNorm was folded in,
                // which op the weight feeds and where the layer sits.
                o.put("groupingApplied", t.groupingApplied());
                o.put("batchNormFolded", t.batchNormFolded());
                o.put("op", t.op());
                o.put("layerIndex", t.layerIndex());
                o.put("params", t.params());
            }
            o.put("cosine", t.metrics().cosine());
            o.put("relL2", t.metrics().relL2());
            o.put("sparsity", t.metrics().sparsity());
            o.put("bitsPerWeight", t.metrics().bitsPerWeight());
        }
        ObjectNode summary = root.putObject("summary");
        summary.put("ternarizedTensors", tensors.size());
        summary.put("copiedTensors", copiedTensors);
        summary.put("ternarizedParameters", ternarizedParameters());
        summary.put("bitsPerWeight", bitsPerWeight());
        if (accuracy != null) {
            ObjectNode a = root.putObject("accuracy");
            a.put("data", accuracy.data());
            a.put("n", accuracy.n());
            a.put("fpTop1", accuracy.fpTop1());
            a.put("ternaryTop1", accuracy.ternaryTop1());
            a.put("agreement", accuracy.agreement());
            a.put("meanCosine", accuracy.meanCosine());
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
