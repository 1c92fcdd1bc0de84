package org.ternary4j.formats.onnx;

import java.util.Arrays;
import org.ternary4j.core.FloatArrays;

/**
 * How an op stores its weight relative to core's canonical layout [out, in, spatial…]. Both
 * directions are pure permutations, so a round trip is exact.
 */
public sealed interface WeightLayout {

    /** Shape of the canonical tensor for a weight stored with {@code stored}. */
    int[] canonicalShape(int[] stored);

    /** The canonical array; {@link Canonical} returns {@code w} itself, the others a new array. */
    float[] toCanonical(float[] w, int[] stored);

    /** The stored array; {@link Canonical} returns {@code w} itself, the others a new array. */
    float[] toStored(float[] w, int[] stored);

    /** A note for the packed format: how to get the stored array back from the canonical one. */
    String describe();

    /** Already [out, in, spatial…] (no copy: weights can be large): Conv (grouped or not), Gemm with transB=1, Gather tables [rows, dim]. */
    record Canonical() implements WeightLayout {
        public int[] canonicalShape(int[] stored) {
            return stored.clone();
        }

        public float[] toCanonical(float[] w, int[] stored) {
            return w;
        }

        public float[] toStored(float[] w, int[] stored) {
            return w;
        }

        public String describe() {
            return "canonical";
        }
    }

    /** Stored [in, out]: MatMul's constant B and Gemm with transB=0. Canonical is the transpose. */
    record InOut() implements WeightLayout {
        public int[] canonicalShape(int[] stored) {
            return new int[] {stored[1], stored[0]};
        }

        public float[] toCanonical(float[] w, int[] stored) {
            return FloatArrays.transpose(w, stored[0], stored[1]);
        }

        public float[] toStored(float[] w, int[] stored) {
            return FloatArrays.transpose(w, stored[1], stored[0]);
        }

        public String describe() {
            return "transposed: stored [in, out]";
        }
    }

    /**
     * ConvTranspose stores [in, out/groups, k…]; canonical is [out, in/groups, k…] with output
     * channel g·(out/groups) + o for group g.
     */
    record ConvTransposeGrouped(int groups) implements WeightLayout {
        public ConvTransposeGrouped {
            if (groups < 1) throw new IllegalArgumentException("ConvTranspose group must be ≥ 1, got " + groups);
        }

        public int[] canonicalShape(int[] stored) {
            int[] c = stored.clone();
            c[0] = stored[1] * groups;
            c[1] = stored[0] / groups;
            return c;
        }

        public float[] toCanonical(float[] w, int[] stored) {
            return permute(w, stored, true);
        }

        public float[] toStored(float[] w, int[] stored) {
            return permute(w, stored, false);
        }

        private float[] permute(float[] w, int[] stored, boolean toCanonical) {
            if (stored[0] % groups != 0) {
                throw new IllegalArgumentException("ConvTranspose weight " + Arrays.toString(stored) + " does not split into " + groups + " groups");
            }
            int inPer = stored[0] / groups, outPer = stored[1], k = w.length / Math.max(1, stored[0] * stored[1]);
            float[] out = new float[w.length];
            for (int g = 0; g < groups; g++) {
                for (int i = 0; i < inPer; i++) {
                    for (int o = 0; o < outPer; o++) {
                        int s = ((g * inPer + i) * outPer + o) * k;
                        int c = ((g * outPer + o) * inPer + i) * k;
                        if (toCanonical) System.arraycopy(w, s, out, c, k);
                        else System.arraycopy(w, c, out, s, k);
                    }
                }
            }
            return out;
        }

        public String describe() {
            return "ConvTranspose: stored [in, out/" + groups + ", k…]";
        }
    }
}
