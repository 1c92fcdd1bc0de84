package org.ternary4j.runtime.graph;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.runtime.kernel.Buffers;

/**
 * Vectorized float kernels for the element-wise and reduction operators of transformer and OCR
 * graphs: broadcasting Add/Sub/Mul/Div without per-element index tables (the broadcast is
 * collapsed to runs of contiguous or repeated values), unary maps (e^x and the softmax are
 * {@link Exponentials}'), the mean over the last axis, and batched float matrix products. Each computes every element with the same float
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
            case EXP -> Exponentials.exp(x, o, 0, bound);
            case ERF -> erf(x, o, 0, bound);
            case SIGMOID -> Exponentials.sigmoid(x, o, 0, bound);
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
            case EXP -> Exponentials.exp(in, out, 0, in.length);
            case ERF -> erf(in, out, 0, in.length);
            case SIGMOID -> Exponentials.sigmoid(in, out, 0, in.length);
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
     * erf, like exp and sigmoid ({@link Exponentials}), is an array kernel, its loop holding its
     * vectors from load to store: as methods on a FloatVector they were too large for C2 to inline
     * into their callers ("already compiled into a medium method"), and a vector that crosses a
     * call C2 does not inline is boxed: GELU through erf(FloatVector) took about 2 ns per element,
     * e^x 1.4. Each works on whole vectors in [from, to); o may be x.
     */

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
