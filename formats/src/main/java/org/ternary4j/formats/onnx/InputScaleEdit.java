package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import shade.com.google.protobuf.ByteString;

/**
 * Inserts the Mul nodes of {@link InputScale}s into the main graph, each just before the first
 * node that reads the scaled value, so the node list stays topologically ordered.
 */
final class InputScaleEdit {
    private InputScaleEdit() {}

    static ModelProto apply(ModelProto model, List<InputScale> scales, String file) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        Set<String> names = names(g);
        for (InputScale s : scales) {
            String factor = unique(s.value() + "_input_scale", names);
            String scaled = unique(s.value() + "_scaled", names);
            int first = -1;
            Set<String> found = new HashSet<>();
            for (int j = 0; j < g.getNodeCount(); j++) {
                NodeProto n = g.getNode(j);
                if (n.getInputCount() < 2 || !n.getInput(0).equals(s.value()) || !s.weights().contains(n.getInput(1))) continue;
                if (first < 0) first = j;
                found.add(n.getInput(1));
                g.getNodeBuilder(j).setInput(0, scaled);
            }
            if (!found.containsAll(s.weights())) {
                Set<String> missing = new HashSet<>(s.weights());
                missing.removeAll(found);
                throw new IllegalArgumentException(file + ": no node reads '" + s.value() + "' with weight " + missing);
            }
            g.addInitializer(vector(factor, s.factor()));
            g.addNode(first, NodeProto.newBuilder().setOpType("Mul").setName(scaled).addInput(s.value()).addInput(factor).addOutput(scaled));
        }
        return model.toBuilder().setGraph(g).build();
    }

    private static Set<String> names(GraphProto.Builder g) {
        Set<String> names = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            names.addAll(n.getOutputList());
            names.add(n.getName());
        }
        for (TensorProto t : g.getInitializerList()) names.add(t.getName());
        g.getInputList().forEach(v -> names.add(v.getName()));
        return names;
    }

    private static String unique(String base, Set<String> names) {
        String name = base;
        for (int i = 1; names.contains(name); i++) name = base + "_" + i;
        names.add(name);
        return name;
    }

    private static TensorProto vector(String name, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(v.length)
                .setRawData(ByteString.copyFrom(b.array())).build();
    }
}
