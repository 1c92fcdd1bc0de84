package org.ternary4j.runtime.graph;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.formats.onnx.OnnxNode;

/**
 * The values a graph can only ever hold as one pixel per image ([n, c, 1, 1]): the outputs of a
 * global pooling, of a 1×1 convolution without padding over such a value, and of an elementwise
 * activation of one. A squeeze-and-excitation block's two convolutions read such values; knowing
 * it at load lets them keep their codes in the order a one-pixel product reads. Only a layout
 * hint: a conv marked here still runs on larger inputs.
 */
final class OnePixel {
    private OnePixel() {}

    private static final Set<String> POOLS = Set.of("GlobalAveragePool", "GlobalMaxPool");
    private static final Set<String> ELEMENTWISE = Set.of("Relu", "Clip", "HardSigmoid", "HardSwish", "Sigmoid", "LeakyRelu", "Identity");

    /** Such values of {@code nodes} (in topological order); {@code shapes}: the initializers' shapes by name. */
    static Set<String> values(List<OnnxNode> nodes, Map<String, int[]> shapes) {
        Set<String> one = new HashSet<>();
        for (OnnxNode n : nodes) {
            if (!n.standard() || n.outputs().isEmpty()) continue;
            boolean in = !n.inputs().isEmpty() && one.contains(n.inputs().getFirst());
            boolean keeps = POOLS.contains(n.opType())
                    || in && ELEMENTWISE.contains(n.opType())
                    || in && n.opType().equals("Conv") && pointwiseUnpadded(n, shapes);
            if (keeps) one.add(n.outputs().getFirst());
        }
        return one;
    }

    /** A Conv whose weight is [O, I, 1, 1] and that pads nothing explicitly. */
    private static boolean pointwiseUnpadded(OnnxNode n, Map<String, int[]> shapes) {
        int[] w = n.inputs().size() < 2 ? null : shapes.get(n.inputs().get(1));
        if (w == null || w.length != 4 || w[2] != 1 || w[3] != 1) return false;
        long[] pads = n.intsAttr("pads");
        if (pads != null) for (long p : pads) if (p != 0) return false;
        return true;
    }
}
