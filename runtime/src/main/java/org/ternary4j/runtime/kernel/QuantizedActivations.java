package org.ternary4j.runtime.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Activations quantized to int8 per vector (scale = max|x| / 127, q = round(x / scale), like
 * llama.cpp's Q8_K for TQ2_0), stored as int16 in the padded input order of a {@link ReductionLayout},
 * with each segment's sum of q (the kernels add code+1 times q and subtract that sum once).
 * A vector with a NaN or infinity is flagged, not quantized: the caller computes it exactly.
 * Rounding is q = (int) (x·(127/max) + 128.5f) − 128 (half up, in float), the same in the
 * vector and scalar code, so results do not depend on which path handled an element.
 */
final class QuantizedActivations {
    static final float LEVELS = 127f;

    final int batch;
    final int paddedK;
    final short[] q;
    /** Telescoped q for the unmasked chunk kernels: qt_j = q_j − 4·q_{j−1} within each chunk (see IntKernels); null for base-3 layouts. */
    final short[] qt;
    /** qt with every step of 16 lanes written twice (32 lanes), for the 512-bit chunk kernel; null otherwise. */
    final short[] qt2;
    final float[] scale;
    /** Per vector and segment, Σ q (the combine of the code+1 kernels subtracts it); null where no kernel reads it ({@link #inScratch}). */
    final int[] segmentSums;
    /**
     * For the block kernel: per segment, 16 lanes of −Σ q over the segment's steps (lane i sums
     * inputs ≡ i mod 16), so accumulators that start there end at Σ code·q per lane. Null otherwise.
     */
    final short[] negLaneSums;
    final boolean[] finite;

    /** What is kept beside each vector's levels and scale, by the kernels that read it. */
    private enum Kept {
        /** The per-vector integer kernels on 256-bit vectors: telescoped levels (2-bit layouts), block sums, segment sums. */
        COPIES_AND_SUMS(true, false, true),
        /** The same with every step repeated for the 512-bit chunk kernel. */
        WIDE_COPIES_AND_SUMS(true, true, true),
        /** {@link LutGemm}'s tables: the copies without segment sums. */
        WIDE_COPIES(true, true, false),
        /** {@link QuadLutGemm}'s tables: the levels alone. */
        LEVELS(false, false, false);

        final boolean copies, repeated, sums;

        Kept(boolean copies, boolean repeated, boolean sums) {
            this.copies = copies;
            this.repeated = repeated;
            this.sums = sums;
        }
    }

    /** Room for {@code batch} vectors of the layout, levels in q (batch·paddedK values or more). */
    private QuantizedActivations(ReductionLayout layout, int batch, short[] q, Kept kept) {
        int segments = layout.segments();
        boolean telescoped = kept.copies && layout.granule() == ReductionLayout.CHUNK, blocks = kept.copies && layout.wholeChunkBlocks();
        this.batch = batch;
        this.paddedK = layout.paddedK();
        this.q = q;
        int n = Math.multiplyExact(batch, paddedK);
        this.qt = telescoped ? new short[n] : null;
        this.qt2 = telescoped && kept.repeated ? new short[2 * n] : null;
        this.scale = new float[batch];
        this.segmentSums = kept.sums ? new int[batch * segments] : null;
        this.negLaneSums = blocks ? new short[batch * segments * ReductionLayout.STEP] : null;
        this.finite = new boolean[batch];
    }

    /** Quantizes {@code batch} vectors of {@code layout.k()} values stored one after another in x, shared among par's threads by vectors. */
    static QuantizedActivations of(ReductionLayout layout, float[] x, int batch, boolean wide, Parallel par) {
        QuantizedActivations a = new QuantizedActivations(layout, batch, new short[Math.multiplyExact(batch, layout.paddedK())], wide ? Kept.WIDE_COPIES_AND_SUMS : Kept.COPIES_AND_SUMS);
        Parallel p = (long) batch * layout.k() < TernaryMatmul.SERIAL_WORK ? Parallel.serial() : par;
        p.forRange(batch, 8, (from, to) -> {
            for (int b = from; b < to; b++) a.quantize(layout, x, b);
        });
        return a;
    }

    /**
     * Room for {@code batch} vectors of the layout (wide) for the table-lookup product, each to be
     * filled by {@link #quantize}, without segment sums (its signed tables need none; they were a
     * third of quantizing a 384-input vector), the levels in the calling thread's {@link Scratch} (allocating and zeroing 400 KB of them for
     * 128 vectors of 1536 took 20–36 µs, about as long as quantizing them); valid until that thread
     * asks for the slot again.
     */
    static QuantizedActivations inScratch(ReductionLayout layout, int batch) {
        short[] q = Scratch.shorts(Scratch.Slot.LEVELS, Math.multiplyExact(batch, layout.paddedK()));
        return new QuantizedActivations(layout, batch, q, Kept.WIDE_COPIES);
    }

    /**
     * Room for {@code batch} vectors' levels and scales alone (no telescoped or repeated copies, no
     * sums), in the calling thread's {@link Scratch} as {@link #inScratch}: what {@link QuadLutGemm}
     * tabulates.
     */
    static QuantizedActivations levelsInScratch(ReductionLayout layout, int batch) {
        short[] q = Scratch.shorts(Scratch.Slot.LEVELS, Math.multiplyExact(batch, layout.paddedK()));
        return new QuantizedActivations(layout, batch, q, Kept.LEVELS);
    }

    /**
     * Vector b of x: its scale, levels, the telescoped and repeated copies some kernels read, and its
     * segment sums. Every level of the vector is written, pads and all (0 for a vector that is not
     * finite or is all zeros), so q may hold anything before.
     */
    void quantize(ReductionLayout layout, float[] x, int b) {
        quantize(layout, x, b, b);
    }

    /** Vector xb of x into this vector b (its levels, scale, copies and sums). */
    void quantize(ReductionLayout layout, float[] x, int xb, int b) {
        int k = layout.k(), segs = layout.segments(), base = b * paddedK;
        float max = maxAbs(x, xb * k, k);
        finite[b] = Float.isFinite(max);
        if (!finite[b] || max == 0f) {
            Arrays.fill(q, base, base + paddedK, (short) 0);
            return;
        }
        scale[b] = max / LEVELS;
        float inv = LEVELS / max;
        if (layout.toPadded() == null) {
            quantizeRun(x, xb * k, k, inv, q, base);
            Arrays.fill(q, base + k, base + paddedK, (short) 0);
        } else {
            Arrays.fill(q, base, base + paddedK, (short) 0);
            for (int i = 0; i < k; i++) q[base + layout.padded(i)] = (short) quantize(x[xb * k + i], inv);
        }
        if (qt != null) telescope(q, qt, base, paddedK);
        if (qt2 != null) repeatSteps(qt, base, qt2, 2 * base, paddedK);
        int[] steps = layout.segmentSteps();
        for (int s = 0; s < segs; s++) {
            if (segmentSums != null) {
                IntVector sum = IntVector.zero(I);
                for (int t = steps[s]; t < steps[s + 1]; t++) {
                    ShortVector v = ShortVector.fromArray(S16, q, base + t * ReductionLayout.STEP);
                    for (int part = 0; part < S16.length() / I.length(); part++) sum = sum.add(v.convertShape(VectorOperators.S2I, I, part));
                }
                segmentSums[b * segs + s] = sum.reduceLanes(VectorOperators.ADD);
            }
            if (negLaneSums != null) {
                ShortVector lanes = ShortVector.zero(S16);
                for (int t = steps[s]; t < steps[s + 1]; t++) lanes = lanes.sub(ShortVector.fromArray(S16, q, base + t * ReductionLayout.STEP));
                lanes.intoArray(negLaneSums, (b * segs + s) * ReductionLayout.STEP);
            }
        }
    }

    /** Every operation is per lane, so the widest vectors give the same levels as a scalar loop. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Shorts as many as F's lanes. */
    private static final VectorSpecies<Short> SF = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    /** A step's 16 shorts. */
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;

    private static void quantizeRun(float[] x, int off, int n, float inv, short[] q, int dst) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, off + i).mul(inv).add(128.5f);
            IntVector r = ((IntVector) v.convert(VectorOperators.F2I, 0)).sub(128);
            ((ShortVector) r.convertShape(VectorOperators.I2S, SF, 0)).intoArray(q, dst + i);
        }
        for (; i < n; i++) q[dst + i] = (short) quantize(x[off + i], inv);
    }

    private static void telescope(short[] q, short[] qt, int base, int n) {
        int step = ReductionLayout.STEP;
        for (int c = base; c < base + n; c += ReductionLayout.CHUNK) {
            ShortVector prev = ShortVector.fromArray(S16, q, c);
            prev.intoArray(qt, c);
            for (int p = c + step; p < c + ReductionLayout.CHUNK; p += step) {
                ShortVector cur = ShortVector.fromArray(S16, q, p);
                cur.sub(prev.lanewise(VectorOperators.LSHL, 2)).intoArray(qt, p);
                prev = cur;
            }
        }
    }

    private static void repeatSteps(short[] src, int from, short[] dst, int to, int n) {
        for (int i = 0; i < n; i += ReductionLayout.STEP) {
            ShortVector v = ShortVector.fromArray(S16, src, from + i);
            v.intoArray(dst, to + 2 * i);
            v.intoArray(dst, to + 2 * i + ReductionLayout.STEP);
        }
    }

    /** |v·inv| ≤ 127 always (inv = 127 / max|x|), so no clamp is needed. */
    private static int quantize(float v, float inv) {
        return (int) (v * inv + 128.5f) - 128;
    }

    /**
     * max |x|, or a non-finite value if x holds one. On the magnitudes' bits as ints: their order is
     * the floats' (a NaN's bits exceed infinity's), and an int max is one cheap instruction where a
     * float max with Java's NaN and −0 rules compiles to a sequence whose latency bound this loop
     * (51–58 against 6–10 µs for 128 vectors of 1536).
     */
    private static float maxAbs(float[] x, int off, int n) {
        IntVector m = IntVector.zero(I);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) m = m.max(FloatVector.fromArray(F, x, off + i).reinterpretAsInts().and(0x7fffffff));
        int r = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, Float.floatToRawIntBits(x[off + i]) & 0x7fffffff);
        return Float.intBitsToFloat(r);
    }

    /**
     * The levels q of each of {@code batch} vectors of k values in x, as floats in x's order, into
     * q, and each vector's scale into scale (both may hold anything before: a vector that is all
     * zero or not finite gets levels 0 and scale 0). Returns which vectors are finite.
     */
    static boolean[] levels(float[] x, int k, int batch, float[] q, float[] scale) {
        boolean[] finite = new boolean[batch];
        for (int b = 0; b < batch; b++) {
            float max = maxAbs(x, b * k, k);
            finite[b] = Float.isFinite(max);
            if (!finite[b] || max == 0f) {
                Arrays.fill(q, b * k, (b + 1) * k, 0f);
                scale[b] = 0f;
                continue;
            }
            scale[b] = max / LEVELS;
            float inv = LEVELS / max;
            int i = 0, off = b * k;
            for (int bound = F.loopBound(k); i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, off + i).mul(inv).add(128.5f);
                ((FloatVector) ((IntVector) v.convert(VectorOperators.F2I, 0)).sub(128).convert(VectorOperators.I2F, 0)).intoArray(q, off + i);
            }
            for (; i < k; i++) q[off + i] = quantize(x[off + i], inv);
        }
        return finite;
    }

    /**
     * What the integer kernels see: each vector replaced by q·scale (same layout as x). Tests use
     * it as the input of a scalar reference, so the kernels are checked exactly on their own input.
     */
    static float[] roundTrip(float[] x, int k, int batch) {
        float[] out = new float[batch * k], scale = new float[batch];
        boolean[] finite = levels(x, k, batch, out, scale);
        for (int b = 0; b < batch; b++) {
            if (!finite[b]) System.arraycopy(x, b * k, out, b * k, k);
            else for (int i = b * k; i < (b + 1) * k; i++) out[i] *= scale[b];
        }
        return out;
    }
}
