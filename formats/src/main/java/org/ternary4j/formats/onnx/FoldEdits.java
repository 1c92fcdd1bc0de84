package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import shade.com.google.protobuf.ByteString;

/**
 * The graph edits of BatchNorm folding, applied after every tensor is rewritten: the layer takes
 * over the BatchNorm's output name, gets a bias if it had none, and the BatchNorm node and its
 * parameters (when nothing else uses them) go. Removals run deepest graph first and by descending
 * index, so no pending edit's indices shift under it.
 */
final class FoldEdits {
    private FoldEdits() {}

    static void apply(ModelProto.Builder model, Collection<BatchNormFold> folds, GraphScan scan) {
        Map<GraphPath, TreeSet<Integer>> nodes = new HashMap<>();
        Map<GraphPath, TreeSet<Integer>> initializers = new HashMap<>();
        for (BatchNormFold f : folds) {
            WeightLayer l = f.layer();
            GraphProto.Builder g = l.graph().resolve(model);
            NodeProto bn = g.getNode(f.bnNode());
            NodeProto.Builder layer = g.getNodeBuilder(l.node());
            String y = layer.getOutput(0);
            layer.setOutput(0, bn.getOutput(0));
            if (f.bias() == null) {
                String name = unique(l.weightName() + "_bn_bias", scan);
                g.addInitializer(biasTensor(name, f));
                if (layer.getInputCount() > 2) layer.setInput(2, name);
                else layer.addInput(name);
            }
            for (int i = g.getValueInfoCount() - 1; i >= 0; i--) if (g.getValueInfo(i).getName().equals(y)) g.removeValueInfo(i);
            nodes.computeIfAbsent(l.graph(), k -> new TreeSet<>()).add(f.bnNode());
            for (TensorSource p : f.bnParams()) {
                if (p instanceof TensorSource.Initializer init && scan.uses.getOrDefault(p, 0) == 1 && !isGraphInput(model, init)) {
                    initializers.computeIfAbsent(init.graph(), k -> new TreeSet<>()).add(init.index());
                }
            }
        }
        List<GraphPath> paths = new ArrayList<>(nodes.keySet());
        for (GraphPath p : initializers.keySet()) if (!paths.contains(p)) paths.add(p);
        paths.sort(Comparator.comparingInt(GraphPath::depth).reversed());
        for (GraphPath p : paths) {
            GraphProto.Builder g = p.resolve(model);
            for (int j : nodes.getOrDefault(p, new TreeSet<>()).descendingSet()) g.removeNode(j);
            for (int i : initializers.getOrDefault(p, new TreeSet<>()).descendingSet()) g.removeInitializer(i);
        }
    }

    private static boolean isGraphInput(ModelProto.Builder model, TensorSource.Initializer init) {
        GraphProto.Builder g = init.graph().resolve(model);
        String name = g.getInitializer(init.index()).getName();
        return g.getInputList().stream().anyMatch(v -> v.getName().equals(name));
    }

    private static String unique(String base, GraphScan scan) {
        String name = base;
        for (int i = 1; scan.names.contains(name); i++) name = base + "_" + i;
        scan.names.add(name);
        return name;
    }

    private static TensorProto biasTensor(String name, BatchNormFold f) {
        FloatType type = f.biasType();
        ByteBuffer b = ByteBuffer.allocate(f.newBias().length * type.bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : f.newBias()) {
            switch (type) {
                case FLOAT -> b.putFloat(v);
                case FLOAT16, BFLOAT16 -> b.putShort(type.toBits16(v));
                case DOUBLE -> b.putDouble(v);
            }
        }
        return TensorProto.newBuilder().setName(name).setDataType(type.onnxType).addDims(f.newBias().length)
                .setRawData(ByteString.copyFrom(b.array())).build();
    }
}
