package org.ternary4j.runtime.graph;

import ai.onnx.proto.OnnxMl;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Finds the BatchNormalization, Relu and (after a Conv) 2×2 MaxPool that can be folded into a layer's epilogue: each must be
 * the only reader of the value before it (which must not be a graph output), and the
 * normalization must be in inference mode with constant parameters, one per output channel.
 */
final class Fusion {
    /** The layer's op with its epilogue, and the name of the value it now produces. */
    record Fused(CompiledOps.Op op, String output) {}

    private final OnnxMl.GraphProto g;
    private final Map<String, Tensor> constants;
    private final Map<String, Integer> uses;
    private final Map<String, List<Integer>> consumers;
    private final boolean[] fused;

    Fusion(OnnxMl.GraphProto g, Map<String, Tensor> constants, Map<String, Integer> uses, Map<String, List<Integer>> consumers) {
        this.g = g;
        this.constants = constants;
        this.uses = uses;
        this.consumers = consumers;
        this.fused = new boolean[g.getNodeCount()];
    }

    boolean fused(int node) {
        return fused[node];
    }

    /** Node i's op with {@code base} extended by what follows it (a 2×2 MaxPool too when {@code conv}); marks the absorbed nodes. */
    Fused fuse(int i, Epilogue base, int channels, boolean conv, Function<Epilogue, CompiledOps.Op> make) {
        OnnxMl.NodeProto n = g.getNode(i);
        if (n.getOutputCount() != 1 || n.getOutput(0).isEmpty()) return new Fused(make.apply(base), n.getOutput(0));
        String out = n.getOutput(0);
        Epilogue e = base;
        int bn = soleReader(out, "BatchNormalization");
        float[][] sb = bn < 0 ? null : batchNorm(g.getNode(bn), channels);
        if (sb != null) {
            e = e.withBatchNorm(sb[0], sb[1]);
            fused[bn] = true;
            out = g.getNode(bn).getOutput(0);
        }
        int relu = soleReader(out, "Relu");
        if (relu >= 0 && g.getNode(relu).getOutputCount() == 1) {
            e = e.withRelu();
            fused[relu] = true;
            out = g.getNode(relu).getOutput(0);
        }
        int pool = conv ? soleReader(out, "MaxPool") : -1;
        if (pool >= 0 && twoByTwo(g.getNode(pool))) {
            e = e.withPool();
            fused[pool] = true;
            out = g.getNode(pool).getOutput(0);
        }
        return new Fused(make.apply(e), out);
    }

    /** A MaxPool whose window is {@link NeuralOps.Window#plainTwoByTwo} whatever the input size, and with no indices output. */
    private static boolean twoByTwo(OnnxMl.NodeProto n) {
        if (n.getOutputCount() > 1 && !n.getOutput(1).isEmpty()) return false;
        long[] k = Protos.intsAttr(n, "kernel_shape");
        if (k == null || k.length != 2) return false;
        try {
            WindowSpec w = WindowSpec.of(n, Protos.toInts(k));
            return !w.autoPad().startsWith("SAME") && w.fixed().plainTwoByTwo();
        } catch (IllegalArgumentException malformed) {
            return false; // the MaxPool node reports it when it runs
        }
    }

    /** The node of type op that is the only use of value v as its first input, or −1. */
    private int soleReader(String v, String op) {
        List<Integer> readers = consumers.get(v);
        if (uses.getOrDefault(v, 0) != 1 || readers == null) return -1; // read twice, or a graph output
        int j = readers.getFirst();
        OnnxMl.NodeProto n = g.getNode(j);
        boolean standard = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
        return standard && n.getOpType().equals(op) && n.getInput(0).equals(v) && !n.getOutput(0).isEmpty() ? j : -1;
    }

    /** The normalization's per-channel (scale, shift), or null if it cannot be fused. */
    private float[][] batchNorm(OnnxMl.NodeProto n, int channels) {
        if (n.getInputCount() != 5 || Protos.intAttr(n, "training_mode", 0) != 0) return null;
        for (int j = 1; j < n.getOutputCount(); j++) if (!n.getOutput(j).isEmpty()) return null;
        float[][] p = new float[4][];
        for (int j = 0; j < 4; j++) {
            if (!(constants.get(n.getInput(j + 1)) instanceof Tensor.F32 t) || t.size() != channels) return null;
            p[j] = t.data();
        }
        return Epilogue.batchNorm(p[0], p[1], p[2], p[3], Protos.floatAttr(n, "epsilon", 1e-5f));
    }
}
