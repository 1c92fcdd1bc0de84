package org.ternary4j.runtime.graph;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.formats.onnx.OnnxNode;

/**
 * Weights and embedding tables mixed precision kept at INT8 or FP16 (canonical [out, in, …]; Gather
 * tables [rows, dim] as stored): dequantized at load to the
 * float tensor the model's node reads, in the layout ONNX stores it (MatMul and Gemm with transB = 0
 * hold [in, out]), and run by the float kernels like any other constant.
 */
final class KeptWeights {
    private KeptWeights() {}

    /** Replaces each kept weight in {@code constants} by its dequantized values; each must be input 1 of a Conv, Gemm or MatMul. */
    static void apply(List<OnnxNode> nodes, Map<String, KeptTensor> kept, Map<String, Tensor> constants) {
        for (Map.Entry<String, KeptTensor> e : kept.entrySet()) {
            String name = e.getKey();
            OnnxNode node = null;
            for (OnnxNode n : nodes) {
                int at = n.inputs().indexOf(name);
                if (at < 0) continue;
                boolean layer = at == 1 && (n.opType().equals("Conv") || n.opType().equals("Gemm") || n.opType().equals("MatMul"));
                if (!layer && !(at == 0 && n.opType().equals("Gather"))) {
                    throw new IllegalArgumentException("kept weight '" + name + "' is input " + at + " of " + n.opType() + " node '" + n.label()
                            + "'; kept weights can only be the weight (input 1) of Conv, Gemm or MatMul, or the table (input 0) of Gather");
                }
                if (node == null) node = n;
            }
            if (node == null) throw new IllegalArgumentException("kept weight '" + name + "' is not used as a Conv/Gemm/MatMul weight or Gather table in the graph");
            Tensor old = constants.get(name);
            if (old == null) throw new IllegalArgumentException("kept weight '" + name + "' is not a constant of the model");
            constants.put(name, stored(node, e.getValue(), old.shape()));
        }
    }

    /** The dequantized weight in the layout node {@code n} reads, checked against the model's own shape. */
    static Tensor stored(OnnxNode n, KeptTensor t, int[] onnxShape) {
        int[] s = t.shape();
        float[] v = t.dequantize();
        String weight = n.opType().equals("Gather") ? n.inputs().get(0) : n.inputs().get(1);
        boolean transposed = n.opType().equals("MatMul") || n.opType().equals("Gemm") && n.intAttr("transB", 0) == 0;
        int[] shape = s;
        if (transposed) {
            if (s.length != 2) throw new IllegalArgumentException("kept weight '" + weight + "' of " + n.opType() + " must be [out, in], got " + Arrays.toString(s));
            shape = new int[] {s[1], s[0]};
            v = org.ternary4j.core.FloatArrays.transpose(v, s[0], s[1]);
        }
        if (!Arrays.equals(shape, onnxShape)) {
            throw new IllegalArgumentException("kept weight '" + weight + "' implies ONNX shape " + Arrays.toString(shape) + " but the model's is "
                    + Arrays.toString(onnxShape));
        }
        return new Tensor.F32(shape, v);
    }
}
