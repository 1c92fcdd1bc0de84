package org.ternary4j.ptq.calibrate;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Coordinate descent over ternary codes with the scales fixed: visits each weight in turn and
 * moves it to whichever of its three levels lowers the output error (w − q)ᵀ H (w − q) most,
 * keeping the gradient g = H (q − w) up to date (each move costs one column of H). Sweeps in index
 * order until a sweep changes nothing or {@code maxSweeps} is reached; the error never rises.
 */
public final class CodeDescent {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private CodeDescent() {}

    /** Improves {@code codes} in place; returns the number of codes changed. */
    public static int improve(LayerProblem p, byte[] codes, float[] pos, float[] neg, int maxSweeps) {
        int k = p.k();
        // Hᵀ row j is H's column j: the gradient's updates and sums then read contiguous memory.
        Rows rows = new Rows(p, Linalg.transpose(p.h(), k), p.groupOf(), codes, pos, neg);
        // Rows are independent and each writes only its own codes: solved beside one another, the same bits.
        return java.util.stream.IntStream.range(0, p.rows()).parallel().map(r -> rows.improve(r, maxSweeps)).sum();
    }

    /** One layer's rows to improve, with Hᵀ. */
    private record Rows(LayerProblem p, double[] ht, int[] groupOf, byte[] codes, float[] pos, float[] neg) {
        int improve(int r, int maxSweeps) {
            int k = p.k();
            double[] h = p.h();
            int base = r * k;
            double[] e = new double[k], g = new double[k];
            for (int j = 0; j < k; j++) e[j] = LayerProblem.value(codes[base + j], groupOf[base + j], pos, neg) - p.w()[base + j];
            Linalg.products(ht, new double[][] {e}, new double[][] {g}, k);
            int changed = 0;
            for (int sweep = 0; sweep < maxSweeps; sweep++) {
                int moves = 0;
                for (int j = 0; j < k; j++) {
                    int q = base + j;
                    double current = LayerProblem.value(codes[q], groupOf[q], pos, neg);
                    byte best = codes[q];
                    double bestDelta = 0, bestGain = 0;
                    for (byte c = -1; c <= 1; c++) {
                        if (c == codes[q]) continue;
                        double d = LayerProblem.value(c, groupOf[q], pos, neg) - current;
                        if (d == 0) continue;
                        double gain = 2 * d * g[j] + d * d * h[j * k + j]; // change of the error
                        if (gain < bestGain - 1e-12 * Math.abs(bestGain)) {
                            bestGain = gain;
                            best = c;
                            bestDelta = d;
                        }
                    }
                    if (best != codes[q]) {
                        codes[q] = best;
                        int row = j * k, i = 0;
                        for (; i + LANES <= k; i += LANES) {
                            DoubleVector.fromArray(SPECIES, g, i).add(DoubleVector.fromArray(SPECIES, ht, row + i).mul(bestDelta)).intoArray(g, i);
                        }
                        for (; i < k; i++) g[i] += ht[row + i] * bestDelta;
                        moves++;
                    }
                }
                changed += moves;
                if (moves == 0) break;
            }
            return changed;
        }
    }
}
