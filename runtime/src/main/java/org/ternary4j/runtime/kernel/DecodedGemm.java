package org.ternary4j.runtime.kernel;

/**
 * The exact ternary GEMM for many activation vectors (a transformer's batch × sequence rows, a
 * conv's pixels): a panel of {@link PanelGemm#NR} weight rows is decoded once into floats (±scale
 * of its segment, 0), stored input-major, then every activation vector is swept over it by
 * {@link PanelGemm}. Decoding costs one pass over the panel's codes, shared by all rows of the
 * batch, where the per-vector kernels re-read (and for TRIPLES re-build tables from) the codes
 * for every vector. Finite activations only (a zero code times an infinity would be NaN, where
 * the reference skips it). Work splits by panels, and each output is one FMA chain in input
 * order, so results do not depend on the thread count.
 */
final class DecodedGemm {
    private DecodedGemm() {}

    /** Activation vectors from which decoding a tile pays for itself. */
    static final int MIN_BATCH = 8;

    private static final int NR = PanelGemm.NR;

    /** y[b, r] = Σ_p w[r, p]·xp[b, p] over the padded inputs; xp is [batch, paddedK]. */
    static void run(PackedTernaryMatrix m, float[] xp, int batch, float[] y, Parallel par) {
        ReductionLayout l = m.layout();
        int kp = l.paddedK(), rows = m.rows();
        // one segment in identity order: every pad is past the last input, and skipping them changes no sum
        int k = l.toPadded() == null && l.segments() == 1 ? l.k() : kp;
        Parallel p = (long) batch * rows * kp < TernaryMatmul.SERIAL_WORK ? Parallel.serial() : par;
        PanelGemm.Rows io = new PanelGemm.Rows(xp, kp, y, rows);
        p.forRange(rows, NR, (from, to) -> {
            float[] w = new float[NR * kp], panel = new float[k * NR];
            short[] u = new short[ReductionLayout.STEP];
            for (int r0 = from; r0 < to; r0 += NR) {
                int nr = Math.min(NR, to - r0);
                for (int r = 0; r < nr; r++) decode(m, r0 + r, w, r * kp, u);
                for (int r = 0; r < nr; r++) for (int q = 0; q < k; q++) panel[q * NR + r] = w[r * kp + q];
                for (int r = nr; r < NR; r++) for (int q = 0; q < k; q++) panel[q * NR + r] = 0f;
                PanelGemm.multiply(io, batch, k, panel, 0, r0, nr);
            }
        });
    }

    /** Row r's padded weights as floats: +scale, −scale (the negative scale for two-scale groups) or 0. */
    private static void decode(PackedTernaryMatrix m, int row, float[] w, int off, short[] u) {
        ReductionLayout l = m.layout();
        int segs = l.segments();
        int[] steps = l.segmentSteps();
        float[] sp = m.scalePos(), sn = m.twoScales() ? m.scaleNeg() : sp;
        java.util.Arrays.fill(w, off, off + l.paddedK(), 0f);
        if (m instanceof TriplesMatrix t) {
            t.decodeRow(row, sp[row], -sn[row], w, off);
            return;
        }
        for (int s = 0; s < segs; s++) {
            float pos = sp[row * segs + s], neg = -sn[row * segs + s];
            for (int step = steps[s]; step < steps[s + 1]; step++) {
                m.stepCodes(row, step).intoArray(u, 0);
                int o = off + step * ReductionLayout.STEP;
                for (int i = 0; i < u.length; i++) w[o + i] = u[i] == 2 ? pos : u[i] == 0 ? neg : 0f;
            }
        }
    }
}
