package org.ternary4j.runtime.graph;

import org.ternary4j.runtime.kernel.PackedTernaryMatrix;
import org.ternary4j.runtime.kernel.PanelGemm;
import org.ternary4j.runtime.kernel.Parallel;
import org.ternary4j.runtime.kernel.TernaryMatmul;

/**
 * y = x · Wᵀ for the activation rows of a ternary layer (a transformer's tokens, a batch of
 * images). The int8 kernels split work by blocks of weight rows (1024 for TRIPLES), so a layer
 * of 384 outputs ran on one thread however many tokens it had; with enough activation rows they
 * are split among the threads instead, each computing whole rows of y. Every activation row's
 * int8 result depends on that row alone (integer sums, then one float combine), so the split
 * changes no bit. The exact path keeps its own split by weight tiles.
 */
final class RowSplit {
    private RowSplit() {}

    /** Activation rows per thread below which splitting them does not pay. */
    static final int MIN_ROWS_PER_THREAD = 4;

    /**
     * Packed bytes up to which every thread may read the whole matrix: it then stays in the
     * shared cache, where a large matrix streamed from memory by each thread would double the traffic.
     */
    static final long MAX_SHARED_BYTES = 1 << 20;

    /** y = x · Wᵀ + bias (null: none; the exact path adds it per panel, the int8 paths after). */
    static void gemm(PackedTernaryMatrix m, float[] x, int rows, float[] y, float[] bias, boolean exact, Parallel par) {
        if (exact) {
            TernaryMatmul.gemmExact(m, x, rows, y, bias, par);
            return;
        }
        int8(m, x, rows, y, par);
        PanelGemm.addBias(y, rows, bias);
    }

    private static void int8(PackedTernaryMatrix m, float[] x, int rows, float[] y, Parallel par) {
        int threads = par.threads();
        // TRIPLES layers of many rows run as panel products, which their threads share by output columns
        boolean panels = m.codeLayout() == PackedTernaryMatrix.CodeLayout.TRIPLES;
        if (panels || threads < 2 || rows < MIN_ROWS_PER_THREAD * threads || m.residentBytes() > MAX_SHARED_BYTES) {
            TernaryMatmul.gemm(m, x, rows, y, par);
            return;
        }
        int k = m.cols(), n = m.rows(), per = (rows + threads - 1) / threads;
        par.forRange(rows, per, (from, to) -> {
            float[] xs = java.util.Arrays.copyOfRange(x, from * k, to * k), ys = new float[(to - from) * n];
            TernaryMatmul.gemm(m, xs, to - from, ys, Parallel.serial());
            System.arraycopy(ys, 0, y, from * n, ys.length);
        });
    }
}
