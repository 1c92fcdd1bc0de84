package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a graph sits in a model: the main graph, or a subgraph reached through node attributes
 * (If's then/else branches, Loop and Scan bodies). Indices refer to the model as read.
 */
record GraphPath(List<Step> steps) {

    /** Node {@code node}'s attribute {@code attribute}; {@code graph} is −1 for a GRAPH attribute, else the index in GRAPHS. */
    record Step(int node, int attribute, int graph) {}

    static final GraphPath MAIN = new GraphPath(List.of());

    GraphPath child(int node, int attribute, int graph) {
        List<Step> s = new ArrayList<>(steps);
        s.add(new Step(node, attribute, graph));
        return new GraphPath(List.copyOf(s));
    }

    GraphProto resolve(ModelProto model) {
        GraphProto g = model.getGraph();
        for (Step s : steps) {
            AttributeProto a = g.getNode(s.node).getAttribute(s.attribute);
            g = s.graph < 0 ? a.getG() : a.getGraphs(s.graph);
        }
        return g;
    }

    GraphProto.Builder resolve(ModelProto.Builder model) {
        GraphProto.Builder g = model.getGraphBuilder();
        for (Step s : steps) {
            AttributeProto.Builder a = g.getNodeBuilder(s.node).getAttributeBuilder(s.attribute);
            g = s.graph < 0 ? a.getGBuilder() : a.getGraphsBuilder(s.graph);
        }
        return g;
    }

    int depth() {
        return steps.size();
    }
}
