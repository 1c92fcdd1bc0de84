package org.ternary4j.runtime.graph;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.runtime.kernel.Fp32Conv2d;
import org.ternary4j.runtime.kernel.Fp32Matrix;

/**
 * Turns a graph's nodes into {@link Graph.Step}s. Conv and Gemm with constant (or packed) weights
 * get prepared kernels; a BatchNormalization whose input is such a layer's output and nothing
 * else's, and then a Relu likewise, become the layer's {@link Epilogue} (per-channel y·s + b, then
 * max(y, 0)) — for ternary layers the codes stay ternary and the normalization is applied to
 * their output, for float layers too, so fused and unfused graphs compute the same floats.
 */
final class Planner {
    private Planner() {}

    record Plan(Graph.Step[] steps, Tensor[] template, Map<String, Integer> slotOf) {
        int[] slots(List<String> names) {
            int[] s = new int[names.size()];
            for (int i = 0; i < s.length; i++) s[i] = slotOf.get(names.get(i));
            return s;
        }
    }

    static Plan plan(OnnxMl.GraphProto g, Map<String, Tensor> constants, Map<Integer, TernaryLayers> layers, Set<String> ternaryNames,
                     List<String> outputs, int opset) {
        Map<String, Integer> slotOf = new HashMap<>();
        List<Tensor> template = new ArrayList<>();
        java.util.function.Consumer<String> slot = name -> {
            if (!name.isEmpty() && !slotOf.containsKey(name)) {
                slotOf.put(name, template.size());
                template.add(constants.get(name));
            }
        };
        constants.keySet().forEach(slot);
        g.getInputList().forEach(v -> slot.accept(v.getName()));
        outputs.forEach(slot);
        Map<String, Integer> uses = new HashMap<>();
        Map<String, List<Integer>> consumers = new HashMap<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            OnnxMl.NodeProto n = g.getNode(i);
            n.getInputList().forEach(slot);
            n.getOutputList().forEach(slot);
            for (String in : n.getInputList()) {
                uses.merge(in, 1, Integer::sum);
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
            }
        }
        for (String o : outputs) uses.merge(o, 1, Integer::sum);

        Fusion fusion = new Fusion(g, constants, uses, consumers);
        List<Graph.Step> steps = new ArrayList<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            OnnxMl.NodeProto n = g.getNode(i);
            if (n.getOpType().equals("Constant") || fusion.fused(i)) continue;
            int[] in = new int[n.getInputCount()];
            String[] inNames = new String[in.length];
            for (int j = 0; j < in.length; j++) {
                inNames[j] = n.getInput(j);
                boolean packed = j == 1 && layers.containsKey(i) && ternaryNames.contains(n.getInput(j));
                in[j] = n.getInput(j).isEmpty() || packed ? -1 : slotOf.get(n.getInput(j));
            }
            Fusion.Fused f = layerOp(n, i, layers.get(i), constants, fusion, opset);
            CompiledOps.Op op;
            List<String> outNames;
            if (f != null) {
                op = f.op();
                outNames = List.of(f.output());
            } else {
                op = plainOp(n, layers.get(i), opset);
                outNames = n.getOutputList();
            }
            int[] out = new int[outNames.size()];
            for (int j = 0; j < out.length; j++) out[j] = outNames.get(j).isEmpty() ? -1 : slotOf.get(outNames.get(j));
            steps.add(new Graph.Step(n.getOpType(), n.getName(), in, inNames, out, op));
        }
        return new Plan(steps.toArray(Graph.Step[]::new), template.toArray(Tensor[]::new), slotOf);
    }

    private static CompiledOps.Op plainOp(OnnxMl.NodeProto n, TernaryLayers layer, int opset) {
        if (layer != null) return new CompiledOps.Ternary(n, layer);
        if (n.getOpType().equals("Relu")) return new CompiledOps.Relu();
        if (n.getOpType().equals("MaxPool") && (n.getOutputCount() < 2 || n.getOutput(1).isEmpty())) {
            long[] k = Protos.intsAttr(n, "kernel_shape");
            if (k != null && k.length == 2) return new CompiledOps.MaxPool(WindowSpec.of(n, Protos.toInts(k)));
        }
        return new CompiledOps.Generic(n, opset);
    }

    /** A Conv or Gemm with prepared weights and its fused epilogue, or null when the node does not qualify. */
    private static Fusion.Fused layerOp(OnnxMl.NodeProto n, int i, TernaryLayers layer, Map<String, Tensor> constants, Fusion fusion, int opset) {
        try {
            return switch (n.getOpType()) {
                case "Conv" -> conv(n, i, layer, constants, fusion);
                case "Gemm" -> gemm(n, i, layer, constants, fusion);
                default -> null;
            };
        } catch (IllegalArgumentException e) {
            return null; // malformed for the fast path: the reference operator reports it when the node runs
        }
    }

    private static Fusion.Fused conv(OnnxMl.NodeProto n, int i, TernaryLayers layer, Map<String, Tensor> constants, Fusion fusion) {
        int groups = (int) Protos.intAttr(n, "group", 1);
        if (layer instanceof TernaryLayers.Conv c) {
            WindowSpec w = WindowSpec.of(n, new int[] {c.conv().kernelH(), c.conv().kernelW()});
            return fusion.fuse(i, new Epilogue(1f, c.conv().bias(), null, null, false), c.conv().outChannels(), true, e -> new CompiledOps.TernaryConv(c, w, e));
        }
        if (layer != null) return null;
        Tensor wt = constants.get(n.getInput(1));
        if (!(wt instanceof Tensor.F32 weight) || weight.rank() != 4) return null;
        float[] bias = null;
        if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
            if (!(constants.get(n.getInput(2)) instanceof Tensor.F32 b) || b.size() != weight.shape()[0]) return null;
            bias = b.data();
        }
        Fp32Conv2d conv = new Fp32Conv2d(weight.data(), weight.shape(), groups);
        WindowSpec w = WindowSpec.of(n, new int[] {weight.shape()[2], weight.shape()[3]});
        return fusion.fuse(i, new Epilogue(1f, bias, null, null, false), conv.outChannels(), true, e -> new CompiledOps.FloatConv(conv, groups, w, e));
    }

    private static Fusion.Fused gemm(OnnxMl.NodeProto n, int i, TernaryLayers layer, Map<String, Tensor> constants, Fusion fusion) {
        if (Protos.intAttr(n, "transA", 0) != 0) return null;
        boolean transB = Protos.intAttr(n, "transB", 0) != 0;
        float alpha = Protos.floatAttr(n, "alpha", 1f), beta = Protos.floatAttr(n, "beta", 1f);
        int outs;
        java.util.function.Function<Epilogue, CompiledOps.Op> make;
        if (layer instanceof TernaryLayers.Linear l) {
            outs = l.m().rows();
            make = e -> new CompiledOps.TernaryGemm(l.m(), e);
        } else if (layer == null && constants.get(n.getInput(1)) instanceof Tensor.F32 b && b.rank() == 2) {
            int k = transB ? b.shape()[1] : b.shape()[0], m = transB ? b.shape()[0] : b.shape()[1];
            float[] rows = transB ? b.data() : transpose(b.data(), k, m);
            Fp32Matrix w = new Fp32Matrix(m, k, rows);
            outs = m;
            make = e -> new CompiledOps.FloatGemm(w, e);
        } else {
            return null;
        }
        float[] bias = null;
        if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
            if (!(constants.get(n.getInput(2)) instanceof Tensor.F32 c) || c.size() != outs || c.rank() > 2 || (c.rank() == 2 && c.shape()[0] != 1)) return null;
            if (beta != 0f) {
                bias = new float[outs];
                for (int j = 0; j < outs; j++) bias[j] = beta * c.data()[j];
            }
        }
        return fusion.fuse(i, new Epilogue(alpha, bias, null, null, false), outs, false, make);
    }

    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }
}
