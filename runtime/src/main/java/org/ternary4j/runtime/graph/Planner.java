package org.ternary4j.runtime.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.formats.onnx.ConvAttributes;
import org.ternary4j.formats.onnx.OnnxGraph;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.runtime.kernel.Fp32Conv2d;
import org.ternary4j.runtime.kernel.Fp32Matrix;
import org.ternary4j.runtime.kernel.PanelGemm;

/**
 * Turns a graph's nodes into {@link Graph.Step}s. Conv and Gemm with constant (or packed) weights
 * get prepared kernels; a BatchNormalization whose input is such a layer's output and nothing
 * else's, and then a Relu likewise, become the layer's {@link Epilogue} (per-channel y·s + b, then
 * max(y, 0)) — for ternary layers the codes stay ternary and the normalization is applied to
 * their output, for float layers too, so fused and unfused graphs compute the same floats.
 * A layer whose attributes or constants are malformed fails the compile; only a weight that is
 * not a constant (or not of a shape the kernels take) leaves the node to the reference operator.
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

    static Plan plan(OnnxGraph g, Map<String, Tensor> constants, Map<Integer, TernaryLayers> layers, Set<String> ternaryNames,
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
        g.inputs().forEach(v -> slot.accept(v.name()));
        outputs.forEach(slot);
        List<OnnxNode> nodes = g.nodes();
        Map<String, Integer> uses = new HashMap<>();
        Map<String, List<Integer>> consumers = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            OnnxNode n = nodes.get(i);
            n.inputs().forEach(slot);
            n.outputs().forEach(slot);
            for (String in : n.inputs()) {
                uses.merge(in, 1, Integer::sum);
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
            }
        }
        for (String o : outputs) uses.merge(o, 1, Integer::sum);

        Fusion fusion = new Fusion(nodes, constants, uses, consumers, opset);
        TransformerFusion patterns = new TransformerFusion(nodes, constants, uses, consumers, opset);
        List<Graph.Step> steps = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            OnnxNode n = nodes.get(i);
            if (patterns.absorbed(i)) {
                TransformerFusion.Pattern p = patterns.at(i);
                if (p != null) {
                    steps.add(new Graph.Step("Fused", n.label(), p.inputs().stream().mapToInt(slotOf::get).toArray(), p.inputs().toArray(String[]::new),
                            new int[] {slotOf.get(p.output())}, p.op()));
                }
                continue;
            }
            if (n.opType().equals("Constant") || fusion.fused(i)) continue;
            int[] in = new int[n.inputs().size()];
            String[] inNames = n.inputs().toArray(String[]::new);
            for (int j = 0; j < in.length; j++) {
                boolean packed = j == 1 && layers.containsKey(i) && ternaryNames.contains(inNames[j]);
                in[j] = inNames[j].isEmpty() || packed ? -1 : slotOf.get(inNames[j]);
            }
            Fusion.Fused f = layerOp(n, i, layers.get(i), constants, fusion);
            CompiledOps.Op op;
            List<String> outNames;
            if (f != null) {
                op = f.op();
                outNames = List.of(f.output());
            } else {
                op = plainOp(n, layers.get(i), opset);
                outNames = n.outputs();
            }
            int[] out = new int[outNames.size()];
            for (int j = 0; j < out.length; j++) out[j] = outNames.get(j).isEmpty() ? -1 : slotOf.get(outNames.get(j));
            steps.add(new Graph.Step(n.opType(), n.label(), in, inNames, out, op));
        }
        return new Plan(SharedInputMatMuls.group(steps).toArray(Graph.Step[]::new), template.toArray(Tensor[]::new), slotOf);
    }

    /**
     * A node without a prepared kernel; its window attributes are checked here, so a malformed
     * Conv or pooling node fails the load instead of the first run.
     */
    private static CompiledOps.Op plainOp(OnnxNode n, TernaryLayers layer, int opset) {
        if (layer != null) return new CompiledOps.Ternary(n, layer);
        switch (n.opType()) {
            case "Relu" -> {
                return new CompiledOps.Relu();
            }
            case "MaxPool" -> {
                if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()) {
                    throw new IllegalArgumentException("MaxPool node '" + n.label() + "': the Indices output is not supported");
                }
                return new CompiledOps.MaxPool(WindowSpec.pool(n));
            }
            case "AveragePool" -> WindowSpec.pool(n);
            case "MatMul" -> {
                return (in, exact, par) -> new Tensor[] {NeuralOps.matMul(in[0], in[1], par)};
            }
            case "ConstantOfShape" -> {
                Tensor value = constantValue(n);
                return (in, exact, par) -> new Tensor[] {MoreOps.constantOfShape(value, in[0])};
            }
            case "Conv" -> ConvAttributes.of(n, 2);
            default -> { }
        }
        return new CompiledOps.Generic(n, opset);
    }

    /** ConstantOfShape's value attribute decoded once (null when absent: float 0). */
    private static Tensor constantValue(OnnxNode n) {
        var v = n.tensorAttr("value");
        if (v.isEmpty()) return null;
        var t = v.get();
        if (t.count() != 1) throw new IllegalArgumentException("ConstantOfShape node '" + n.label() + "': value must hold one element, has " + t.count());
        try {
            if (t.type().isEmpty()) throw new IllegalArgumentException("ConstantOfShape node '" + n.label() + "': value has an unsupported element type");
            return t.type().get().isFloat() ? new Tensor.F32(new int[] {1}, t.floats()) : new Tensor.I64(new int[] {1}, t.longs());
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("ConstantOfShape node '" + n.label() + "': " + e.getMessage(), e);
        }
    }

    /** A Conv or Gemm with prepared weights and its fused epilogue, or null when its weight is not a constant of the shape the kernels take. */
    private static Fusion.Fused layerOp(OnnxNode n, int i, TernaryLayers layer, Map<String, Tensor> constants, Fusion fusion) {
        return switch (n.opType()) {
            case "Conv" -> conv(n, i, layer, constants, fusion);
            case "Gemm" -> gemm(n, i, layer, constants, fusion);
            case "MatMul" -> matMul(n, i, layer, constants, fusion);
            default -> null;
        };
    }

    /** A MatMul by packed or constant float weights, with the bias an Add after it adds (if any) fused in. */
    private static Fusion.Fused matMul(OnnxNode n, int i, TernaryLayers layer, Map<String, Tensor> constants, Fusion fusion) {
        if (n.outputs().size() != 1) return null;
        if (layer instanceof TernaryLayers.Linear l) {
            Fusion.Bias b = fusion.bias(i, l.m().rows());
            return new Fusion.Fused(new CompiledOps.TernaryMatMul(n, l, b == null ? null : b.values()), b == null ? n.outputs().getFirst() : b.output());
        }
        if (layer != null || !(n.input(1).map(constants::get).orElse(null) instanceof Tensor.F32 w) || w.rank() != 2) return null;
        Fusion.Bias b = fusion.bias(i, w.shape()[1]);
        var op = new CompiledOps.FloatMatMul(w.shape()[0], w.shape()[1], PanelGemm.pack(w.data(), w.shape()[0], w.shape()[1]), b == null ? null : b.values());
        return new Fusion.Fused(op, b == null ? n.outputs().getFirst() : b.output());
    }

    private static Fusion.Fused conv(OnnxNode n, int i, TernaryLayers layer, Map<String, Tensor> constants, Fusion fusion) {
        if (layer instanceof TernaryLayers.Conv c) {
            return fusion.fuse(i, new Epilogue(1f, c.conv().bias(), null, null, false), c.conv().outChannels(), true, e -> new CompiledOps.TernaryConv(c, e));
        }
        if (layer != null) return null;
        Tensor wt = n.input(1).map(constants::get).orElse(null);
        if (!(wt instanceof Tensor.F32 weight) || weight.rank() != 4) return null;
        float[] bias = null;
        if (n.input(2).isPresent()) {
            if (!(constants.get(n.inputs().get(2)) instanceof Tensor.F32 b)) return null;
            if (b.size() != weight.shape()[0]) {
                throw new IllegalArgumentException("Conv node '" + n.label() + "': bias has " + b.size() + " values for " + weight.shape()[0] + " output channels");
            }
            bias = b.data();
        }
        WindowSpec w = WindowSpec.conv(n, weight.shape()[2], weight.shape()[3]);
        Fp32Conv2d conv = new Fp32Conv2d(weight.data(), weight.shape(), w.groups());
        return fusion.fuse(i, new Epilogue(1f, bias, null, null, false), conv.outChannels(), true, e -> new CompiledOps.FloatConv(conv, w, e));
    }

    private static Fusion.Fused gemm(OnnxNode n, int i, TernaryLayers layer, Map<String, Tensor> constants, Fusion fusion) {
        if (n.intAttr("transA", 0) != 0) return null;
        boolean transB = n.intAttr("transB", 0) != 0;
        float alpha = n.floatAttr("alpha", 1f), beta = n.floatAttr("beta", 1f);
        int outs;
        java.util.function.Function<Epilogue, CompiledOps.Op> make;
        if (layer instanceof TernaryLayers.Linear l) {
            outs = l.m().rows();
            make = e -> new CompiledOps.TernaryGemm(l.m(), e);
        } else if (layer == null && n.input(1).map(constants::get).orElse(null) instanceof Tensor.F32 b && b.rank() == 2) {
            int k = transB ? b.shape()[1] : b.shape()[0], m = transB ? b.shape()[0] : b.shape()[1];
            float[] rows = transB ? b.data() : transpose(b.data(), k, m);
            Fp32Matrix w = new Fp32Matrix(m, k, rows);
            outs = m;
            make = e -> new CompiledOps.FloatGemm(w, e);
        } else {
            return null;
        }
        float[] bias = null;
        if (n.input(2).isPresent()) {
            if (!(constants.get(n.inputs().get(2)) instanceof Tensor.F32 c) || c.size() != outs || c.rank() > 2 || (c.rank() == 2 && c.shape()[0] != 1)) return null;
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
