package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.ternary4j.formats.onnx.OnnxAttribute;
import org.ternary4j.formats.onnx.OnnxNode;

class OnePixelTest {
    private static OnnxNode node(String op, List<String> in, String out, Map<String, OnnxAttribute> attributes) {
        return new OnnxNode(out, op, "", in, List.of(out), attributes);
    }

    /**
     * A squeeze-and-excitation block: pooled, then 1×1 conv, Relu, 1×1 conv, HardSigmoid are one
     * pixel; the Mul back onto the planes, a padded 1×1 conv, a 3×3 conv and a conv of the planes are not.
     */
    @Test
    void followsOnePixelValuesThroughPointwiseConvsAndActivations() {
        Map<String, int[]> shapes = Map.of("w1", new int[] {2, 8, 1, 1}, "w2", new int[] {8, 2, 1, 1}, "w3", new int[] {8, 8, 3, 3}, "w4", new int[] {8, 8, 1, 1});
        List<OnnxNode> nodes = List.of(
                node("Conv", List.of("x", "w4"), "planes", Map.of()),
                node("GlobalAveragePool", List.of("planes"), "pooled", Map.of()),
                node("Conv", List.of("pooled", "w1", "b1"), "squeezed", Map.of()),
                node("Relu", List.of("squeezed"), "relu", Map.of()),
                node("Conv", List.of("relu", "w2"), "excited", Map.of()),
                node("HardSigmoid", List.of("excited"), "gate", Map.of()),
                node("Mul", List.of("planes", "gate"), "scaled", Map.of()),
                node("Conv", List.of("gate", "w4"), "padded", Map.of("pads", new OnnxAttribute.Ints(new long[] {0, 1, 0, 1}))),
                node("Conv", List.of("gate", "w3"), "wide", Map.of()),
                node("Conv", List.of("gate", "w4"), "unpadded", Map.of("pads", new OnnxAttribute.Ints(new long[] {0, 0, 0, 0}))));
        assertEquals(Set.of("pooled", "squeezed", "relu", "excited", "gate", "unpadded"), OnePixel.values(nodes, shapes));
    }
}
