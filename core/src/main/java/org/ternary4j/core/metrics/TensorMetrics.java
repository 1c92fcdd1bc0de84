package org.ternary4j.core.metrics;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.core.projection.GroupPasses;

/**
 * How far a quantized tensor is from the original: cosine similarity, relative L2 error
 * ‖w − q‖/‖w‖, fraction of zero codes, and storage bits per weight (scales included).
 */
public record TensorMetrics(double cosine, double relL2, double sparsity, double bitsPerWeight) {

    public static TensorMetrics of(float[] w, float[] q, double sparsity, double bitsPerWeight) {
        Sums sums = new Sums();
        sums.add(w, q, w.length);
        return sums.metrics(sparsity, bitsPerWeight);
    }

    /**
     * The sums behind the metrics, fed a tensor's elements in index order, piece by piece: a
     * tensor fed in pieces gets exactly the metrics of {@link #of} on the whole (same sums, same order).
     */
    public static final class Sums {
        private double ww, qq, wq, dd;
        /** The vector form's products of one block, four arrays end to end (see {@link Vectors}). */
        private double[] terms;

        /** Adds elements {@code w[0…n)} and their quantized values {@code q[0…n)}. */
        public void add(float[] w, float[] q, int n) {
            double ww = this.ww, qq = this.qq, wq = this.wq, dd = this.dd;
            for (int i = 0; i < n; i++) {
                double a = w[i], b = q[i];
                ww += a * a;
                qq += b * b;
                wq += a * b;
                dd += (a - b) * (a - b);
            }
            this.ww = ww;
            this.qq = qq;
            this.wq = wq;
            this.dd = dd;
        }

        /**
         * {@link #add} of elements held as BF16 bits (the upper half of a float's bits), as a
         * 16-bit file holds them: the same sums as on the decoded floats, without decoding them
         * into arrays first. One loop per encoding rather than a decoder argument: these loops
         * run over every weight of a checkpoint, and a call per element through a shared
         * interface would not stay inlined once all three encodings are in use.
         */
        public void addBf16(short[] w, short[] q, int n) {
            addBf16(w, q, GroupPasses.vectorsInUse() ? Vectors.addBf16(this, w, q, n) : 0, n);
        }

        /** The scalar form of {@link #addBf16(short[], short[], int)} for elements from…n−1. */
        void addBf16(short[] w, short[] q, int from, int n) {
            double ww = this.ww, qq = this.qq, wq = this.wq, dd = this.dd;
            for (int i = from; i < n; i++) {
                double a = Float.intBitsToFloat(w[i] << 16), b = Float.intBitsToFloat(q[i] << 16);
                ww += a * a;
                qq += b * b;
                wq += a * b;
                dd += (a - b) * (a - b);
            }
            this.ww = ww;
            this.qq = qq;
            this.wq = wq;
            this.dd = dd;
        }

        /** {@link #addBf16} for IEEE half-precision bits. */
        public void addF16(short[] w, short[] q, int n) {
            double ww = this.ww, qq = this.qq, wq = this.wq, dd = this.dd;
            for (int i = 0; i < n; i++) {
                double a = Float.float16ToFloat(w[i]), b = Float.float16ToFloat(q[i]);
                ww += a * a;
                qq += b * b;
                wq += a * b;
                dd += (a - b) * (a - b);
            }
            this.ww = ww;
            this.qq = qq;
            this.wq = wq;
            this.dd = dd;
        }

        /** The four sums, for tests. */
        double[] sums() {
            return new double[] {ww, qq, wq, dd};
        }

        /**
         * The BF16 sums with the per-element products taken a vector at a time: a block's four
         * products (exact in double, as are the conversions) go to {@code terms}, then are added
         * one by one in index order, the same adds in the same order as the scalar loop. The
         * chain of adds stays; the scalar loop also spent its floating-point ports on the
         * conversions and products (about 20 % more CPU time). Only loaded once in use.
         */
        static final class Vectors {
            static final int BLOCK = 64;
            private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
            /** Shorts and ints with as many lanes as the doubles. */
            private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(D.length() * 32));
            private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(D.length() * 16));

            /** Adds whole blocks of w, q; returns where the scalar tail starts. */
            static int addBf16(Sums s, short[] w, short[] q, int n) {
                if (s.terms == null) s.terms = new double[4 * BLOCK];
                double[] t = s.terms;
                double ww = s.ww, qq = s.qq, wq = s.wq, dd = s.dd;
                int i = 0;
                for (; i + BLOCK <= n; i += BLOCK) {
                    for (int j = 0; j < BLOCK; j += D.length()) {
                        DoubleVector a = widen(w, i + j), b = widen(q, i + j), d = a.sub(b);
                        a.mul(a).intoArray(t, j);
                        b.mul(b).intoArray(t, BLOCK + j);
                        a.mul(b).intoArray(t, 2 * BLOCK + j);
                        d.mul(d).intoArray(t, 3 * BLOCK + j);
                    }
                    for (int j = 0; j < BLOCK; j++) {
                        ww += t[j];
                        qq += t[BLOCK + j];
                        wq += t[2 * BLOCK + j];
                        dd += t[3 * BLOCK + j];
                    }
                }
                s.ww = ww;
                s.qq = qq;
                s.wq = wq;
                s.dd = dd;
                return i;
            }

            /** BF16 bits to doubles: the bits as a float's upper half, then widened (both exact). */
            private static DoubleVector widen(short[] h, int at) {
                return (DoubleVector) ((IntVector) ShortVector.fromArray(S, h, at).convertShape(VectorOperators.S2I, I, 0))
                        .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().convertShape(VectorOperators.F2D, D, 0);
            }
        }

        public TensorMetrics metrics(double sparsity, double bitsPerWeight) {
            // An all-zero tensor is reproduced exactly by all-zero codes: call that a perfect match.
            double cosine = ww == 0 && qq == 0 ? 1 : (ww == 0 || qq == 0 ? 0 : wq / Math.sqrt(ww * qq));
            double relL2 = ww == 0 ? (dd == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(dd / ww);
            return new TensorMetrics(cosine, relL2, sparsity, bitsPerWeight);
        }
    }
}
