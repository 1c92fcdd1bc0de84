package org.ternary4j.ptq.calibrate;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.List;
import java.util.Optional;

/**
 * A weight layer calibration can handle, as found in the top-level graph: a 2-D Conv with
 * group 1 and explicit pads, a Gemm with transA = 0 and alpha = 1, or a MatMul with a rank-2
 * constant weight. {@code bias} names the initializer that adds to the output (Conv's B, Gemm's
 * C, or the constant of an Add that alone consumes a MatMul), null when there is none;
 * {@code biasOutput} is the tensor that includes the bias, {@code biasScale} Gemm's beta.
 *
 * @param canonicalShape [out, in, spatial…] as core groups it
 * @param transposed     stored [in, out] (Gemm transB = 0, MatMul)
 * @param conv           the conv geometry, null for dense layers
 */
record CalibLayer(int order, String op, String node, String weight, String input, String output, String bias, String biasOutput,
                  float biasScale, int[] storedShape, int[] canonicalShape, boolean transposed, ConvGeometry conv) {

    int rows() {
        return canonicalShape[0];
    }

    int k() {
        int k = 1;
        for (int i = 1; i < canonicalShape.length; i++) k *= canonicalShape[i];
        return k;
    }

    /** The layer that weight {@code weight} feeds, or the reason calibration cannot handle it. */
    static Result find(GraphProto g, int order, String op, String weight) {
        NodeProto node = null;
        int uses = 0;
        for (NodeProto n : g.getNodeList()) {
            for (String in : n.getInputList()) if (in.equals(weight)) uses++;
            if (n.getOpType().equals(op) && n.getInputCount() > 1 && n.getInput(1).equals(weight) && node == null) node = n;
        }
        if (node == null) return Result.no(weight + ": not a top-level " + op + " weight (subgraphs are ternarized without calibration)");
        if (uses != 1) return Result.no(weight + ": shared by " + uses + " nodes, ternarized without calibration");
        Optional<TensorProto> w = initializer(g, weight);
        if (w.isEmpty() || Graphs.floats(w.get()).isEmpty()) return Result.no(weight + ": not an embedded FLOAT initializer, ternarized without calibration");
        int[] stored = w.get().getDimsList().stream().mapToInt(Long::intValue).toArray();
        String name = node.getName().isEmpty() ? weight : node.getName();
        return switch (op) {
            case "Conv" -> conv(g, order, node, name, weight, stored);
            case "Gemm" -> gemm(g, order, node, name, weight, stored);
            case "MatMul" -> matmul(g, order, node, name, weight, stored);
            default -> Result.no(weight + ": " + op + " layers are ternarized without calibration");
        };
    }

    record Result(CalibLayer layer, String reason) {
        static Result no(String why) {
            return new Result(null, why);
        }
    }

    private static Result conv(GraphProto g, int order, NodeProto n, String name, String weight, int[] s) {
        if (s.length != 4) return Result.no(weight + ": only 2-D convolutions are calibrated");
        if (Graphs.intAttr(n, "group", 1) != 1) return Result.no(weight + ": grouped convolution, ternarized without calibration");
        String autoPad = Graphs.stringAttr(n, "auto_pad", "NOTSET");
        if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID")) return Result.no(weight + ": auto_pad " + autoPad + ", ternarized without calibration");
        List<Long> st = Graphs.intsAttr(n, "strides"), pads = Graphs.intsAttr(n, "pads"), dil = Graphs.intsAttr(n, "dilations");
        int[] p = pads.isEmpty() || autoPad.equals("VALID") ? new int[4] : pads.stream().mapToInt(Long::intValue).toArray();
        ConvGeometry geo = new ConvGeometry(s[1], s[2], s[3], st.isEmpty() ? 1 : st.get(0).intValue(), st.isEmpty() ? 1 : st.get(1).intValue(),
                p[0], p[1], p[2], p[3], dil.isEmpty() ? 1 : dil.get(0).intValue(), dil.isEmpty() ? 1 : dil.get(1).intValue());
        String bias = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? n.getInput(2) : null;
        if (bias != null && !isFloatVector(g, bias, s[0])) return Result.no(weight + ": bias is not a FLOAT vector initializer");
        return new Result(new CalibLayer(order, "Conv", name, weight, n.getInput(0), n.getOutput(0), bias, n.getOutput(0), 1f, s, s.clone(), false, geo), null);
    }

    private static Result gemm(GraphProto g, int order, NodeProto n, String name, String weight, int[] s) {
        if (s.length != 2) return Result.no(weight + ": Gemm weight of rank " + s.length);
        if (Graphs.intAttr(n, "transA", 0) != 0 || Graphs.floatAttr(n, "alpha", 1f) != 1f) {
            return Result.no(weight + ": Gemm with transA or alpha ≠ 1, ternarized without calibration");
        }
        boolean transposed = Graphs.intAttr(n, "transB", 0) == 0;
        int[] canonical = transposed ? new int[] {s[1], s[0]} : s.clone();
        String bias = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? n.getInput(2) : null;
        if (bias != null && !isFloatVector(g, bias, canonical[0])) bias = null; // a broadcast C other than [out] is left as is
        return new Result(new CalibLayer(order, "Gemm", name, weight, n.getInput(0), n.getOutput(0), bias, n.getOutput(0),
                Graphs.floatAttr(n, "beta", 1f), s, canonical, transposed, null), null);
    }

    private static Result matmul(GraphProto g, int order, NodeProto n, String name, String weight, int[] s) {
        if (s.length != 2) return Result.no(weight + ": MatMul weight of rank " + s.length);
        int[] canonical = {s[1], s[0]};
        String bias = null, biasOut = n.getOutput(0);
        NodeProto only = null;
        int consumers = 0;
        for (NodeProto c : g.getNodeList()) {
            for (String in : c.getInputList()) {
                if (in.equals(n.getOutput(0))) {
                    consumers++;
                    only = c;
                }
            }
        }
        if (consumers == 1 && only.getOpType().equals("Add") && only.getInputCount() == 2) {
            String other = only.getInput(0).equals(n.getOutput(0)) ? only.getInput(1) : only.getInput(0);
            if (isFloatVector(g, other, canonical[0])) {
                bias = other;
                biasOut = only.getOutput(0);
            }
        }
        return new Result(new CalibLayer(order, "MatMul", name, weight, n.getInput(0), n.getOutput(0), bias, biasOut, 1f, s, canonical, true, null), null);
    }

    private static Optional<TensorProto> initializer(GraphProto g, String name) {
        for (TensorProto t : g.getInitializerList()) if (t.getName().equals(name)) return Optional.of(t);
        return Optional.empty();
    }

    private static boolean isFloatVector(GraphProto g, String name, int n) {
        Optional<TensorProto> t = initializer(g, name);
        if (t.isEmpty()) return false;
        int uses = 0;
        for (NodeProto node : g.getNodeList()) for (String in : node.getInputList()) if (in.equals(name)) uses++;
        return uses == 1 && Graphs.floats(t.get()).map(v -> v.length == n).orElse(false);
    }
}
