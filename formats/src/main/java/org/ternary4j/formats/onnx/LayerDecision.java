package org.ternary4j.formats.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What happened to one weight layer, in graph order: ternarized, or kept full precision and why
 * ("first layer", "last layer", "kept at INT8 …" by mixed precision, "excluded by 'pattern'", "not included"). First and last are per
 * execution path ({@link LayerPaths}): each branch of an If may have its own.
 */
public record LayerDecision(int layerIndex, String op, String node, String weight, boolean ternarized, String reason) {

    static List<LayerDecision> decide(GraphScan scan, OnnxOptions o) {
        Set<Integer> firsts = scan.paths.firsts(), lasts = scan.paths.lasts();
        List<LayerDecision> out = new ArrayList<>();
        for (WeightLayer l : scan.layers) {
            String reason = null;
            if (!o.allLayers() && firsts.contains(l.order())) reason = "first layer kept full precision (ternarized only when all layers are asked for)";
            else if (!o.allLayers() && lasts.contains(l.order())) reason = "last layer kept full precision (ternarized only when all layers are asked for)";
            if (reason == null && o.override() != null) reason = o.override().keptReason(l.weightName());
            if (reason == null && !o.include().isEmpty() && o.include().stream().noneMatch(p -> p.matches(l))) {
                reason = "matches no include pattern";
            }
            if (reason == null) {
                for (NamePattern p : o.exclude()) {
                    if (p.matches(l)) {
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
