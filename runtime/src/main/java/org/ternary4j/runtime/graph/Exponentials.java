package org.ternary4j.runtime.graph;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.runtime.kernel.Buffers;

/**
 * The runtime's own e^x and what is built on it: Exp and Sigmoid over arrays, and the softmax of
 * rows (Softmax nodes over the last axis, and attention's scaled, masked scores through
 * {@link FusedOps.ScaledMask}). Array kernels, each loop holding its vectors from load to store
 * (see {@link VectorOps}); each works on whole vectors, and o may be x.
 */
final class Exponentials {
    private Exponentials() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final FloatVector ONE = FloatVector.broadcast(F, 1f);

    /**
     * o = e^x from IEEE adds, multiplies and FMAs only (Cody–Waite reduction by ln 2, Cephes' degree-5
     * polynomial, about 1 ulp), so every run gives the same bits. The Vector API's own EXP does
     * not: C2's intrinsic and the interpreted fallback differ in the last bit, so a softmax gave
     * other bits once its method was compiled (a two-thread run after a one-thread run differed).
     */
    static void exp(float[] x, float[] o, int from, int to) {
        // the vectors as two runs at once (the last one alone when they are odd), each element as one run alone gives it
        int vectors = (to - from) / F.length(), half = vectors / 2 * F.length();
        expSums(x, o, from, from + half, half, 0f, 0f);
        if (vectors % 2 != 0) expSums(x, o, to - F.length(), to - F.length(), F.length(), 0f, 0f);
    }

    /**
     * o = e^(x − shiftA) over [a, a + n) and e^(x − shiftB) over [b, b + n) (whole vectors) as
     * {@link #exp} computes them (shift 0: e^x, the same bits), returning the two runs' sums (see
     * {@link #first}): each run's vectors added in order, then their lanes by a fixed tree. A
     * softmax's subtraction of its maximum and its sum ride along the exponential's one pass over
     * the row. Two runs interleaved because one is a chain of dependent steps (a row of 128
     * scores is eight vectors, then the tree): a head of attention's softmax took 8.2–8.4 against
     * 11.4–11.7 µs a row at a time (128 × 128 scores, one thread, a harness). Each step loads both
     * runs' vectors before it stores either, so a == b is one run (its sum twice).
     */
    static long expSums(float[] x, float[] o, int a, int b, int n, float shiftA, float shiftB) {
        FloatVector lnHi = FloatVector.broadcast(F, -0.693359375f), lnLo = FloatVector.broadcast(F, 2.12194440e-4f);
        FloatVector sa = FloatVector.zero(F), sb = sa;
        for (int i = 0; i < n; i += F.length()) {
            // no clamp of the input (Java's max and min cost as much as the polynomial): inputs
            // beyond [−87.34, 88.72] compute garbage that the two blends at the end replace
            // always subtracted, no branch in the loop (a vector updated under a condition is what C2 left boxed in
            // TapConv's finish): x − +0 is x, and x − −0 differs only for x = −0, giving +0, with the same e^x.
            // The runs' statements are written out side by side: a helper taking a vector is not inlined here, and boxes it.
            FloatVector v = FloatVector.fromArray(F, x, a + i).sub(shiftA), w = FloatVector.fromArray(F, x, b + i).sub(shiftB);
            // n = round(v / ln 2) by the 1.5·2^23 trick, at most 127 so that 2^n is a finite float
            FloatVector nv = v.fma(1.44269504f, 12582912f).sub(12582912f), nw = w.fma(1.44269504f, 12582912f).sub(12582912f);
            nv = nv.blend(127f, nv.compare(VectorOperators.GT, 127f)); // min(n, 127) for every n, NaN included, in two instructions
            nw = nw.blend(127f, nw.compare(VectorOperators.GT, 127f));
            FloatVector rv = nv.fma(lnHi, v), rw = nw.fma(lnHi, w);
            rv = nv.fma(lnLo, rv);
            rw = nw.fma(lnLo, rw);
            FloatVector pv = rv.fma(1.9875691500e-4f, 1.3981999507e-3f), pw = rw.fma(1.9875691500e-4f, 1.3981999507e-3f);
            pv = pv.fma(rv, FloatVector.broadcast(F, 8.3334519073e-3f));
            pw = pw.fma(rw, FloatVector.broadcast(F, 8.3334519073e-3f));
            pv = pv.fma(rv, FloatVector.broadcast(F, 4.1665795894e-2f));
            pw = pw.fma(rw, FloatVector.broadcast(F, 4.1665795894e-2f));
            pv = pv.fma(rv, FloatVector.broadcast(F, 1.6666665459e-1f));
            pw = pw.fma(rw, FloatVector.broadcast(F, 1.6666665459e-1f));
            pv = pv.fma(rv, FloatVector.broadcast(F, 5.0000001201e-1f));
            pw = pw.fma(rw, FloatVector.broadcast(F, 5.0000001201e-1f));
            FloatVector yv = pv.mul(rv.mul(rv)).add(rv).add(1f), yw = pw.mul(rw.mul(rw)).add(rw).add(1f);
            // 2^n's bits, (n + 127) << 23, read off the float n + 127 + 1.5·2^23 (an exact integer
            // below 2^24), with no F2I convert: in this loop -XX:+PrintIntrinsics showed the convert
            // compiled without its intrinsic, and e^x went from 0.72 to 0.45 ns per element without it
            yv = yv.mul(nv.add(12583039f).reinterpretAsInts().sub(0x4B400000).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            yw = yw.mul(nw.add(12583039f).reinterpretAsInts().sub(0x4B400000).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            yv = yv.blend(0f, v.compare(VectorOperators.LT, -87.33654f)).blend(Float.POSITIVE_INFINITY, v.compare(VectorOperators.GT, 88.72283f));
            yw = yw.blend(0f, w.compare(VectorOperators.LT, -87.33654f)).blend(Float.POSITIVE_INFINITY, w.compare(VectorOperators.GT, 88.72283f));
            yv.intoArray(o, a + i);
            yw.intoArray(o, b + i);
            sa = sa.add(yv);
            sb = sb.add(yw);
        }
        // the lanes by a fixed pairwise tree (each lane added to its partner half the width away, then a quarter, …): the same
        // bits interpreted and compiled, where reduceLanes(ADD) on floats changes order once compiled; written out here with
        // constant shuffles, as a loop over an array of them (or a method C2 might not inline) would box the vector
        if (F.length() >= 16) {
            sa = sa.add(sa.rearrange(XOR_8));
            sb = sb.add(sb.rearrange(XOR_8));
        }
        if (F.length() >= 8) {
            sa = sa.add(sa.rearrange(XOR_4));
            sb = sb.add(sb.rearrange(XOR_4));
        }
        sa = sa.add(sa.rearrange(XOR_2));
        sb = sb.add(sb.rearrange(XOR_2));
        return pair(sa.add(sa.rearrange(XOR_1)).lane(0), sb.add(sb.rearrange(XOR_1)).lane(0));
    }

    /** Two floats in one long (the sums of {@link #expSums}, returned without an array per row pair). */
    private static long pair(float first, float second) {
        return (long) Float.floatToRawIntBits(first) << 32 | Float.floatToRawIntBits(second) & 0xffffffffL;
    }

    static float first(long pair) {
        return Float.intBitsToFloat((int) (pair >>> 32));
    }

    static float second(long pair) {
        return Float.intBitsToFloat((int) pair);
    }

    /**
     * Lane i's partner in the rounds of expSums' lane tree: i xor 8, 4, 2, 1 (those below the
     * width). Adding the lanes one by one in index order had cost 17 ns a softmax row, as much as a
     * quarter of the row's e^x; the tree takes 2.
     */
    private static final VectorShuffle<Float> XOR_8 = partner(8), XOR_4 = partner(4), XOR_2 = partner(2), XOR_1 = partner(1);

    private static VectorShuffle<Float> partner(int d) {
        return d < F.length() ? VectorShuffle.fromOp(F, i -> i ^ d) : null;
    }

    /** o = 1 / (1 + e^−x). */
    static void sigmoid(float[] x, float[] o, int from, int to) {
        for (int i = from; i < to; i += F.length()) FloatVector.fromArray(F, x, i).neg().intoArray(o, i);
        exp(o, o, from, to);
        for (int i = from; i < to; i += F.length()) ONE.div(ONE.add(FloatVector.fromArray(F, o, i))).intoArray(o, i);
    }

    /** Softmax over each contiguous run of {@code len} values (inner size 1), two rows at a time ({@link #expSums}). */
    static float[] softmaxRows(float[] x, int len) {
        float[] o = Buffers.floats(x.length);
        int rows = len == 0 ? 0 : x.length / len;
        for (int r = 0; r < rows; r += 2) softmaxRows(x, o, r * len, Math.min(r + 1, rows - 1) * len, len);
        return o;
    }

    /** Softmax of the rows x[a, a + len) and x[b, b + len) into o at the same places (a == b: one row); o may be x. */
    static void softmaxRows(float[] x, float[] o, int a, int b, int len) {
        int bound = F.loopBound(len);
        FloatVector ma = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), mb = ma;
        // a compare and blend: a float max with Java's NaN and −0 rules compiles to a sequence whose latency bound this chain;
        // a NaN it drops still makes every output NaN (its e^(x − max) is NaN, and so is the sum)
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, a + i), w = FloatVector.fromArray(F, x, b + i);
            ma = ma.blend(v, ma.lt(v));
            mb = mb.blend(w, mb.lt(w));
        }
        float maxA = ma.reduceLanes(VectorOperators.MAX), maxB = mb.reduceLanes(VectorOperators.MAX);
        for (int i = bound; i < len; i++) {
            maxA = Math.max(maxA, x[a + i]);
            maxB = Math.max(maxB, x[b + i]);
        }
        normalizeRows(x, o, a, b, len, maxA, maxB);
    }

    /**
     * The rest of {@link #softmaxRows} once the rows' maxima are known: o = e^(x − max) and its
     * sum in one pass, then o /= sum (a multiply by its reciprocal). Callers that compute the rows
     * (the attention's scaled, masked scores) find their maxima on the way and come in here. Every
     * step reads both rows before it writes either, so a == b is one row.
     */
    static void normalizeRows(float[] x, float[] o, int a, int b, int len, float maxA, float maxB) {
        int bound = F.loopBound(len);
        long sums = expSums(x, o, a, b, bound, maxA, maxB);
        float sumA = first(sums), sumB = second(sums);
        for (int i = bound; i < len; i++) {
            float ea = (float) Math.exp(x[a + i] - maxA), eb = (float) Math.exp(x[b + i] - maxB);
            o[a + i] = ea;
            o[b + i] = eb;
            sumA += ea;
            sumB += eb;
        }
        float invA = 1f / sumA, invB = 1f / sumB;
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, o, a + i), w = FloatVector.fromArray(F, o, b + i);
            v.mul(invA).intoArray(o, a + i);
            w.mul(invB).intoArray(o, b + i);
        }
        for (; i < len; i++) {
            float va = o[a + i] * invA, vb = o[b + i] * invB;
            o[a + i] = va;
            o[b + i] = vb;
        }
    }
}
