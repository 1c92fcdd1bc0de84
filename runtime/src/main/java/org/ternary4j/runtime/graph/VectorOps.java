package org.ternary4j.runtime.graph;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.runtime.kernel.Buffers;

/**
 * Vectorized float kernels for the element-wise and reduction operators of transformer and OCR
 * graphs: broadcasting Add/Sub/Mul/Div without per-element index tables (the broadcast is
 * collapsed to runs of contiguous or repeated values), unary maps, softmax and mean over the last
 * axis, and batched float matrix products. Each computes every element with the same float
 * operations as the scalar definition (IEEE add, multiply, divide, square root), so results match
 * the reference operators bit for bit, except where noted (erf, exp, tanh: within a few ulp).
 */
final class VectorOps {
    private VectorOps() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    enum Binary {
        ADD("Add"), SUB("Sub"), MUL("Mul"), DIV("Div");

        final String onnx;

        Binary(String onnx) {
            this.onnx = onnx;
        }
    }

    /**
     * The broadcast of two shapes collapsed: the innermost run (length {@code inner}, each operand
     * advancing 1 or 0 per element) repeated over outer positions whose operand offsets an odometer walks.
     */
    record Plan(int[] shape, int size, int inner, int strideA, int strideB, int[] outer, int[] outerA, int[] outerB) {
        static Plan of(String op, int[] a, int[] b) {
            int[] shape = Elementwise.broadcastShape(op, a, b);
            int r = shape.length, size = Arrays.stream(shape).reduce(1, Math::multiplyExact);
            int[] sa = strides(a, r), sb = strides(b, r);
            // collapse from the innermost dimension outwards; dimensions of size 1 vanish
            int[] dims = new int[r], da = new int[r], db = new int[r];
            int k = 0;
            for (int d = r - 1; d >= 0; d--) {
                if (shape[d] == 1) continue;
                if (k > 0 && mergeable(sa[d], da[k - 1], dims[k - 1]) && mergeable(sb[d], db[k - 1], dims[k - 1])) {
                    dims[k - 1] *= shape[d];
                    continue;
                }
                dims[k] = shape[d];
                da[k] = sa[d];
                db[k] = sb[d];
                k++;
            }
            if (k == 0) return new Plan(shape, size, 1, 0, 0, new int[0], new int[0], new int[0]);
            // dims[0] is the innermost run; its strides are 0 or 1 by construction only when contiguous
            int[] outer = new int[k - 1], oa = new int[k - 1], ob = new int[k - 1];
            for (int j = 1; j < k; j++) {
                outer[k - 1 - j] = dims[j];
                oa[k - 1 - j] = da[j];
                ob[k - 1 - j] = db[j];
            }
            return new Plan(shape, size, dims[0], da[0], db[0], outer, oa, ob);
        }

        /** Whether a dimension of stride s sits directly outside one of stride inner and length len. */
        private static boolean mergeable(int s, int inner, int len) {
            return (s == 0 && inner == 0) || (inner != 0 && s == inner * len);
        }

        private static int[] strides(int[] in, int r) {
            int[] s = new int[r];
            int acc = 1;
            for (int i = in.length - 1; i >= 0; i--) {
                s[i + r - in.length] = in[i] == 1 ? 0 : acc;
                acc *= in[i];
            }
            return s;
        }

        /** Whether the inner run reads each operand contiguously or as one repeated value (what the kernels take). */
        boolean simpleInner() {
            return (strideA == 0 || strideA == 1) && (strideB == 0 || strideB == 1);
        }
    }

    static float[] binary(Binary op, Plan p, float[] a, float[] b) {
        float[] out = Buffers.floats(p.size());
        int[] counter = new int[p.outer().length];
        int offA = 0, offB = 0, inner = p.inner();
        for (int o = 0; o < p.size(); o += inner) {
            run(op, a, offA, p.strideA(), b, offB, p.strideB(), out, o, inner);
            for (int d = counter.length - 1; d >= 0; d--) {
                offA += p.outerA()[d];
                offB += p.outerB()[d];
                if (++counter[d] < p.outer()[d]) break;
                offA -= p.outerA()[d] * counter[d];
                offB -= p.outerB()[d] * counter[d];
                counter[d] = 0;
            }
        }
        return out;
    }

    private static void run(Binary op, float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
        if (sa != 0 && sa != 1 || sb != 0 && sb != 1) {
            for (int i = 0; i < n; i++) o[oo + i] = scalar(op, a[ao + i * sa], b[bo + i * sb]);
            return;
        }
        int i = 0, bound = F.loopBound(n);
        if (sa == 1 && sb == 1) {
            for (; i < bound; i += F.length()) vector(op, FloatVector.fromArray(F, a, ao + i), FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
            for (; i < n; i++) o[oo + i] = scalar(op, a[ao + i], b[bo + i]);
        } else if (sa == 1) {
            float s = b[bo];
            FloatVector vs = FloatVector.broadcast(F, s);
            for (; i < bound; i += F.length()) vector(op, FloatVector.fromArray(F, a, ao + i), vs).intoArray(o, oo + i);
            for (; i < n; i++) o[oo + i] = scalar(op, a[ao + i], s);
        } else if (sb == 1) {
            float s = a[ao];
            FloatVector vs = FloatVector.broadcast(F, s);
            for (; i < bound; i += F.length()) vector(op, vs, FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
            for (; i < n; i++) o[oo + i] = scalar(op, s, b[bo + i]);
        } else {
            Arrays.fill(o, oo, oo + n, scalar(op, a[ao], b[bo]));
        }
    }

    private static FloatVector vector(Binary op, FloatVector x, FloatVector y) {
        return switch (op) {
            case ADD -> x.add(y);
            case SUB -> x.sub(y);
            case MUL -> x.mul(y);
            case DIV -> x.div(y);
        };
    }

    static float scalar(Binary op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
        };
    }

    enum Unary { SQRT, RELU, SIGMOID, TANH, ERF, EXP, NEG, ABS }

    static float[] unary(Unary op, float[] x) {
        float[] o = new float[x.length];
        int bound = F.loopBound(x.length);
        switch (op) {
            case EXP -> exp(x, o, 0, bound);
            case ERF -> erf(x, o, 0, bound);
            case SIGMOID -> sigmoid(x, o, 0, bound);
            default -> {
                for (int i = 0; i < bound; i += F.length()) vector(op, FloatVector.fromArray(F, x, i)).intoArray(o, i);
            }
        }
        if (bound < x.length) tail(op, x, o, bound);
        return o;
    }

    /** The last x.length − from elements (fewer than a vector) as lanes of one padded vector: the same operations as the loop's. */
    private static void tail(Unary op, float[] x, float[] o, int from) {
        float[] in = new float[F.length()], out = new float[F.length()];
        System.arraycopy(x, from, in, 0, x.length - from);
        switch (op) {
            case EXP -> exp(in, out, 0, in.length);
            case ERF -> erf(in, out, 0, in.length);
            case SIGMOID -> sigmoid(in, out, 0, in.length);
            default -> vector(op, FloatVector.fromArray(F, in, 0)).intoArray(out, 0);
        }
        System.arraycopy(out, 0, o, from, x.length - from);
    }

    private static final FloatVector ONE = FloatVector.broadcast(F, 1f), MINUS_ONE = FloatVector.broadcast(F, -1f);

    private static FloatVector vector(Unary op, FloatVector v) {
        return switch (op) {
            case SQRT -> v.lanewise(VectorOperators.SQRT);
            case RELU -> v.blend(0f, v.compare(VectorOperators.LE, 0f)); // = max(v, 0) for every v, cheaper than Java max
            case TANH -> v.lanewise(VectorOperators.TANH);
            case NEG -> v.neg();
            case ABS -> v.abs();
            case SIGMOID, ERF, EXP -> throw new IllegalArgumentException(op + " runs as an array kernel");
        };
    }

    /*
     * exp, erf and sigmoid are array kernels, each loop holding its vectors from load to store:
     * as methods on a FloatVector they were too large for C2 to inline into their callers
     * ("already compiled into a medium method"), and a vector that crosses a call C2 does not
     * inline is boxed: GELU through erf(FloatVector) took about 2 ns per element, e^x 1.4.
     * Each works on whole vectors in [from, to); o may be x.
     */

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

    /**
     * o = erf(x) as x·P(x²)/Q(x²) on x clamped to [−4, 4], ±1 beyond ±3.86 (where ±1 is the nearest float):
     * a rational fit made for this kernel ({@code scripts/fit-erf.py}: 8.8e−9 in exact arithmetic,
     * |error| ≤ 3.0e−7 evaluated in float with FMAs, against 2.9e−7 for the erfc-and-e^x form this
     * replaced, which took a division, a degree-9 polynomial and a pass of e^x). Q's coefficients
     * are all positive, so Q ≥ 1 and there is no pole; one division and no e^x: 0.21–0.27 against
     * 0.66–0.84 ns per element. NaN stays NaN (the clamp's min and max keep it).
     */
    static void erf(float[] x, float[] o, int from, int to) {
        for (int i = from; i < to; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, i).max(-4f).min(4f), t = v.mul(v);
            FloatVector p = t.fma(7.726719559e-06f, 4.353618715e-04f);
            p = p.fma(t, FloatVector.broadcast(F, 4.268317483e-03f));
            p = p.fma(t, FloatVector.broadcast(F, 5.618408322e-02f));
            p = p.fma(t, FloatVector.broadcast(F, 1.921613812e-01f));
            p = p.fma(t, FloatVector.broadcast(F, 1.128379226e+00f));
            FloatVector q = t.fma(3.108919486e-07f, 7.940094656e-05f);
            q = q.fma(t, FloatVector.broadcast(F, 1.461117296e-03f));
            q = q.fma(t, FloatVector.broadcast(F, 1.645546220e-02f));
            q = q.fma(t, FloatVector.broadcast(F, 1.176675111e-01f));
            q = q.fma(t, FloatVector.broadcast(F, 5.036321878e-01f));
            q = q.fma(t, ONE);
            // beyond ±3.86 the float nearest erf is ±1 exactly: then GELU's erf + 1 is 0 for very negative x, as ONNX Runtime's
            v.mul(p).div(q).blend(ONE, v.compare(VectorOperators.GE, 3.86f)).blend(MINUS_ONE, v.compare(VectorOperators.LE, -3.86f)).intoArray(o, i);
        }
    }

    /** o = 1 / (1 + e^−x). */
    static void sigmoid(float[] x, float[] o, int from, int to) {
        for (int i = from; i < to; i += F.length()) FloatVector.fromArray(F, x, i).neg().intoArray(o, i);
        exp(o, o, from, to);
        for (int i = from; i < to; i += F.length()) ONE.div(ONE.add(FloatVector.fromArray(F, o, i))).intoArray(o, i);
    }

    /** Clip to [lo, hi]; NaN stays NaN (as the comparisons of the reference keep it). */
    static float[] clip(float[] x, float lo, float hi) {
        float[] o = new float[x.length];
        int i = 0, bound = F.loopBound(x.length);
        for (; i < bound; i += F.length()) FloatVector.fromArray(F, x, i).max(lo).min(hi).intoArray(o, i);
        for (; i < x.length; i++) o[i] = MoreOps.clip(x[i], lo, hi);
        return o;
    }

    /** HardSigmoid max(0, min(1, αx + β)) (separate multiply and add, like the reference), times x when {@code swish}. */
    static float[] hardSigmoid(float[] x, float alpha, float beta, boolean swish) {
        float[] o = new float[x.length];
        int i = 0, bound = F.loopBound(x.length);
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, i), h = v.mul(alpha).add(beta).min(1f).max(0f);
            (swish ? v.mul(h) : h).intoArray(o, i);
        }
        for (; i < x.length; i++) {
            float h = MoreOps.hardSigmoid(x[i], alpha, beta);
            o[i] = swish ? x[i] * h : h;
        }
        return o;
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

    /** Mean of each contiguous run of {@code len} values, summed in double ({@link DoubleSums}). */
    static float[] meanRows(float[] x, int len) {
        int rows = len == 0 ? 0 : x.length / len;
        float[] o = new float[rows];
        for (int r = 0; r < rows; r++) o[r] = (float) (DoubleSums.of(x, r * len, len, false) / len);
        return o;
    }

    /**
     * C [m, n] += A [m, k] · B [k, n] (row-major, at the given offsets): each row of C accumulates
     * a[i, p]·B[p, :] over p with vector FMAs, four rows of A at a time sharing each B load.
     */
    static void matmul(float[] a, int ao, float[] b, int bo, float[] c, int co, int m, int k, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            int a0 = ao + i * k, c0 = co + i * n;
            for (int j = 0; j < bound; j += F.length()) {
                FloatVector s0 = FloatVector.fromArray(F, c, c0 + j), s1 = FloatVector.fromArray(F, c, c0 + n + j);
                FloatVector s2 = FloatVector.fromArray(F, c, c0 + 2 * n + j), s3 = FloatVector.fromArray(F, c, c0 + 3 * n + j);
                for (int p = 0; p < k; p++) {
                    FloatVector bv = FloatVector.fromArray(F, b, bo + p * n + j);
                    s0 = bv.fma(FloatVector.broadcast(F, a[a0 + p]), s0);
                    s1 = bv.fma(FloatVector.broadcast(F, a[a0 + k + p]), s1);
                    s2 = bv.fma(FloatVector.broadcast(F, a[a0 + 2 * k + p]), s2);
                    s3 = bv.fma(FloatVector.broadcast(F, a[a0 + 3 * k + p]), s3);
                }
                s0.intoArray(c, c0 + j);
                s1.intoArray(c, c0 + n + j);
                s2.intoArray(c, c0 + 2 * n + j);
                s3.intoArray(c, c0 + 3 * n + j);
            }
            for (int r = i; r < i + 4; r++) tailColumns(a, ao + r * k, b, bo, c, co + r * n, k, n, bound);
        }
        for (; i < m; i++) {
            int a0 = ao + i * k, c0 = co + i * n;
            for (int j = 0; j < bound; j += F.length()) {
                FloatVector s = FloatVector.fromArray(F, c, c0 + j);
                for (int p = 0; p < k; p++) s = FloatVector.fromArray(F, b, bo + p * n + j).fma(FloatVector.broadcast(F, a[a0 + p]), s);
                s.intoArray(c, c0 + j);
            }
            tailColumns(a, a0, b, bo, c, c0, k, n, bound);
        }
    }

    private static void tailColumns(float[] a, int a0, float[] b, int bo, float[] c, int c0, int k, int n, int from) {
        for (int j = from; j < n; j++) {
            float s = c[c0 + j];
            for (int p = 0; p < k; p++) s = Math.fma(a[a0 + p], b[bo + p * n + j], s);
            c[c0 + j] = s;
        }
    }
}
