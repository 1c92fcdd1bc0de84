package org.ternary4j.core.projection;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exact projection's passes over a whole group, a vector of floats at a time. C2 does not
 * vectorize these loops on its own (a maximum of bits, a narrowing store of codes, a compress of
 * indices), and on rows of 4096 they cost more than the search itself. Each has a scalar twin;
 * both give the same values.
 *
 * <p>The vector forms are used only once this JVM has projected {@link #VECTOR_AFTER} weights
 * with the scalar ones, and only where the Vector API module is there (ternary4j's launcher and
 * tests add it; an embedding JVM may not). Until C2 has compiled them, Vector API calls run as
 * plain Java objects: measured under load, the first 16 M weights then cost 3 CPU-seconds
 * instead of 0.9, and at about 1.4× the scalar forms' speed on rows of 4096 that is paid back
 * only after about a billion weights. So a short job never pays it and a long one (a
 * multi-gigabyte checkpoint) gets the speed, from its start when it says its size ({@link #expect}).
 */
public final class GroupPasses {
    private GroupPasses() {}

    private static final boolean VECTOR_MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /** Weights projected with the scalar forms before the vector forms take over. */
    public static final long VECTOR_AFTER = 1L << 30;
    /** Weights seen so far; threads update it without synchronization (a lost update only delays the switch). */
    private static long seen;
    private static boolean vectors;

    /** Whether the vector forms are in use now. */
    public static boolean vectorsInUse() {
        return vectors;
    }

    /** Counts n more weights towards the switch; true when the vector forms should do them. */
    private static boolean useVectors(int n) {
        if (vectors || !VECTOR_MODULE) return vectors;
        seen += n;
        if (seen >= VECTOR_AFTER) vectors = true;
        return false;
    }

    /**
     * Told that this JVM is about to project {@code weights} weights: a job that will cross
     * {@link #VECTOR_AFTER} anyway pays the vector forms' warm-up either way, so it switches now
     * rather than after its first {@link #VECTOR_AFTER} weights at the scalar forms' speed.
     */
    public static void expect(long weights) {
        if (VECTOR_MODULE && weights >= VECTOR_AFTER) vectors = true;
    }

    /** The largest of some magnitudes, and a lower bound of their sum. */
    record Summary(float max, double sumAtLeast) {}

    /** Switches the vector forms on or off now (tests compare both). */
    static void useVectorsNow(boolean on) {
        vectors = on && VECTOR_MODULE;
    }

    /** Whether w[0…n−1] are all finite. */
    public static boolean allFinite(float[] w, int n) {
        return vectors ? Vectors.maxBitsWithoutSign(w, n) < 0x7f800000 : scalarAllFinite(w, n);
    }

    static boolean scalarAllFinite(float[] w, int n) {
        for (int i = 0; i < n; i++) if ((Float.floatToRawIntBits(w[i]) & 0x7f800000) == 0x7f800000) return false;
        return true;
    }

    /** mags[i] = |w[i]|, and their summary; w must be finite. */
    static Summary magnitudes(float[] w, int n, float[] mags) {
        if (useVectors(n)) return Vectors.magnitudes(w, n, mags);
        for (int i = 0; i < n; i++) mags[i] = Math.abs(w[i]);
        return scalarSummary(mags, n);
    }

    /** The summary of magnitudes x ≥ 0 (finite). */
    static Summary summarize(float[] x, int n) {
        return useVectors(n) ? Vectors.magnitudes(x, n, null) : scalarSummary(x, n);
    }

    /** Four partial sums (one chain would wait on each add) and a maximum by branch (rarely taken; Math.max on ints compiled to a slower loop). */
    static Summary scalarSummary(float[] x, int n) {
        int max = 0;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            int b0 = Float.floatToRawIntBits(x[i]), b1 = Float.floatToRawIntBits(x[i + 1]);
            int b2 = Float.floatToRawIntBits(x[i + 2]), b3 = Float.floatToRawIntBits(x[i + 3]);
            int b = Math.max(Math.max(b0, b1), Math.max(b2, b3));
            if (b > max) max = b;
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
        }
        for (; i < n; i++) {
            max = Math.max(max, Float.floatToRawIntBits(x[i]));
            s0 += x[i];
        }
        // A double sum of n terms in any order is within n·2^-53 of the exact one (relative).
        return new Summary(Float.intBitsToFloat(max), ((s0 + s1) + (s2 + s3)) * (1 - n * 0x1p-52));
    }

    /**
     * Writes into {@code out} the indices i whose magnitude bits lie in [lo, lo + span), in
     * increasing order, and returns how many, k; {@code out} needs room for k plus one vector (at
     * most n).
     */
    static int indicesInRange(float[] x, int n, int lo, int span, int[] out) {
        return vectors ? Vectors.indicesInRange(x, n, lo, span, out) : scalarIndicesInRange(x, n, lo, span, out);
    }

    static int scalarIndicesInRange(float[] x, int n, int lo, int span, int[] out) {
        int k = 0;
        for (int i = 0; i < n; i++) {
            out[k] = i;
            int d = Float.floatToRawIntBits(x[i]) - lo;
            k += d >= 0 & d < span ? 1 : 0; // branch-free: which elements are in range is random to the predictor
        }
        return k;
    }

    /**
     * Writes into {@code out} the bits of the magnitudes x[i] (x ≥ 0) whose bits are at least
     * {@code lo}, in index order, and returns how many; {@code out} needs room for that many plus
     * one vector (at most n). Vector form only: callers keep their own scalar loop.
     */
    static int bitsAtLeast(float[] x, int n, int lo, int[] out) {
        return Vectors.bitsAtLeast(x, n, lo, out);
    }

    /** codes[i] = sign(w[i]) where |w[i]|'s bits exceed thr, 0 elsewhere. */
    static void signsAbove(float[] w, int n, int thr, byte[] codes) {
        scalarSignsAbove(w, vectors ? Vectors.signsAbove(w, n, thr, codes) : 0, n, thr, codes);
    }

    /** signsAbove for w[from…n−1]. */
    static void scalarSignsAbove(float[] w, int from, int n, int thr, byte[] codes) {
        for (int i = from; i < n; i++) {
            int bits = Float.floatToRawIntBits(w[i]);
            int keepMask = (thr - (bits & 0x7fffffff)) >> 31; // −1 when |w| is above the cut
            codes[i] = (byte) (((bits >> 31) | 1) & keepMask);
        }
    }

    /** The vector forms; only loaded once in use, so never without the module. */
    static final class Vectors {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
        /** Bytes, one per float lane (16 lanes of 512-bit floats narrow to 128 bits of bytes). */
        private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));

        static int maxBitsWithoutSign(float[] w, int n) {
            IntVector acc = IntVector.zero(I);
            int i = 0;
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                acc = acc.max(FloatVector.fromArray(F, w, i).reinterpretAsInts().and(0x7fffffff));
            }
            int m = acc.reduceLanes(VectorOperators.MAX);
            for (; i < n; i++) m = Math.max(m, Float.floatToRawIntBits(w[i]) & 0x7fffffff);
            return m;
        }

        /** |w| into mags (when not null), the maximum, and a lower bound of the sum. */
        static Summary magnitudes(float[] w, int n, float[] mags) {
            FloatVector max = FloatVector.zero(F), sum = FloatVector.zero(F);
            int i = 0;
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                FloatVector a = FloatVector.fromArray(F, w, i).abs();
                if (mags != null) a.intoArray(mags, i);
                max = max.max(a);
                sum = sum.add(a);
            }
            float m = max.reduceLanes(VectorOperators.MAX);
            double s = sum.reduceLanes(VectorOperators.ADD);
            for (; i < n; i++) {
                float a = Math.abs(w[i]);
                if (mags != null) mags[i] = a;
                m = Math.max(m, a);
                s += a;
            }
            // Each lane added about n/lanes floats and the lanes were added once more: a relative
            // error of at most (n/lanes + lanes + 1)·2^-24; twice that is taken off.
            double loss = (n / F.length() + F.length() + 1) * 0x1p-23;
            return new Summary(m, loss < 1 ? s * (1 - loss) : 0);
        }

        static int indicesInRange(float[] x, int n, int lo, int span, int[] out) {
            IntVector index = IntVector.zero(I).addIndex(1);
            IntVector step = IntVector.broadcast(I, I.length());
            int k = 0, i = 0;
            for (int bound = I.loopBound(n); i < bound; i += I.length()) {
                // bits − lo < span as unsigned: one compare for both ends of the range.
                IntVector d = FloatVector.fromArray(F, x, i).reinterpretAsInts().sub(lo);
                VectorMask<Integer> in = d.compare(VectorOperators.ULT, span);
                if (in.anyTrue()) {
                    index.compress(in).intoArray(out, k);
                    k += in.trueCount();
                }
                index = index.add(step);
            }
            for (; i < n; i++) {
                out[k] = i;
                int d = Float.floatToRawIntBits(x[i]) - lo;
                k += d >= 0 & d < span ? 1 : 0;
            }
            return k;
        }

        static int bitsAtLeast(float[] x, int n, int lo, int[] out) {
            int k = 0, i = 0;
            for (int bound = I.loopBound(n); i < bound; i += I.length()) {
                IntVector bits = FloatVector.fromArray(F, x, i).reinterpretAsInts();
                VectorMask<Integer> keep = bits.compare(VectorOperators.GE, lo);
                bits.compress(keep).intoArray(out, k);
                k += keep.trueCount();
            }
            for (; i < n; i++) {
                int bits = Float.floatToRawIntBits(x[i]);
                out[k] = bits;
                k += bits >= lo ? 1 : 0;
            }
            return k;
        }

        /** The vector part of signsAbove; returns where the scalar tail starts. */
        static int signsAbove(float[] w, int n, int thr, byte[] codes) {
            int i = 0;
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                IntVector bits = FloatVector.fromArray(F, w, i).reinterpretAsInts();
                VectorMask<Integer> keep = bits.and(0x7fffffff).compare(VectorOperators.GT, thr);
                IntVector code = bits.lanewise(VectorOperators.ASHR, 31).or(1);
                IntVector kept = IntVector.zero(I).blend(code, keep);
                kept.convertShape(VectorOperators.I2B, B, 0).reinterpretAsBytes().intoArray(codes, i);
            }
            return i;
        }
    }
}
