package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;

/** Where a constant tensor is stored: a graph initializer or the {@code value} of a Constant node. */
sealed interface TensorSource {
    GraphPath graph();

    TensorProto get(ModelProto model);

    TensorProto.Builder edit(ModelProto.Builder model);

    /** "initializer" or "Constant", for reports. */
    String kind();

    record Initializer(GraphPath graph, int index) implements TensorSource {
        public TensorProto get(ModelProto model) {
            return graph.resolve(model).getInitializer(index);
        }

        public TensorProto.Builder edit(ModelProto.Builder model) {
            return graph.resolve(model).getInitializerBuilder(index);
        }

        public String kind() {
            return "initializer";
        }
    }

    record ConstantNode(GraphPath graph, int node, int attribute) implements TensorSource {
        public TensorProto get(ModelProto model) {
            return graph.resolve(model).getNode(node).getAttribute(attribute).getT();
        }

        public TensorProto.Builder edit(ModelProto.Builder model) {
            return graph.resolve(model).getNodeBuilder(node).getAttributeBuilder(attribute).getTBuilder();
        }

        public String kind() {
            return "Constant";
        }
    }
}
