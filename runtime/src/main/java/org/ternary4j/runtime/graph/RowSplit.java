package org.ternary4j.runtime.graph;

import org.ternary4j.runtime.kernel.PackedTernaryMatrix;
import org.ternary4j.runtime.kernel.PanelGemm;
import org.ternary4j.runtime.kernel.Parallel;
import org.ternary4j.runtime.kernel.Scratch;
import org.ternary4j.runtime.kernel.TernaryMatmul;

/**
 * y = x · Wᵀ for the activation rows of a ternary layer (a transformer's tokens, a batch of
 * images). The int8 path of a TRIPLES layer with enough activation rows splits them among the
 * threads, each computing whole rows of y from its own quantized rows and lookup tables, one part per
 * thread so that a row stays on the core that wrote it ({@link Parallel#forEachPart}): split by
 * weight rows, a layer of 384 outputs ran on one thread however many tokens it had, and tables
 * shared by two threads were read across cores at a few GB/s. Every activation row's int8 result
 * depends on that row alone (integer sums, then one float combine), so the split changes no bit.
 * Other layouts share decoded panels among the threads inside {@link TernaryMatmul#gemm}, and the
 * exact path splits in {@link TernaryMatmul#gemmExact}.
 */
final class RowSplit {
    private RowSplit() {}

    /** Activation rows per thread below which splitting them does not pay: the table product shares each table load among eight vectors. */
    static final int MIN_TABLE_ROWS_PER_THREAD = 32;

    /**
     * Packed bytes up to which every thread may read the whole matrix: it then stays in the
     * shared cache, where a large matrix streamed from memory by each thread would double the traffic.
     */
    static final long MAX_SHARED_BYTES = 1 << 20;

    /** y = x · Wᵀ + bias (null: none; the exact path adds it per panel, the shared-table int8 product per tile, the other int8 paths per row). */
    static void gemm(PackedTernaryMatrix m, float[] x, int rows, float[] y, float[] bias, boolean exact, Parallel par) {
        gemmShared(new PackedTernaryMatrix[] {m}, x, rows, new float[][] {y}, new float[][] {bias}, exact, par);
    }

    /**
     * Several layers reading the same x (a transformer layer's query, key and value projections),
     * each y[i] = x · W[i]ᵀ + biases[i] (null: none), with the bits of one {@link #gemm} each. On
     * the int8 path of TRIPLES layers of one input layout ({@link TernaryMatmul#sharesTables})
     * each thread quantizes its rows of x and builds their tables once for all the layers, in one
     * hand-over; otherwise one product after the other.
     */
    static void gemmShared(PackedTernaryMatrix[] ms, float[] x, int rows, float[][] ys, float[][] biases, boolean exact, Parallel par) {
        int threads = par.threads();
        if (exact || !TernaryMatmul.sharesTables(ms, rows)) {
            for (int i = 0; i < ms.length; i++) alone(ms[i], x, rows, ys[i], biases[i], exact, par);
            return;
        }
        long bytes = 0;
        for (PackedTernaryMatrix m : ms) bytes = Math.max(bytes, m.residentBytes());
        if (threads < 2 || rows < MIN_TABLE_ROWS_PER_THREAD * threads || bytes > MAX_SHARED_BYTES) {
            TernaryMatmul.gemmShared(ms, x, rows, ys, biases, 0, par);
            return;
        }
        int k = ms[0].cols();
        par.forEachPart(rows, 4, (from, to) -> {
            // this thread's rows of x in its own reused array (a fresh copy per layer and thread was most of the 23 MB a MiniLM
            // run allocated); its rows of each y written in place, each tile with its bias while in L1
            float[] xs = Scratch.floats(Scratch.Slot.ROWS_IN, (to - from) * k);
            System.arraycopy(x, from * k, xs, 0, (to - from) * k);
            TernaryMatmul.gemmShared(ms, xs, to - from, ys, biases, from, Parallel.serial());
        });
    }

    /** One product by kernels that share nothing across matrices: the exact path, or int8 with the threads splitting the weights. */
    private static void alone(PackedTernaryMatrix m, float[] x, int rows, float[] y, float[] bias, boolean exact, Parallel par) {
        if (exact) {
            TernaryMatmul.gemmExact(m, x, rows, y, bias, par);
            return;
        }
        TernaryMatmul.gemm(m, x, rows, y, par);
        PanelGemm.addBias(y, rows, bias);
    }
}
