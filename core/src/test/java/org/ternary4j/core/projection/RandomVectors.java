package org.ternary4j.core.projection;

import java.util.SplittableRandom;

/** Random weight vectors with the awkward cases mixed in: ties, zeros, signs of one kind, outliers. */
final class RandomVectors {
    private final SplittableRandom rnd;

    RandomVectors(long seed) {
        rnd = new SplittableRandom(seed);
    }

    float[] next(int n) {
        float[] w = new float[n];
        int kind = rnd.nextInt(7);
        for (int i = 0; i < n; i++) {
            w[i] = switch (kind) {
                case 0 -> (float) gaussian();
                case 1 -> (float) (rnd.nextDouble() * 2 - 1);
                case 2 -> (rnd.nextInt(5) - 2) * 0.25f;               // many exact ties and zeros
                case 3 -> (float) Math.abs(gaussian());                 // one sign only
                case 4 -> rnd.nextInt(4) == 0 ? 0f : (float) gaussian(); // sparse
                case 5 -> (float) (gaussian() * Math.exp(3 * gaussian())); // heavy tails
                default -> (float) Math.scalb(rnd.nextDouble() - 0.5, rnd.nextInt(-30, 30)); // wide range
            };
        }
        return w;
    }

    double gaussian() {
        double u = rnd.nextDouble(), v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log1p(-u)) * Math.cos(2 * Math.PI * v);
    }

    int nextInt(int bound) {
        return rnd.nextInt(bound);
    }
}
