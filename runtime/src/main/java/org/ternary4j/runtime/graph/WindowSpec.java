package org.ternary4j.runtime.graph;

import ai.onnx.proto.OnnxMl;

/**
 * A 2-D Conv or pooling node's window attributes, read once when the graph is compiled; only
 * auto_pad SAME needs the input size, so {@link #resolve} is cheap on every run.
 */
record WindowSpec(String op, int kh, int kw, int[] strides, int[] dilations, int[] pads, String autoPad, boolean ceil) {

    static WindowSpec of(OnnxMl.NodeProto n, int[] k) {
        int[] s = orDefault(Protos.toInts(Protos.intsAttr(n, "strides"))), d = orDefault(Protos.toInts(Protos.intsAttr(n, "dilations")));
        int[] p = Protos.toInts(Protos.intsAttr(n, "pads"));
        String auto = Protos.stringAttr(n, "auto_pad", "NOTSET");
        if (!auto.startsWith("SAME") && !auto.equals("VALID") && !auto.equals("NOTSET")) {
            throw new IllegalArgumentException(n.getOpType() + ": unknown auto_pad " + auto);
        }
        return new WindowSpec(n.getOpType(), k[0], k[1], s, d, p == null ? new int[4] : p, auto, Protos.intAttr(n, "ceil_mode", 0) != 0);
    }

    private static int[] orDefault(int[] v) {
        return v == null ? new int[] {1, 1} : v;
    }

    NeuralOps.Window resolve(Tensor x) {
        if (x.rank() != 4) throw new IllegalArgumentException(op + ": only 2-D (rank-4 NCHW) inputs are supported, got rank " + x.rank());
        if (!autoPad.startsWith("SAME")) return fixed();
        int[] s = strides, d = dilations, p = new int[4];
        for (int a = 0; a < 2; a++) {
            int k = a == 0 ? kh : kw;
            int in = x.shape()[2 + a], out = (in + s[a] - 1) / s[a];
            int total = Math.max(0, (out - 1) * s[a] + (k - 1) * d[a] + 1 - in);
            int small = total / 2, big = total - small;
            p[a] = autoPad.equals("SAME_UPPER") ? small : big;
            p[a + 2] = total - p[a];
        }
        return new NeuralOps.Window(kh, kw, s[0], s[1], p[0], p[1], p[2], p[3], d[0], d[1], ceil);
    }

    /** The window of a node whose padding does not depend on the input size (auto_pad not SAME_*). */
    NeuralOps.Window fixed() {
        if (autoPad.startsWith("SAME")) throw new IllegalStateException(op + ": SAME padding depends on the input size");
        int[] p = autoPad.equals("VALID") ? new int[4] : pads;
        return new NeuralOps.Window(kh, kw, strides[0], strides[1], p[0], p[1], p[2], p[3], dilations[0], dilations[1], ceil);
    }
}
