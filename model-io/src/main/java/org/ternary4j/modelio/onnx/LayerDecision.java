package org.ternary4j.modelio.onnx;

/**
 * What happened to one weight layer, in graph order: ternarized, or kept full precision and why
 * ("first layer", "last layer", "excluded by 'pattern'", "not included").
 */
public record LayerDecision(int layerIndex, String op, String node, String weight, boolean ternarized, String reason) {

    static java.util.List<LayerDecision> decide(java.util.List<WeightLayer> layers, OnnxOptions o) {
        int first = -1, last = -1;
        for (WeightLayer l : layers) {
            if (l.embedding()) continue;
            if (first < 0) first = l.order();
            last = l.order();
        }
        java.util.List<LayerDecision> out = new java.util.ArrayList<>();
        for (WeightLayer l : layers) {
            String reason = null;
            if (!o.allLayers() && l.order() == first) reason = "first layer kept full precision (use all layers to ternarize it)";
            else if (!o.allLayers() && l.order() == last) reason = "last layer kept full precision (use all layers to ternarize it)";
            if (reason == null && !o.include().isEmpty() && o.include().stream().noneMatch(p -> p.matches(l.weightName(), l.nodeName()))) {
                reason = "matches no include pattern";
            }
            if (reason == null) {
                for (NamePattern p : o.exclude()) {
                    if (p.matches(l.weightName(), l.nodeName())) {
                        reason = "excluded by '" + p.spec() + "'";
                        break;
                    }
                }
            }
            out.add(new LayerDecision(l.order(), l.op(), l.nodeName(), l.weightName(), reason == null, reason == null ? "ternarized" : reason));
        }
        return out;
    }
}
