package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Random;
import org.junit.jupiter.api.Test;

class InputStatsTest {

    /** The plain definition, one vector after the other: what the blocked update must equal bit for bit. */
    private static final class Reference {
        final int dim;
        final double[] gram, cross, sum, refSum;
        long count;

        Reference(int dim) {
            this.dim = dim;
            gram = new double[dim * dim];
            cross = new double[dim * dim];
            sum = new double[dim];
            refSum = new double[dim];
        }

        void add(float[] x, int off, float[] ref, int refOff) {
            count++;
            for (int i = 0; i < dim; i++) {
                sum[i] += x[off + i];
                if (ref != null) refSum[i] += ref[refOff + i];
                for (int j = 0; j < dim; j++) {
                    gram[i * dim + j] += (double) x[off + i] * x[off + j];
                    if (ref != null) cross[i * dim + j] += (double) ref[refOff + i] * x[off + j];
                }
            }
        }
    }

    /** Values with a wide range of magnitudes and many exact zeros, as post-ReLU activations and padding give. */
    private static float[] values(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextInt(3) == 0 ? 0f : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
        return v;
    }

    @Test
    void blockedMomentsEqualTheSequentialSumsBitForBit() {
        Random r = new Random(7);
        for (int dim : new int[] {1, 3, 9, 16, 17, 33, 75}) {
            for (int n : new int[] {1, InputStats.BLOCK - 1, InputStats.BLOCK, 3 * InputStats.BLOCK + 5}) {
                float[] x = values(r, n * dim + 2), ref = values(r, n * dim + 1);
                InputStats plain = new InputStats(dim), paired = new InputStats(dim, true);
                Reference a = new Reference(dim), b = new Reference(dim);
                for (int s = 0; s < n; s++) {
                    plain.add(x, 2 + s * dim);
                    a.add(x, 2 + s * dim, null, 0);
                    // Every third vector without a reference: it adds nothing to the cross moments.
                    boolean withRef = s % 3 != 1;
                    if (withRef) paired.add(x, 2 + s * dim, ref, 1 + s * dim);
                    else paired.add(x, 2 + s * dim);
                    b.add(x, 2 + s * dim, withRef ? ref : null, 1 + s * dim);
                    if (s == n / 2) assertArrayEquals(a.gram, plain.gram(), "read in the middle, dim " + dim); // reading must not disturb what follows
                }
                String at = "dim " + dim + ", " + n + " vectors";
                assertEquals(n, plain.count());
                assertArrayEquals(a.gram, plain.gram(), at);
                assertArrayEquals(b.gram, paired.gram(), at);
                assertArrayEquals(b.cross, paired.cross(), at);
                assertNull(plain.cross());
                double[] mean = new double[dim], square = new double[dim];
                for (int i = 0; i < dim; i++) {
                    mean[i] = a.sum[i] / n;
                    square[i] = a.gram[i * dim + i] / n;
                }
                assertArrayEquals(mean, plain.mean(), at);
                assertArrayEquals(square, plain.meanSquare(), at);
            }
        }
    }

    @Test
    void centeredMomentsSubtractTheMeans() {
        // Two vectors (1, 2) and (3, 6): mean (2, 4); centered Gram Σ (x−m)(x−m)ᵀ = 2·[[1, 2], [2, 4]].
        InputStats st = new InputStats(2, true);
        st.add(new float[] {1, 2}, 0, new float[] {0, 1}, 0);
        st.add(new float[] {3, 6}, 0, new float[] {2, 1}, 0);
        assertArrayEquals(new double[] {2, 4, 4, 8}, st.centeredGram(), 1e-12);
        // References (0, 1), (2, 1): mean (1, 1); Σ (r−m_r)(x−m)ᵀ = (−1, 0)ᵀ(−1, −2) + (1, 0)ᵀ(1, 2).
        assertArrayEquals(new double[] {2, 4, 0, 0}, st.centeredCross(), 1e-12);
    }
}
