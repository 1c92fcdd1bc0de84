package org.ternary4j.core.metrics;

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
            double ww = this.ww, qq = this.qq, wq = this.wq, dd = this.dd;
            for (int i = 0; i < n; i++) {
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

        public TensorMetrics metrics(double sparsity, double bitsPerWeight) {
            // An all-zero tensor is reproduced exactly by all-zero codes: call that a perfect match.
            double cosine = ww == 0 && qq == 0 ? 1 : (ww == 0 || qq == 0 ? 0 : wq / Math.sqrt(ww * qq));
            double relL2 = ww == 0 ? (dd == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(dd / ww);
            return new TensorMetrics(cosine, relL2, sparsity, bitsPerWeight);
        }
    }
}
