package org.ternary4j.runtime.graph;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Double sums of float rows (ReduceMean, LayerNorm's mean and variance, GlobalAveragePool's
 * planes) in one fixed order: four double accumulators of four lanes, each taking every fourth
 * group of four values, combined pairwise and their lanes added in order, then the last values
 * one by one. Fixed species (AVX2 has them too), so the order, and the sum, is the same on every
 * machine and in interpreted and compiled code. A chain of dependent adds in index order costs
 * 4 cycles a value: 50 µs a call on PaddleOCR's classifier's 200-channel planes, and 29 of a
 * MiniLM LayerNorm's 36 µs (128 rows of 384, two passes, eight rows side by side); this takes 8.
 */
final class DoubleSums {
    private DoubleSums() {}

    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;
    private static final VectorSpecies<Double> D4 = DoubleVector.SPECIES_256;

    /** Σ a[from, from + len) in double ({@code square}: of each a·a rounded to float first, as {@code s += a[i] * a[i]} on floats rounds it). */
    static double of(float[] a, int from, int len, boolean square) {
        int j = 0, l = F4.length();
        double s = 0;
        if (len >= 4 * l) {
            DoubleVector s0 = DoubleVector.zero(D4), s1 = s0, s2 = s0, s3 = s0;
            for (; j + 4 * l <= len; j += 4 * l) {
                FloatVector v0 = FloatVector.fromArray(F4, a, from + j), v1 = FloatVector.fromArray(F4, a, from + j + l);
                FloatVector v2 = FloatVector.fromArray(F4, a, from + j + 2 * l), v3 = FloatVector.fromArray(F4, a, from + j + 3 * l);
                if (square) {
                    v0 = v0.mul(v0);
                    v1 = v1.mul(v1);
                    v2 = v2.mul(v2);
                    v3 = v3.mul(v3);
                }
                s0 = s0.add(v0.convertShape(VectorOperators.F2D, D4, 0));
                s1 = s1.add(v1.convertShape(VectorOperators.F2D, D4, 0));
                s2 = s2.add(v2.convertShape(VectorOperators.F2D, D4, 0));
                s3 = s3.add(v3.convertShape(VectorOperators.F2D, D4, 0));
            }
            DoubleVector t = s0.add(s1).add(s2.add(s3));
            s = t.lane(0) + t.lane(1) + t.lane(2) + t.lane(3);
        }
        for (; j < len; j++) s += square ? a[from + j] * a[from + j] : a[from + j];
        return s;
    }
}
