package org.ternary4j.formats.onnx;

import static org.junit.jupiter.api.Assertions.*;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class WeightLayoutTest {

    /** Distinct values, so any misplaced element shows. */
    static float[] iota(int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = i + 0.5f;
        return f;
    }

    @Property(tries = 50)
    void inOutIsTheExactTranspose(@ForAll @IntRange(min = 1, max = 9) int in, @ForAll @IntRange(min = 1, max = 9) int out) {
        int[] stored = {in, out};
        float[] w = iota(in * out);
        WeightLayout l = new WeightLayout.InOut();
        float[] c = l.toCanonical(w, stored);
        assertArrayEquals(new int[] {out, in}, l.canonicalShape(stored));
        for (int i = 0; i < in; i++) for (int o = 0; o < out; o++) assertEquals(w[i * out + o], c[o * in + i], 0f);
        assertArrayEquals(w, l.toStored(c, stored), 0f);
    }

    @Property(tries = 50)
    void convTransposeMovesEachOutputChannelToARow(@ForAll @IntRange(min = 1, max = 3) int groups, @ForAll @IntRange(min = 1, max = 3) int inPer,
                                                   @ForAll @IntRange(min = 1, max = 4) int outPer, @ForAll @IntRange(min = 1, max = 4) int k) {
        int[] stored = {groups * inPer, outPer, k, 1};
        float[] w = iota(groups * inPer * outPer * k);
        WeightLayout l = new WeightLayout.ConvTransposeGrouped(groups);
        int[] shape = l.canonicalShape(stored);
        assertArrayEquals(new int[] {groups * outPer, inPer, k, 1}, shape);
        float[] c = l.toCanonical(w, stored);
        // ONNX: output channel oc of group g reads input channels g·inPer … from stored [ci, oc - g·outPer, k].
        for (int oc = 0; oc < shape[0]; oc++) {
            int g = oc / outPer;
            for (int i = 0; i < inPer; i++) {
                for (int s = 0; s < k; s++) {
                    int ci = g * inPer + i;
                    assertEquals(w[(ci * outPer + (oc - g * outPer)) * k + s], c[(oc * inPer + i) * k + s], 0f);
                }
            }
        }
        assertArrayEquals(w, l.toStored(c, stored), 0f);
    }

    @Test
    void canonicalIsTheIdentity() {
        float[] w = iota(12);
        assertArrayEquals(iota(12), new WeightLayout.Canonical().toCanonical(w, new int[] {3, 4}), 0f);
        assertArrayEquals(iota(12), new WeightLayout.Canonical().toStored(w, new int[] {3, 4}), 0f);
    }

    @Test
    void halfPrecisionRounding() {
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.1f)), FloatType.FLOAT16.round(0.1f), 0f);
        // bfloat16 keeps the top 16 bits, rounding to nearest even: 1 + 2^-8 is a tie that rounds down to 1.
        assertEquals(1f, FloatType.BFLOAT16.round(1f + 0x1p-8f), 0f);
        assertEquals(1f + 0x1p-7f, FloatType.BFLOAT16.round(1f + 0x1p-8f + 0x1p-20f), 0f);
        assertEquals(1f + 0x1p-6f, FloatType.BFLOAT16.round(1f + 0x1p-7f + 0x1p-8f), 0f);
        assertEquals(-3.0f, FloatType.BFLOAT16.round(-3.0f), 0f);
    }

    @Test
    void namePatterns() {
        NamePattern glob = NamePattern.parse("/encoder/*/MatMul");
        assertTrue(glob.matches("/encoder/layer.0/attn/MatMul"));
        assertFalse(glob.matches("/encoder/layer.0/MatMul_1"));
        assertTrue(NamePattern.parse("conv?.weight").matches("nope", "conv1.weight"));
        assertFalse(NamePattern.parse("conv?.weight").matches("conv1xweight"));
        assertTrue(NamePattern.parse("re:layer\\.[0-3]\\..*").matches("layer.2.fc"));
        assertFalse(NamePattern.parse("re:layer\\.[0-3]\\..*").matches("layer.4.fc"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NamePattern.parse("re:("));
        assertTrue(e.getMessage().startsWith("pattern 're:('"));
    }
}
