package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;

/**
 * Visits every stored tensor of a model in file order: each graph's initializers, then the tensor
 * attributes of its nodes (Constant values and others), then its subgraphs.
 */
final class ModelTensors {
    private ModelTensors() {}

    interface Visitor {
        void visit(TensorSource source, TensorProto tensor) throws IOException;
    }

    static void forEach(ModelProto model, String file, Visitor v) throws IOException {
        for (var info : model.getTrainingInfoList()) {
            if (info.getInitialization().getInitializerList().stream().anyMatch(TensorCodec::isExternal)
                    || info.getAlgorithm().getInitializerList().stream().anyMatch(TensorCodec::isExternal)) {
                throw new IOException(file + ": external data inside training_info graphs is not supported");
            }
        }
        walk(model.getGraph(), GraphPath.MAIN, file, v);
    }

    private static void walk(GraphProto g, GraphPath path, String file, Visitor v) throws IOException {
        for (int i = 0; i < g.getInitializerCount(); i++) v.visit(new TensorSource.Initializer(path, i), g.getInitializer(i));
        if (g.getSparseInitializerList().stream().anyMatch(s -> TensorCodec.isExternal(s.getValues()) || TensorCodec.isExternal(s.getIndices()))) {
            throw new IOException(file + ": sparse initializers with external data are not supported");
        }
        for (int j = 0; j < g.getNodeCount(); j++) {
            NodeProto n = g.getNode(j);
            for (int k = 0; k < n.getAttributeCount(); k++) {
                AttributeProto a = n.getAttribute(k);
                if (a.hasT()) v.visit(new TensorSource.ConstantNode(path, j, k), a.getT());
                if (a.getTensorsList().stream().anyMatch(TensorCodec::isExternal)) {
                    throw new IOException(file + ": node '" + n.getName() + "': external data in a tensor-list attribute is not supported");
                }
            }
        }
        for (int j = 0; j < g.getNodeCount(); j++) {
            NodeProto n = g.getNode(j);
            for (int k = 0; k < n.getAttributeCount(); k++) {
                AttributeProto a = n.getAttribute(k);
                if (a.getType() == AttributeProto.AttributeType.GRAPH) walk(a.getG(), path.child(j, k, -1), file, v);
                for (int i = 0; i < a.getGraphsCount(); i++) walk(a.getGraphs(i), path.child(j, k, i), file, v);
            }
        }
    }

    /** Bytes per element of an ONNX type with a fixed size, −1 otherwise. */
    static int elementBytes(int dataType) {
        return switch (dataType) {
            case 2, 3, 9 -> 1;           // UINT8, INT8, BOOL
            case 4, 5, 10, 16 -> 2;      // UINT16, INT16, FLOAT16, BFLOAT16
            case 1, 6, 12 -> 4;          // FLOAT, INT32, UINT32
            case 7, 11, 13, 14 -> 8;     // INT64, DOUBLE, UINT64, COMPLEX64
            case 15 -> 16;               // COMPLEX128
            default -> -1;
        };
    }

    static long expectedBytes(TensorProto t, String where) throws IOException {
        int e = elementBytes(t.getDataType());
        return e < 0 ? -1 : (long) TensorCodec.count(TensorCodec.shape(t, where)) * e;
    }
}
