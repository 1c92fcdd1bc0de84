package org.ternary4j.core.metrics;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
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
     * The sums behind the metrics, fed a tensor's elements in index order, piece by piece. Element
     * i goes to lane i mod {@value #LANES} of each sum and the lanes are added in order at the end:
     * a fixed order, so a tensor fed in pieces of any sizes gets exactly the metrics of {@link #of}
     * on the whole, and the adds of different lanes do not wait for each other (a single chain of
     * dependent double adds was about a tenth of a streaming quantize's CPU).
     */
    public static final class Sums {
        static final int LANES = 16;
        private final double[] ww = new double[LANES], qq = new double[LANES], wq = new double[LANES], dd = new double[LANES];
        /** Elements added so far: the next one's lane is {@code count mod LANES}. */
        private long count;

        /** Adds elements {@code w[0…n)} and their quantized values {@code q[0…n)}. */
        public void add(float[] w, float[] q, int n) {
            if (GroupPasses.vectorsInUse() && Vectors.fits()) addVectors(w, q, n);
            else add(w, q, 0, n);
        }

        /** {@link #add(float[], float[], int)} a vector at a time where the lanes start a round. */
        void addVectors(float[] w, float[] q, int n) {
            int i = 0;
            for (; i < n && (count & (LANES - 1)) != 0; i++) add(w[i], q[i]);
            add(w, q, Vectors.add(this, w, q, i, n), n);
        }

        /** The scalar form of {@link #add(float[], float[], int)} for elements from…n−1. */
        private void add(float[] w, float[] q, int from, int n) {
            for (int i = from; i < n; i++) add(w[i], q[i]);
        }

        /**
         * {@link #add} of elements held as BF16 bits (the upper half of a float's bits), as a
         * 16-bit file holds them: the same sums as on the decoded floats, without decoding them
         * into arrays first. One loop per encoding rather than a decoder argument: these loops
         * run over every weight of a checkpoint, and a call per element through a shared
         * interface would not stay inlined once all three encodings are in use.
         */
        public void addBf16(short[] w, short[] q, int n) {
            if (GroupPasses.vectorsInUse() && Vectors.fits()) addBf16Vectors(w, q, n);
            else addBf16(w, q, 0, n);
        }

        /** {@link #addBf16(short[], short[], int)} a vector at a time where the lanes start a round. */
        void addBf16Vectors(short[] w, short[] q, int n) {
            int i = 0;
            for (; i < n && (count & (LANES - 1)) != 0; i++) add(bf16(w[i]), bf16(q[i]));
            addBf16(w, q, Vectors.addBf16(this, w, q, i, n), n);
        }

        /** The scalar form of {@link #addBf16(short[], short[], int)} for elements from…n−1. */
        private void addBf16(short[] w, short[] q, int from, int n) {
            for (int i = from; i < n; i++) add(bf16(w[i]), bf16(q[i]));
        }

        /** {@link #addBf16} for IEEE half-precision bits. */
        public void addF16(short[] w, short[] q, int n) {
            for (int i = 0; i < n; i++) add(Float.float16ToFloat(w[i]), Float.float16ToFloat(q[i]));
        }

        private void add(double a, double b) {
            int l = (int) (count++ & (LANES - 1));
            ww[l] += a * a;
            qq[l] += b * b;
            wq[l] += a * b;
            dd[l] += (a - b) * (a - b);
        }

        private static float bf16(short bits) {
            return Float.intBitsToFloat(bits << 16);
        }

        /** The four sums: Σw², Σq², Σwq, Σ(w − q)². */
        double[] sums() {
            return new double[] {total(ww), total(qq), total(wq), total(dd)};
        }

        private static double total(double[] lanes) {
            double t = 0;
            for (double v : lanes) t += v;
            return t;
        }

        /**
         * The sums a vector at a time where vectors hold 8 doubles (half the lanes): the same
         * products and the same adds into the same lanes as the scalar loop, so the same bits.
         * Only loaded once in use.
         */
        static final class Vectors {
            private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
            /** Shorts and ints with as many lanes as the doubles. */
            private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(D.length() * 32));
            private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(D.length() * 16));
            private static final VectorSpecies<Float> FS = VectorSpecies.of(float.class, VectorShape.forBitSize(D.length() * 32));

            static boolean fits() {
                return D.length() * 2 == LANES;
            }

            /**
             * Adds elements from…n−1 in whole rounds of {@value #LANES}, {@code from} being at lane 0;
             * returns where the scalar tail starts. The two forms differ only in how a vector of
             * elements is widened to doubles: one loop each, as for the scalar forms.
             */
            static int addBf16(Sums s, short[] w, short[] q, int from, int n) {
                int h = D.length();
                DoubleVector ww0 = DoubleVector.fromArray(D, s.ww, 0), ww1 = DoubleVector.fromArray(D, s.ww, h);
                DoubleVector qq0 = DoubleVector.fromArray(D, s.qq, 0), qq1 = DoubleVector.fromArray(D, s.qq, h);
                DoubleVector wq0 = DoubleVector.fromArray(D, s.wq, 0), wq1 = DoubleVector.fromArray(D, s.wq, h);
                DoubleVector dd0 = DoubleVector.fromArray(D, s.dd, 0), dd1 = DoubleVector.fromArray(D, s.dd, h);
                int i = from;
                for (; i + LANES <= n; i += LANES) {
                    DoubleVector a = widen(w, i), b = widen(q, i), d = a.sub(b);
                    ww0 = ww0.add(a.mul(a));
                    qq0 = qq0.add(b.mul(b));
                    wq0 = wq0.add(a.mul(b));
                    dd0 = dd0.add(d.mul(d));
                    a = widen(w, i + h);
                    b = widen(q, i + h);
                    d = a.sub(b);
                    ww1 = ww1.add(a.mul(a));
                    qq1 = qq1.add(b.mul(b));
                    wq1 = wq1.add(a.mul(b));
                    dd1 = dd1.add(d.mul(d));
                }
                ww0.intoArray(s.ww, 0);
                ww1.intoArray(s.ww, h);
                qq0.intoArray(s.qq, 0);
                qq1.intoArray(s.qq, h);
                wq0.intoArray(s.wq, 0);
                wq1.intoArray(s.wq, h);
                dd0.intoArray(s.dd, 0);
                dd1.intoArray(s.dd, h);
                s.count += i - from;
                return i;
            }

            /** {@link #addBf16} for floats. */
            static int add(Sums s, float[] w, float[] q, int from, int n) {
                int h = D.length();
                DoubleVector ww0 = DoubleVector.fromArray(D, s.ww, 0), ww1 = DoubleVector.fromArray(D, s.ww, h);
                DoubleVector qq0 = DoubleVector.fromArray(D, s.qq, 0), qq1 = DoubleVector.fromArray(D, s.qq, h);
                DoubleVector wq0 = DoubleVector.fromArray(D, s.wq, 0), wq1 = DoubleVector.fromArray(D, s.wq, h);
                DoubleVector dd0 = DoubleVector.fromArray(D, s.dd, 0), dd1 = DoubleVector.fromArray(D, s.dd, h);
                int i = from;
                for (; i + LANES <= n; i += LANES) {
                    DoubleVector a = widen(w, i), b = widen(q, i), d = a.sub(b);
                    ww0 = ww0.add(a.mul(a));
                    qq0 = qq0.add(b.mul(b));
                    wq0 = wq0.add(a.mul(b));
                    dd0 = dd0.add(d.mul(d));
                    a = widen(w, i + h);
                    b = widen(q, i + h);
                    d = a.sub(b);
                    ww1 = ww1.add(a.mul(a));
                    qq1 = qq1.add(b.mul(b));
                    wq1 = wq1.add(a.mul(b));
                    dd1 = dd1.add(d.mul(d));
                }
                ww0.intoArray(s.ww, 0);
                ww1.intoArray(s.ww, h);
                qq0.intoArray(s.qq, 0);
                qq1.intoArray(s.qq, h);
                wq0.intoArray(s.wq, 0);
                wq1.intoArray(s.wq, h);
                dd0.intoArray(s.dd, 0);
                dd1.intoArray(s.dd, h);
                s.count += i - from;
                return i;
            }

            /** Floats to doubles (exact). */
            private static DoubleVector widen(float[] f, int at) {
                return (DoubleVector) FloatVector.fromArray(FS, f, at).convertShape(VectorOperators.F2D, D, 0);
            }

            /** BF16 bits to doubles: the bits as a float's upper half, then widened (both exact). */
            private static DoubleVector widen(short[] h, int at) {
                return (DoubleVector) ((IntVector) ShortVector.fromArray(S, h, at).convertShape(VectorOperators.S2I, I, 0))
                        .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().convertShape(VectorOperators.F2D, D, 0);
            }
        }

        public TensorMetrics metrics(double sparsity, double bitsPerWeight) {
            double[] s = sums();
            double ww = s[0], qq = s[1], wq = s[2], dd = s[3];
            // An all-zero tensor is reproduced exactly by all-zero codes: call that a perfect match.
            double cosine = ww == 0 && qq == 0 ? 1 : (ww == 0 || qq == 0 ? 0 : wq / Math.sqrt(ww * qq));
            double relL2 = ww == 0 ? (dd == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(dd / ww);
            return new TensorMetrics(cosine, relL2, sparsity, bitsPerWeight);
        }
    }
}
