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
    /** Rows whose gradients start from one pass over H. */
    private static final int ROW_BLOCK = 4;

    private CodeDescent() {}

    /** Improves {@code codes} in place; returns the number of codes changed. */
    public static int improve(LayerProblem p, byte[] codes, float[] pos, float[] neg, int maxSweeps) {
        // Hᵀ row j is H's column j: the gradient's updates and sums then read contiguous memory.
        Rows rows = new Rows(p, Linalg.transpose(p.h(), p.k()), p.groupOf(), codes, pos, neg);
        // Rows are independent and each writes only its own codes: solved beside one another, the same bits.
        int blocks = (p.rows() + ROW_BLOCK - 1) / ROW_BLOCK;
        return java.util.stream.IntStream.range(0, blocks).parallel().map(b -> rows.improve(b, maxSweeps)).sum();
    }

    /** One layer's rows to improve, with Hᵀ. */
    private record Rows(LayerProblem p, double[] ht, int[] groupOf, byte[] codes, float[] pos, float[] neg) {
        /** Improves one block of rows; returns the number of codes changed. */
        int improve(int block, int maxSweeps) {
            int k = p.k(), from = block * ROW_BLOCK, count = Math.min(ROW_BLOCK, p.rows() - from);
            double[][] e = new double[count][k], g = new double[count][k];
            for (int b = 0; b < count; b++) {
                int base = (from + b) * k;
                for (int j = 0; j < k; j++) e[b][j] = LayerProblem.value(codes[base + j], groupOf[base + j], pos, neg) - p.w()[base + j];
            }
            Linalg.products(ht, e, g, k);
            int changed = 0;
            for (int b = 0; b < count; b++) changed += sweeps((from + b) * k, g[b], maxSweeps);
            return changed;
        }

        /** Sweeps the row starting at {@code base} with its gradient g; returns the number of codes changed. */
        private int sweeps(int base, double[] g, int maxSweeps) {
            int k = p.k();
            double[] h = p.h();
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
