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
 * indices), and on rows of 4096 they cost more than the search itself. Each has a scalar twin for
 * a JVM started without the Vector API module; both give the same values.
 */
public final class GroupPasses {
    private GroupPasses() {}

    /** Whether the Vector API is there (ternary4j's launcher and tests add it; an embedding JVM may not). */
    static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** The largest of some magnitudes, and a lower bound of their sum (in float lanes, minus their rounding). */
    record Summary(float max, double sumAtLeast) {}

    /** Whether w[0…n−1] are all finite. */
    public static boolean allFinite(float[] w, int n) {
        if (VECTOR) return Vectors.maxBitsWithoutSign(w, n) < 0x7f800000;
        for (int i = 0; i < n; i++) if (!Float.isFinite(w[i])) return false;
        return true;
    }

    /** mags[i] = |w[i]|, and their summary; w must be finite. */
    static Summary magnitudes(float[] w, int n, float[] mags) {
        if (VECTOR) return Vectors.magnitudes(w, n, mags);
        for (int i = 0; i < n; i++) mags[i] = Math.abs(w[i]);
        return summarize(mags, n);
    }

    /** The summary of magnitudes x ≥ 0 (finite). */
    static Summary summarize(float[] x, int n) {
        if (VECTOR) return Vectors.magnitudes(x, n, null);
        int max = 0;
        double s = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Float.floatToRawIntBits(x[i]));
            s += x[i];
        }
        // An index-order double sum of n terms is within n·2^-53 of the exact one.
        return new Summary(Float.intBitsToFloat(max), s * (1 - n * 0x1p-52));
    }

    /**
     * Writes into {@code out} the indices i whose magnitude bits lie in [lo, lo + span), in
     * increasing order, and returns how many, k; {@code out} needs room for k plus one vector (at
     * most n).
     */
    static int indicesInRange(float[] x, int n, int lo, int span, int[] out) {
        if (VECTOR) return Vectors.indicesInRange(x, n, lo, span, out);
        int k = 0;
        for (int i = 0; i < n; i++) {
            out[k] = i;
            int d = Float.floatToRawIntBits(x[i]) - lo;
            k += d >= 0 & d < span ? 1 : 0; // branch-free: which elements are in range is random to the predictor
        }
        return k;
    }

    /** codes[i] = sign(w[i]) where |w[i]|'s bits exceed thr, 0 elsewhere. */
    static void signsAbove(float[] w, int n, int thr, byte[] codes) {
        int i = VECTOR ? Vectors.signsAbove(w, n, thr, codes) : 0;
        for (; i < n; i++) {
            int bits = Float.floatToRawIntBits(w[i]);
            int keepMask = (thr - (bits & 0x7fffffff)) >> 31; // −1 when |w| is above the cut
            codes[i] = (byte) (((bits >> 31) | 1) & keepMask);
        }
    }

    /** The vector forms; only loaded when the module is there. */
    private static final class Vectors {
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
