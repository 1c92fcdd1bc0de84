package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * A BatchNormalization (inference mode) that directly follows a Conv, ConvTranspose or Gemm and
 * can be folded into it: y = s_c·(conv(x)_c + b_c − μ_c) + β_c with s_c = γ_c/√(σ²_c+ε) becomes a
 * layer whose channel c is multiplied by s_c and whose bias is s_c·b_c + β_c − s_c·μ_c (Gemm:
 * divided by its beta, which multiplies C). The channel factors go into the ternary scales, so the
 * codes stay ternary. {@link #plan} says why a pair cannot be folded instead of guessing.
 *
 * @param bias     the layer's existing bias tensor, or null when the fold adds one
 * @param newBias  the folded bias values in the bias tensor's layout
 */
record BatchNormFold(WeightLayer layer, int bnNode, float[] channelScale, TensorSource bias, float[] newBias,
                     FloatType biasType, List<TensorSource> bnParams) {

    /** The fold for this layer, or a reason it cannot be done. */
    static Outcome plan(ModelProto model, WeightLayer layer, int outChannels, GraphScan scan, ExternalData ext, String file) throws IOException {
        String op = layer.op();
        if (!op.equals("Conv") && !op.equals("ConvTranspose") && !op.equals("Gemm")) return Outcome.no(null);
        GraphProto g = layer.graph().resolve(model);
        NodeProto node = g.getNode(layer.node());
        if (node.getOutputCount() < 1 || node.getOutput(0).isEmpty()) return Outcome.no(null);
        String y = node.getOutput(0);
        int bnIndex = -1, consumers = 0;
        for (int j = 0; j < g.getNodeCount(); j++) {
            NodeProto n = g.getNode(j);
            if (n.getInputList().contains(y)) {
                consumers++;
                if (n.getOpType().equals("BatchNormalization") && GraphScan.isOnnxDomain(n) && n.getInputCount() >= 5 && n.getInput(0).equals(y)) bnIndex = j;
            } else if (j != layer.node() && GraphScan.consumed(n).contains(y)) {
                consumers++;
            }
        }
        if (bnIndex < 0) return Outcome.no(null);
        String why = layer.nodeName() + " + BatchNormalization: not folded, ";
        if (consumers != 1 || g.getOutputList().stream().map(ValueInfoProto::getName).anyMatch(y::equals)) {
            return Outcome.no(why + "the layer's output is also used elsewhere");
        }
        if (scan.uses.getOrDefault(layer.source(), 0) != 1) return Outcome.no(why + "its weight is shared");
        NodeProto bn = g.getNode(bnIndex);
        if (bn.getOutputCount() < 1 || bn.getOutput(0).isEmpty()) return Outcome.no(why + "the BatchNormalization has no output");
        if (bn.getOutputList().stream().skip(1).anyMatch(s -> !s.isEmpty())
                || GraphScan.attribute(bn, "training_mode").map(AttributeProto::getI).orElse(0L) != 0) {
            return Outcome.no(why + "the BatchNormalization runs in training mode");
        }
        if (GraphScan.attribute(bn, "spatial").map(AttributeProto::getI).orElse(1L) != 1) return Outcome.no(why + "spatial=0 BatchNormalization");
        Scope scope = scan.scopes.get(layer.graph());
        float[][] p = new float[4][];
        TensorSource[] params = new TensorSource[4];
        for (int i = 0; i < 4; i++) {
            params[i] = scope.resolve(bn.getInput(i + 1));
            if (params[i] == null) return Outcome.no(why + "its parameters are not constants");
            p[i] = decode(model, params[i], ext, file);
            if (p[i] == null || p[i].length != outChannels) return Outcome.no(why + "its parameters do not have one value per output channel");
        }
        double eps = GraphScan.attribute(bn, "epsilon").map(a -> (double) a.getF()).orElse(1e-5);
        double beta = 1;
        int biasInput = 2;
        if (op.equals("Gemm")) {
            beta = GraphScan.attribute(node, "beta").map(a -> (double) a.getF()).orElse(1.0);
            if (beta == 0) return Outcome.no(why + "Gemm beta=0");
        }
        float[] s = new float[outChannels];
        for (int c = 0; c < outChannels; c++) s[c] = (float) (p[0][c] / Math.sqrt(p[3][c] + eps));
        TensorSource bias = null;
        float[] b = new float[outChannels];
        FloatType biasType = layer.type();
        if (node.getInputCount() > biasInput && !node.getInput(biasInput).isEmpty()) {
            bias = scope.resolve(node.getInput(biasInput));
            if (bias == null) return Outcome.no(why + "its bias is not a constant");
            if (scan.uses.getOrDefault(bias, 0) != 1) return Outcome.no(why + "its bias is shared");
            TensorProto bt = bias.get(model);
            int[] bs = TensorCodec.shape(bt, file + ": tensor '" + bt.getName() + "'");
            boolean perChannel = bs.length == 1 && bs[0] == outChannels || bs.length == 2 && bs[0] == 1 && bs[1] == outChannels;
            if (!perChannel) return Outcome.no(why + "its bias is not one value per output channel");
            b = decode(model, bias, ext, file);
            if (b == null) return Outcome.no(why + "its bias is not a float tensor");
            biasType = FloatType.of(bt.getDataType()).orElseThrow();
        }
        float[] nb = new float[outChannels];
        for (int c = 0; c < outChannels; c++) {
            nb[c] = (float) ((double) s[c] * b[c] + (p[1][c] - (double) s[c] * p[2][c]) / beta);
        }
        for (float v : s) if (!Float.isFinite(v)) return Outcome.no(why + "a channel factor γ/√(σ²+ε) is not finite");
        return new Outcome(Optional.of(new BatchNormFold(layer, bnIndex, s, bias, nb, biasType, List.of(params))), null);
    }

    private static float[] decode(ModelProto model, TensorSource src, ExternalData ext, String file) throws IOException {
        TensorProto t = src.get(model);
        Optional<FloatType> type = FloatType.of(t.getDataType());
        return type.isEmpty() ? null : TensorCodec.decode(t, type.get(), ext, file + ": tensor '" + t.getName() + "'");
    }

    /** A fold, or the reason there is none (null: no BatchNormalization follows, nothing to say). */
    record Outcome(Optional<BatchNormFold> fold, String reason) {
        static Outcome no(String reason) {
            return new Outcome(Optional.empty(), reason);
        }
    }
}
