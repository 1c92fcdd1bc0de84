package org.ternary4j.formats.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConvAttributesTest {
    private static OnnxNode node(String op, Map<String, OnnxAttribute> attributes) {
        return new OnnxNode("n", op, "", List.of("x", "w"), List.of("y"), attributes);
    }

    private static OnnxAttribute.Ints ints(long... v) {
        return new OnnxAttribute.Ints(v);
    }

    @Test
    void absentAttributesTakeOnnxDefaults() {
        ConvAttributes a = ConvAttributes.of(node("Conv", Map.of()), 2);
        assertArrayEquals(new int[0], a.kernelShape());
        assertArrayEquals(new int[] {1, 1}, a.strides());
        assertArrayEquals(new int[] {1, 1}, a.dilations());
        assertArrayEquals(new int[] {0, 0, 0, 0}, a.pads());
        assertEquals(1, a.group());
        assertEquals(ConvAttributes.AutoPad.NOTSET, a.autoPad());
        assertFalse(a.ceilMode());
    }

    @Test
    void explicitPadsAndValid() {
        Map<String, OnnxAttribute> m = new LinkedHashMap<>(Map.of("pads", ints(1, 2, 3, 4), "strides", ints(2, 1), "group", new OnnxAttribute.Int(4)));
        ConvAttributes a = ConvAttributes.of(node("Conv", m), 2);
        assertArrayEquals(new int[] {1, 2, 3, 4}, a.pads(new int[] {3, 3}, new int[] {10, 10}));
        assertEquals(4, a.group());
        m.put("auto_pad", new OnnxAttribute.Str("VALID"));
        assertArrayEquals(new int[4], ConvAttributes.of(node("Conv", m), 2).pads(new int[] {3, 3}, new int[] {10, 10}));
    }

    /**
     * Hand-computed SAME padding: input 7, stride 2 → ⌈7/2⌉ = 4 outputs, which need (4−1)·2 + 3 = 9
     * padded positions, 2 pads; input 6, kernel 4, stride 1 → 6 outputs need 9, 3 pads, the odd one
     * at the end (UPPER) or the beginning (LOWER). Dilation 2 makes a kernel of 3 span 5.
     */
    @Test
    void samePaddingSplitsTheTotalAsOnnxSays() {
        ConvAttributes upper = ConvAttributes.of(node("MaxPool", Map.of("kernel_shape", ints(3, 4), "strides", ints(2, 1), "auto_pad", new OnnxAttribute.Str("SAME_UPPER"))), 2);
        assertArrayEquals(new int[] {3, 4}, upper.kernelShape());
        assertArrayEquals(new int[] {1, 1, 1, 2}, upper.pads(new int[] {3, 4}, new int[] {7, 6}));
        ConvAttributes lower = ConvAttributes.of(node("MaxPool", Map.of("kernel_shape", ints(3, 4), "strides", ints(2, 1), "auto_pad", new OnnxAttribute.Str("SAME_LOWER"))), 2);
        assertArrayEquals(new int[] {1, 2, 1, 1}, lower.pads(new int[] {3, 4}, new int[] {7, 6}));
        ConvAttributes dilated = ConvAttributes.of(node("Conv", Map.of("dilations", ints(2, 1), "auto_pad", new OnnxAttribute.Str("SAME_UPPER"))), 2);
        assertArrayEquals(new int[] {2, 1, 2, 1}, dilated.pads(new int[] {3, 3}, new int[] {8, 8}));
    }

    @Test
    void malformedAttributesNameTheNode() {
        assertEquals("node 'n' (Conv): strides has 3 values, 2 expected",
                assertThrows(IllegalArgumentException.class, () -> ConvAttributes.of(node("Conv", Map.of("strides", ints(1, 1, 1))), 2)).getMessage());
        assertEquals("node 'n' (Conv): dilations [1, 0] out of range (each ≥ 1)",
                assertThrows(IllegalArgumentException.class, () -> ConvAttributes.of(node("Conv", Map.of("dilations", ints(1, 0))), 2)).getMessage());
        assertEquals("node 'n' (Conv): pads [0, -1, 0, 0] out of range (each ≥ 0)",
                assertThrows(IllegalArgumentException.class, () -> ConvAttributes.of(node("Conv", Map.of("pads", ints(0, -1, 0, 0))), 2)).getMessage());
        assertEquals("node 'n' (Conv): unknown auto_pad 'SAME'",
                assertThrows(IllegalArgumentException.class, () -> ConvAttributes.of(node("Conv", Map.of("auto_pad", new OnnxAttribute.Str("SAME"))), 2)).getMessage());
        assertEquals("node 'n' (Conv): group must be ≥ 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> ConvAttributes.of(node("Conv", Map.of("group", new OnnxAttribute.Int(0))), 2)).getMessage());
        assertEquals("node 'n' (Conv): strides [4294967296, 1] out of range (each ≥ 1)",
                assertThrows(IllegalArgumentException.class, () -> ConvAttributes.of(node("Conv", Map.of("strides", ints(1L << 32, 1))), 2)).getMessage());
    }
}
