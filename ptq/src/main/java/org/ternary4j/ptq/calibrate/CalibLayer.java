package org.ternary4j.ptq.calibrate;

import java.util.Optional;
import org.ternary4j.formats.onnx.ElementType;
import org.ternary4j.formats.onnx.OnnxGraph;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.formats.onnx.OnnxTensor;

/**
 * A weight layer calibration can handle, as found in the top-level graph: a 2-D Conv (grouped
 * or depthwise too) with explicit pads, a Gemm with transA = 0 and alpha = 1, or a MatMul with a rank-2
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

    /** Convolution groups: independent calibration problems over row blocks (1 for dense layers). */
    int groups() {
        return conv == null ? 1 : conv.groups();
    }

    int k() {
        int k = 1;
        for (int i = 1; i < canonicalShape.length; i++) k *= canonicalShape[i];
        return k;
    }

    /** The layer that weight {@code weight} feeds, or the reason calibration cannot handle it. */
    static Result find(OnnxGraph g, int order, String op, String weight) {
        OnnxNode node = null;
        for (OnnxNode n : g.nodes()) {
            if (node == null && n.opType().equals(op) && n.inputs().size() > 1 && n.inputs().get(1).equals(weight)) node = n;
        }
        if (node == null) return Result.no(weight + ": not a top-level " + op + " weight (subgraphs are ternarized without calibration)");
        int uses = uses(g, weight);
        if (uses != 1) return Result.no(weight + ": shared by " + uses + " nodes, ternarized without calibration");
        Optional<OnnxTensor> w = embeddedFloat(g, weight);
        if (w.isEmpty()) return Result.no(weight + ": not an embedded FLOAT constant, ternarized without calibration");
        int[] stored = w.get().shape();
        String name = node.name().isEmpty() ? weight : node.name();
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

    private static Result conv(OnnxGraph g, int order, OnnxNode n, String name, String weight, int[] s) {
        if (s.length != 4) return Result.no(weight + ": only 2-D convolutions are calibrated");
        long groups = n.intAttr("group", 1);
        if (groups < 1 || s[0] % groups != 0) return Result.no(weight + ": group " + groups + " does not divide the output channels");
        String autoPad = n.stringAttr("auto_pad", "NOTSET");
        if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID")) return Result.no(weight + ": auto_pad " + autoPad + ", ternarized without calibration");
        long[] st = n.intsAttr("strides"), pads = n.intsAttr("pads"), dil = n.intsAttr("dilations");
        long[] p = pads == null || pads.length == 0 || autoPad.equals("VALID") ? new long[4] : pads;
        ConvGeometry geo = new ConvGeometry(s[1], s[2], s[3], at(st, 0), at(st, 1), (int) p[0], (int) p[1], (int) p[2], (int) p[3], at(dil, 0), at(dil, 1),
                (int) groups);
        String bias = n.input(2).orElse(null);
        if (bias != null && !isFloatVector(g, bias, s[0])) return Result.no(weight + ": bias is not a FLOAT vector constant");
        String out = n.outputs().get(0);
        return new Result(new CalibLayer(order, "Conv", name, weight, n.inputs().get(0), out, bias, out, 1f, s, s.clone(), false, geo), null);
    }

    /** Element {@code i} of a strides or dilations attribute, 1 when the attribute is absent. */
    private static int at(long[] values, int i) {
        return values == null || values.length == 0 ? 1 : (int) values[i];
    }

    private static Result gemm(OnnxGraph g, int order, OnnxNode n, String name, String weight, int[] s) {
        if (s.length != 2) return Result.no(weight + ": Gemm weight of rank " + s.length);
        if (n.intAttr("transA", 0) != 0 || n.floatAttr("alpha", 1f) != 1f) {
            return Result.no(weight + ": Gemm with transA or alpha ≠ 1, ternarized without calibration");
        }
        boolean transposed = n.intAttr("transB", 0) == 0;
        int[] canonical = transposed ? new int[] {s[1], s[0]} : s.clone();
        String bias = n.input(2).orElse(null);
        if (bias != null && !isFloatVector(g, bias, canonical[0])) bias = null; // a broadcast C other than [out] is left as is
        String out = n.outputs().get(0);
        return new Result(new CalibLayer(order, "Gemm", name, weight, n.inputs().get(0), out, bias, out,
                n.floatAttr("beta", 1f), s, canonical, transposed, null), null);
    }

    private static Result matmul(OnnxGraph g, int order, OnnxNode n, String name, String weight, int[] s) {
        if (s.length != 2) return Result.no(weight + ": MatMul weight of rank " + s.length);
        int[] canonical = {s[1], s[0]};
        String out = n.outputs().get(0);
        String bias = null, biasOut = out;
        OnnxNode only = null;
        int consumers = 0;
        for (OnnxNode c : g.nodes()) {
            for (String in : c.inputs()) {
                if (in.equals(out)) {
                    consumers++;
                    only = c;
                }
            }
        }
        if (consumers == 1 && only.opType().equals("Add") && only.inputs().size() == 2) {
            String other = only.inputs().get(0).equals(out) ? only.inputs().get(1) : only.inputs().get(0);
            if (isFloatVector(g, other, canonical[0])) {
                bias = other;
                biasOut = only.outputs().get(0);
            }
        }
        return new Result(new CalibLayer(order, "MatMul", name, weight, n.inputs().get(0), out, bias, biasOut, 1f, s, canonical, true, null), null);
    }

    /**
     * The constant {@code name} (an initializer or a Constant node's value, as exporters such as
     * Paddle2ONNX store weights) when it is a FLOAT tensor stored in the model file itself.
     */
    static Optional<OnnxTensor> embeddedFloat(OnnxGraph g, String name) {
        return g.constant(name).filter(t -> !t.external() && t.type().equals(Optional.of(ElementType.FLOAT)));
    }

    private static int uses(OnnxGraph g, String name) {
        int uses = 0;
        for (OnnxNode node : g.nodes()) for (String in : node.inputs()) if (in.equals(name)) uses++;
        return uses;
    }

    private static boolean isFloatVector(OnnxGraph g, String name, int n) {
        Optional<OnnxTensor> t = embeddedFloat(g, name);
        return t.isPresent() && uses(g, name) == 1 && t.get().count() == n;
    }
}
