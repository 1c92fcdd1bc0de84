package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float GEMM kernel for many activation rows: y[b, j] = Σ_q a[b, q]·panel[q, j] for a panel of
 * {@link #NR} output columns stored [k][NR] (two vectors per input). Twelve activation rows at a
 * time: per input, two panel loads, twelve broadcasts and 24 FMAs into 24 accumulators (then six
 * and four rows for what is left); six at a time where vectors are 256 bits, whose machines have
 * 16 vector registers (24 sums spilled there: MiniLM's products ran at 15–20 GMAC/s on one core of
 * a Zen 3, 36 with blocks of six), with no horizontal sums (the dot-product form spent more time adding lanes than multiplying at
 * k = 384). Each output is one FMA chain over q = 0, 1, …, so its bits depend neither on the
 * blocking nor on the thread count. Inputs past {@code k} are not read: callers whose rows carry
 * zero pads pass the unpadded length.
 */
public final class PanelGemm {
    private PanelGemm() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Output columns per panel: two vectors. */
    public static final int NR = 2 * L;

    /** Where a product reads its activation rows (row b at aOff + b·lda) and writes its outputs (row b at yOff + b·ldy). */
    public record Rows(float[] a, int aOff, int lda, float[] y, int yOff, int ldy) {
        public Rows(float[] a, int lda, float[] y, int ldy) {
            this(a, 0, lda, y, 0, ldy);
        }

        /** The same rows from row {@code first} on. */
        public Rows from(int first) {
            return new Rows(a, aOff + first * lda, lda, y, yOff + first * ldy, ldy);
        }
    }

    /** Output columns [from, to) (whole panels but the last) of activation rows [0, count) of {@code io}. */
    @FunctionalInterface
    public interface Sweep {
        void run(Rows io, int count, int from, int to);
    }

    /** Activation rows per thread from which {@link #share} gives each thread its own rows. */
    public static final int ROWS_PER_THREAD = 32;

    /**
     * Runs {@code sweep} over the n output columns of {@code count} activation rows. With
     * {@code byRows} and {@link #ROWS_PER_THREAD} rows per thread, each thread sweeps its own part
     * of the rows over every column, the same part from step to step, so it reads the rows the
     * step before wrote on its core ({@link Parallel#forEachPart}); otherwise the threads share
     * the columns' panels. Each output is the same FMA chain either way.
     */
    public static void share(Parallel par, Rows io, int count, int n, boolean byRows, Sweep sweep) {
        if (byRows && count >= ROWS_PER_THREAD * par.threads()) par.forEachPart(count, 4, (from, to) -> sweep.run(io.from(from), to - from, 0, n));
        else par.forRange(n, NR, (from, to) -> sweep.run(io, count, from, to));
    }

    /**
     * Activation rows [0, count) of {@code r} (their first k values) times the panel at
     * {@code p0}, into column y0 + j of each output row for the panel's first {@code cols} columns.
     */
    public static void multiply(Rows r, int count, int k, float[] panel, int p0, int y0, int cols) {
        multiply(r, count, k, new Panel(panel, p0, NR), y0, cols);
    }

    /**
     * A panel's place: input q's NR values at data[p0 + q·ldp …]. ldp = NR for packed panels; a
     * 1×1 convolution reads its input planes in place (ldp = pixels), all NR values of each row
     * inside the array.
     */
    public record Panel(float[] data, int p0, int ldp) {}

    public static void multiply(Rows r, int count, int k, Panel panel, int y0, int cols) {
        if (cols < NR) {
            partial(r, count, k, panel, y0, cols);
            return;
        }
        float[] p = panel.data();
        int p0 = panel.p0(), ldp = panel.ldp();
        int b = 0;
        if (VectorWidth.WIDE) for (; b + 12 <= count; b += 12) block12(r, b, k, p, p0, ldp, y0);
        for (; b + 6 <= count; b += 6) block6(r, b, k, p, p0, ldp, y0);
        for (; b + 4 <= count; b += 4) block4(r, b, k, p, p0, ldp, y0);
        for (; b + 2 <= count; b += 2) block2(r, b, k, p, p0, ldp, y0);
        if (b < count) block1(r, b, k, p, p0, ldp, y0);
    }

    /**
     * A panel of fewer than {@link #NR} output columns: the blocks write whole rows of this
     * thread's scratch and each row's first {@code cols} values are copied out, so no block ever
     * stores through a mask. Blocks that had masked stores for these panels were compiled again
     * once a model first gave them one, and the recompiled six-row block ran at half its speed
     * (a 240 → 240 1×1 conv of PP-OCRv4's recogniser: 41 GMAC/s before the model's first run,
     * 18 after it, on a 256-bit machine whose 16 registers the loop already filled).
     */
    private static void partial(Rows r, int count, int k, Panel panel, int y0, int cols) {
        float[] t = Scratch.floats(Scratch.Slot.PARTIAL_PANEL, Math.multiplyExact(count, NR));
        multiply(new Rows(r.a(), r.aOff(), r.lda(), t, 0, NR), count, k, panel, 0, NR);
        float[] y = r.y();
        for (int b = 0, o = r.yOff() + y0; b < count; b++, o += r.ldy()) System.arraycopy(t, b * NR, y, o, cols);
    }

    /**
     * y[o, j] = Σ_q a[o, q]·x[xOff + q·hw + j] for the {@code count} rows of {@code weights}, outputs
     * at their y rows, j below hw: k planes of hw pixels as panels (pixels along the lanes), blocks
     * of {@link #NR} pixels shared among threads. A 1×1 convolution's product, or any whose
     * right-hand side is planes of pixels.
     */
    public static void overPlanes(Rows weights, int count, float[] x, int xOff, int k, int hw, Parallel par) {
        int blocks = (hw + NR - 1) / NR;
        par.forRange(blocks, 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int j0 = b * NR, cols = Math.min(NR, hw - j0);
                multiply(weights, count, k, packed(x, xOff + j0, hw, k, cols), j0, cols);
            }
        });
    }

    /**
     * The panel of {@code cols} pixels from x[at …] in k planes ld apart, copied side by side into
     * this thread's scratch (zeros past cols). Every block of rows sweeps it: read in place, its k
     * rows lay ld floats apart, and at PP-OCRv4's recogniser's 960-pixel planes (3840 bytes) they
     * fell on 16 of a 32 KiB L1's 64 sets, so each block re-read them from L2 (its 1×1 convs ran at
     * 16 GMAC/s on a 256-bit machine, against 36 for packed panels).
     */
    static Panel packed(float[] x, int at, int ld, int k, int cols) {
        float[] p = Scratch.floats(Scratch.Slot.PLANE_PANEL, k * NR);
        for (int q = 0; q < k; q++) {
            System.arraycopy(x, at + q * ld, p, q * NR, cols);
            if (cols < NR) java.util.Arrays.fill(p, q * NR + cols, (q + 1) * NR, 0f);
        }
        return new Panel(p, 0, NR);
    }

    /**
     * y[b, y0 + j] += bias[y0 + j] for the first {@code cols} columns of output rows [0, count) of
     * {@code r}: the Add after a MatMul, applied to a panel's outputs while they are in this core's
     * cache (the same float sums as the Add node; bias null: nothing).
     */
    public static void addBias(Rows r, int count, float[] bias, int y0, int cols) {
        if (bias == null) return;
        float[] y = r.y();
        VectorMask<Float> lo = F.indexInRange(0, cols), hi = F.indexInRange(L, cols);
        FloatVector b0 = FloatVector.fromArray(F, bias, y0, lo), b1 = FloatVector.fromArray(F, bias, y0 + L, hi);
        for (int b = 0, o = r.yOff() + y0; b < count; b++, o += r.ldy()) {
            FloatVector.fromArray(F, y, o, lo).add(b0).intoArray(y, o, lo);
            FloatVector.fromArray(F, y, o + L, hi).add(b1).intoArray(y, o + L, hi);
        }
    }

    /**
     * y[at + j] = (0 + s·y[at + j])·pixelScale[p0 + j] for j below cols (without pixelScale:
     * 0 + s·y), a vector at a time for a whole panel: the finish of a panel's outputs that scales
     * integer or ±1 sums, as the pixel kernel computes it. A scalar loop here went unvectorized and
     * took 5 % of PP-OCRv4's detector on the int8 path.
     */
    public static void scaleOutputs(float[] y, int at, int cols, float s, float[] pixelScale, int p0) {
        int j = 0;
        if (cols == NR) {
            FloatVector z = FloatVector.zero(F);
            for (; j < NR; j += L) {
                FloatVector v = z.add(FloatVector.fromArray(F, y, at + j).mul(s));
                if (pixelScale != null) v = v.mul(FloatVector.fromArray(F, pixelScale, p0 + j));
                v.intoArray(y, at + j);
            }
        }
        for (; j < cols; j++) y[at + j] = pixelScale == null ? 0f + s * y[at + j] : (0f + s * y[at + j]) * pixelScale[p0 + j];
    }

    /**
     * y[b, j] += bias[j] for rows [0, rows) of y [rows, bias.length] (bias null: nothing), row by
     * row: one pass in memory order (by column strips it strode across the rows, and it took 3 %
     * of a MiniLM run).
     */
    public static void addBias(float[] y, int rows, float[] bias) {
        addBias(y, 0, rows, bias);
    }

    /** {@link #addBias(float[], int, float[])} for the rows [rows, bias.length] that start at y[yOff]. */
    public static void addBias(float[] y, int yOff, int rows, float[] bias) {
        if (bias == null) return;
        int n = bias.length, bound = F.loopBound(n);
        for (int b = 0, o = yOff; b < rows; b++, o += n) {
            int j = 0;
            for (; j < bound; j += L) FloatVector.fromArray(F, y, o + j).add(FloatVector.fromArray(F, bias, j)).intoArray(y, o + j);
            for (; j < n; j++) y[o + j] += bias[j];
        }
    }

    /** Two rows: four FMA chains in flight, where one row at a time waits on two (128 rows end in 12·10 + 6 + 2). */
    private static void block2(Rows r, int b, int k, float[] p, int p0, int ldp, int y0) {
        float[] a = r.a();
        int a0 = r.aOff() + b * r.lda(), a1 = a0 + r.lda();
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00;
        for (int q = 0, o = p0; q < k; q++, o += ldp) {
            FloatVector w0 = FloatVector.fromArray(F, p, o), w1 = FloatVector.fromArray(F, p, o + L);
            FloatVector x = FloatVector.broadcast(F, a[a0 + q]);
            c00 = w0.fma(x, c00);
            c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(F, a[a1 + q]);
            c10 = w0.fma(x, c10);
            c11 = w1.fma(x, c11);
        }
        float[] y = r.y();
        int o = r.yOff() + b * r.ldy() + y0;
        c00.intoArray(y, o);
        c01.intoArray(y, o + L);
        c10.intoArray(y, o + r.ldy());
        c11.intoArray(y, o + r.ldy() + L);
    }

    /**
     * Twelve rows of a full panel: 24 accumulators, two panel loads and twelve broadcasts per 24
     * FMAs (block6 spends 8 loads per 12). Unmasked stores: with 24 masked ones C2 ran out of
     * inlining budget, left vector calls out of line and the kernel ran boxed, hundreds of times slower.
     */
    private static void block12(Rows r, int b, int k, float[] p, int p0, int ldp, int y0) {
        float[] a = r.a();
        int ld = r.lda(), a0 = r.aOff() + b * ld, a6 = a0 + 6 * ld;
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        FloatVector c60 = z, c61 = z, c70 = z, c71 = z, c80 = z, c81 = z, c90 = z, c91 = z, ca0 = z, ca1 = z, cb0 = z, cb1 = z;
        for (int q = 0, o = p0; q < k; q++, o += ldp) {
            FloatVector w0 = FloatVector.fromArray(F, p, o), w1 = FloatVector.fromArray(F, p, o + L);
            FloatVector x = FloatVector.broadcast(F, a[a0 + q]);
            c00 = w0.fma(x, c00);
            c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(F, a[a0 + ld + q]);
            c10 = w0.fma(x, c10);
            c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(F, a[a0 + 2 * ld + q]);
            c20 = w0.fma(x, c20);
            c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(F, a[a0 + 3 * ld + q]);
            c30 = w0.fma(x, c30);
            c31 = w1.fma(x, c31);
            x = FloatVector.broadcast(F, a[a0 + 4 * ld + q]);
            c40 = w0.fma(x, c40);
            c41 = w1.fma(x, c41);
            x = FloatVector.broadcast(F, a[a0 + 5 * ld + q]);
            c50 = w0.fma(x, c50);
            c51 = w1.fma(x, c51);
            x = FloatVector.broadcast(F, a[a6 + q]);
            c60 = w0.fma(x, c60);
            c61 = w1.fma(x, c61);
            x = FloatVector.broadcast(F, a[a6 + ld + q]);
            c70 = w0.fma(x, c70);
            c71 = w1.fma(x, c71);
            x = FloatVector.broadcast(F, a[a6 + 2 * ld + q]);
            c80 = w0.fma(x, c80);
            c81 = w1.fma(x, c81);
            x = FloatVector.broadcast(F, a[a6 + 3 * ld + q]);
            c90 = w0.fma(x, c90);
            c91 = w1.fma(x, c91);
            x = FloatVector.broadcast(F, a[a6 + 4 * ld + q]);
            ca0 = w0.fma(x, ca0);
            ca1 = w1.fma(x, ca1);
            x = FloatVector.broadcast(F, a[a6 + 5 * ld + q]);
            cb0 = w0.fma(x, cb0);
            cb1 = w1.fma(x, cb1);
        }
        float[] y = r.y();
        int ly = r.ldy(), o = r.yOff() + b * ly + y0;
        c00.intoArray(y, o);
        c01.intoArray(y, o + L);
        c10.intoArray(y, o += ly);
        c11.intoArray(y, o + L);
        c20.intoArray(y, o += ly);
        c21.intoArray(y, o + L);
        c30.intoArray(y, o += ly);
        c31.intoArray(y, o + L);
        c40.intoArray(y, o += ly);
        c41.intoArray(y, o + L);
        c50.intoArray(y, o += ly);
        c51.intoArray(y, o + L);
        c60.intoArray(y, o += ly);
        c61.intoArray(y, o + L);
        c70.intoArray(y, o += ly);
        c71.intoArray(y, o + L);
        c80.intoArray(y, o += ly);
        c81.intoArray(y, o + L);
        c90.intoArray(y, o += ly);
        c91.intoArray(y, o + L);
        ca0.intoArray(y, o += ly);
        ca1.intoArray(y, o + L);
        cb0.intoArray(y, o += ly);
        cb1.intoArray(y, o + L);
    }

    private static void block4(Rows r, int b, int k, float[] p, int p0, int ldp, int y0) {
        float[] a = r.a();
        int a0 = r.aOff() + b * r.lda(), a1 = a0 + r.lda(), a2 = a1 + r.lda(), a3 = a2 + r.lda();
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int q = 0, o = p0; q < k; q++, o += ldp) {
            FloatVector w0 = FloatVector.fromArray(F, p, o), w1 = FloatVector.fromArray(F, p, o + L);
            FloatVector x = FloatVector.broadcast(F, a[a0 + q]);
            c00 = w0.fma(x, c00);
            c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(F, a[a1 + q]);
            c10 = w0.fma(x, c10);
            c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(F, a[a2 + q]);
            c20 = w0.fma(x, c20);
            c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(F, a[a3 + q]);
            c30 = w0.fma(x, c30);
            c31 = w1.fma(x, c31);
        }
        float[] y = r.y();
        int ld = r.ldy(), o = r.yOff() + b * ld + y0;
        c00.intoArray(y, o);
        c01.intoArray(y, o + L);
        c10.intoArray(y, o + ld);
        c11.intoArray(y, o + ld + L);
        c20.intoArray(y, o + 2 * ld);
        c21.intoArray(y, o + 2 * ld + L);
        c30.intoArray(y, o + 3 * ld);
        c31.intoArray(y, o + 3 * ld + L);
    }

    private static void block6(Rows r, int b, int k, float[] p, int p0, int ldp, int y0) {
        float[] a = r.a();
        int ld = r.lda(), a0 = r.aOff() + b * ld;
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int q = 0, o = p0; q < k; q++, o += ldp) {
            FloatVector w0 = FloatVector.fromArray(F, p, o), w1 = FloatVector.fromArray(F, p, o + L);
            FloatVector x = FloatVector.broadcast(F, a[a0 + q]);
            c00 = w0.fma(x, c00);
            c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(F, a[a0 + ld + q]);
            c10 = w0.fma(x, c10);
            c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(F, a[a0 + 2 * ld + q]);
            c20 = w0.fma(x, c20);
            c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(F, a[a0 + 3 * ld + q]);
            c30 = w0.fma(x, c30);
            c31 = w1.fma(x, c31);
            x = FloatVector.broadcast(F, a[a0 + 4 * ld + q]);
            c40 = w0.fma(x, c40);
            c41 = w1.fma(x, c41);
            x = FloatVector.broadcast(F, a[a0 + 5 * ld + q]);
            c50 = w0.fma(x, c50);
            c51 = w1.fma(x, c51);
        }
        float[] y = r.y();
        int ly = r.ldy(), o = r.yOff() + b * ly + y0;
        c00.intoArray(y, o);
        c01.intoArray(y, o + L);
        c10.intoArray(y, o + ly);
        c11.intoArray(y, o + ly + L);
        c20.intoArray(y, o + 2 * ly);
        c21.intoArray(y, o + 2 * ly + L);
        c30.intoArray(y, o + 3 * ly);
        c31.intoArray(y, o + 3 * ly + L);
        c40.intoArray(y, o + 4 * ly);
        c41.intoArray(y, o + 4 * ly + L);
        c50.intoArray(y, o + 5 * ly);
        c51.intoArray(y, o + 5 * ly + L);
    }

    private static void block1(Rows r, int b, int k, float[] p, int p0, int ldp, int y0) {
        float[] a = r.a();
        int a0 = r.aOff() + b * r.lda();
        FloatVector c0 = FloatVector.zero(F), c1 = c0;
        for (int q = 0, o = p0; q < k; q++, o += ldp) {
            FloatVector x = FloatVector.broadcast(F, a[a0 + q]);
            c0 = FloatVector.fromArray(F, p, o).fma(x, c0);
            c1 = FloatVector.fromArray(F, p, o + L).fma(x, c1);
        }
        int o = r.yOff() + b * r.ldy() + y0;
        c0.intoArray(r.y(), o);
        c1.intoArray(r.y(), o + L);
    }

    /** Panels of a [k, n] row-major matrix (ONNX MatMul's B): panel t holds columns [t·NR, t·NR + NR), zero past n. */
    public static float[] pack(float[] b, int k, int n) {
        float[] p = new float[Math.multiplyExact(panels(n), Math.multiplyExact(k, NR))];
        pack(b, 0, k, n, p);
        return p;
    }

    /** As above from b[bOff…] into p (at least {@link #panels}(n)·k·NR values; the zero columns are written too). */
    public static void pack(float[] b, int bOff, int k, int n, float[] p) {
        for (int t = 0; t < panels(n); t++) {
            int cols = Math.min(NR, n - t * NR);
            for (int q = 0; q < k; q++) {
                int o = (t * k + q) * NR;
                System.arraycopy(b, bOff + q * n + t * NR, p, o, cols);
                if (cols < NR) java.util.Arrays.fill(p, o + cols, o + NR, 0f);
            }
        }
    }

    public static int panels(int n) {
        return (n + NR - 1) / NR;
    }
}
