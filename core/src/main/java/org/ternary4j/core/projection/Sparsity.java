package org.ternary4j.core.projection;

import java.util.Arrays;

/** Fixed sparsity (spec §2.6): keep the ⌈(1−p)·N⌉ largest |w| (ties by index), least-squares scale. */
public record Sparsity(double sparsity) implements Projection {
    public static final double DEFAULT_SPARSITY = 0.5;

    public Sparsity {
        if (!(sparsity >= 0 && sparsity <= 1)) throw new IllegalArgumentException("sparsity must be in [0, 1], got " + sparsity);
    }

    @Override
    public String spec() {
        return "sparsity:" + sparsity;
    }

    @Override
    public Scales project(float[] w, int n, byte[] codes) {
        int keep = (int) Math.min(n, Math.ceil((1 - sparsity) * n - 1e-9));
        Arrays.fill(codes, 0, n, (byte) 0);
        if (keep > 0) {
            long[] keys = new long[n];
            for (int i = 0; i < n; i++) keys[i] = ExactSupport.sortKey(Math.abs(w[i]), i);
            Arrays.sort(keys);
            for (int j = 0; j < keep; j++) {
                int i = ExactSupport.keyIndex(keys[j]);
                codes[i] = w[i] > 0 ? (byte) 1 : w[i] < 0 ? (byte) -1 : 0;
            }
        }
        return Groups.leastSquares(w, n, codes);
    }
}
