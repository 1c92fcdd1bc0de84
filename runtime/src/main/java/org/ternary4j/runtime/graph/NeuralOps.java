package org.ternary4j.runtime.graph;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.runtime.kernel.Buffers;
import org.ternary4j.runtime.kernel.PanelGemm;
import org.ternary4j.runtime.kernel.Parallel;

/** Float reference implementations of the neural-network operators (used where weights are not ternary). */
final class NeuralOps {
    private NeuralOps() {}

    /** C [m, n] = A [m, k] · B [k, n] (B read through bTransposed: B is [n, k]). */
    static float[] matmul(float[] a, int aOff, float[] b, int bOff, int m, int k, int n, boolean bTransposed) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) s += a[aOff + i * k + p] * (bTransposed ? b[bOff + j * k + p] : b[bOff + p * n + j]);
                c[i * n + j] = s;
            }
        }
        return c;
    }

    /** numpy matmul: rank-1 operands are promoted, leading (batch) dimensions broadcast. */
    static Tensor.F32 matMul(Tensor a, Tensor b) {
        return matMul(a, b, Parallel.serial());
    }

    /**
     * As above, the batch slices shared among the threads; slices of four rows or more go through
     * {@link PanelGemm} with B packed per slice (the same FMA chain per output as
     * {@link VectorOps#matmul}, so the same bits).
     */
    static Tensor.F32 matMul(Tensor a, Tensor b, Parallel par) {
        int[] as = a.shape(), bs = b.shape();
        boolean aVec = as.length == 1, bVec = bs.length == 1;
        if (aVec) as = new int[] {1, as[0]};
        if (bVec) bs = new int[] {bs[0], 1};
        int m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
        if (bs[bs.length - 2] != k) throw new IllegalArgumentException("MatMul: inner dimensions " + Arrays.toString(a.shape()) + " × " + Arrays.toString(b.shape()));
        int[] batch = Elementwise.broadcastShape("MatMul", Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2));
        int nb = Arrays.stream(batch).reduce(1, Math::multiplyExact);
        int[] ia = Elementwise.sourceIndex(Arrays.copyOf(as, as.length - 2), batch, nb), ib = Elementwise.sourceIndex(Arrays.copyOf(bs, bs.length - 2), batch, nb);
        float[] fa = a.floats(), fb = b.floats(), out = new float[nb * m * n];
        Parallel p = (long) nb * m * k * n < CompiledOps.SERIAL_WORK ? Parallel.serial() : par;
        p.forRange(nb, 1, (from, to) -> {
            float[] panels = m >= 4 ? new float[(n + PanelGemm.NR - 1) / PanelGemm.NR * k * PanelGemm.NR] : null;
            for (int i = from; i < to; i++) {
                if (m < 4) {
                    VectorOps.matmul(fa, ia[i] * m * k, fb, ib[i] * k * n, out, i * m * n, m, k, n);
                    continue;
                }
                PanelGemm.pack(fb, ib[i] * k * n, k, n, panels);
                PanelGemm.Rows io = new PanelGemm.Rows(fa, ia[i] * m * k, k, out, i * m * n, n);
                for (int c = 0; c < n; c += PanelGemm.NR) PanelGemm.multiply(io, m, k, panels, c * k, c, Math.min(PanelGemm.NR, n - c));
            }
        });
        int[] shape = Arrays.copyOf(batch, batch.length + 2);
        shape[batch.length] = m;
        shape[batch.length + 1] = n;
        if (aVec) shape = drop(shape, batch.length);
        if (bVec) shape = drop(shape, shape.length - 1);
        return new Tensor.F32(shape, out);
    }

    private static int[] drop(int[] s, int i) {
        int[] r = new int[s.length - 1];
        for (int j = 0, k = 0; j < s.length; j++) if (j != i) r[k++] = s[j];
        return r;
    }

    /** Adds beta·C (broadcast to [m, n]) to y in place. */
    static void addBias(float[] y, int m, int n, Tensor c, float beta) {
        if (c == null || beta == 0f) return;
        int[] idx = Elementwise.sourceIndex(c.shape(), new int[] {m, n}, m * n);
        Elementwise.broadcastShape("Gemm", new int[] {m, n}, c.shape());
        float[] fc = c.floats();
        for (int i = 0; i < m * n; i++) y[i] += beta * fc[idx[i]];
    }

    static Tensor.F32 batchNorm(Tensor x, float[] scale, float[] bias, float[] mean, float[] var, float eps) {
        int n = x.shape()[0], c = x.shape()[1], inner = x.size() / Math.max(1, n * c);
        float[] in = x.floats(), out = Buffers.floats(in.length);
        for (int ch = 0; ch < c; ch++) {
            float s = scale[ch] / (float) Math.sqrt(var[ch] + eps), b = bias[ch] - mean[ch] * s;
            for (int i = 0; i < n; i++) {
                int base = (i * c + ch) * inner;
                for (int j = 0; j < inner; j++) out[base + j] = in[base + j] * s + b;
            }
        }
        return new Tensor.F32(x.shape(), out);
    }

    /** Softmax over [outer, len, inner] slices along the middle axis. */
    static Tensor.F32 softmax(Tensor x, int outer, int len, int inner) {
        float[] in = x.floats(), out = new float[in.length];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) max = Math.max(max, in[base + j * inner]);
                double sum = 0;
                for (int j = 0; j < len; j++) sum += out[base + j * inner] = (float) Math.exp(in[base + j * inner] - max);
                for (int j = 0; j < len; j++) out[base + j * inner] = (float) (out[base + j * inner] / sum);
            }
        }
        return new Tensor.F32(x.shape(), out);
    }

    static Tensor.F32 reduceMean(Tensor x, boolean[] reduce, boolean keepDims) {
        int r = x.rank();
        int[] in = x.shape(), outShape = new int[r];
        for (int d = 0; d < r; d++) outShape[d] = reduce[d] ? 1 : in[d];
        int outN = Arrays.stream(outShape).reduce(1, Math::multiplyExact);
        double[] acc = new double[outN];
        int[] outStride = ShapeOps.strides(outShape), counter = new int[r];
        float[] f = x.floats();
        for (int i = 0; i < f.length; i++) {
            int o = 0;
            for (int d = 0; d < r; d++) if (!reduce[d]) o += counter[d] * outStride[d];
            acc[o] += f[i];
            for (int d = r - 1; d >= 0; d--) {
                if (++counter[d] < in[d]) break;
                counter[d] = 0;
            }
        }
        int count = outN == 0 ? 1 : f.length / outN;
        float[] out = new float[outN];
        for (int i = 0; i < outN; i++) out[i] = (float) (acc[i] / count);
        int[] shape = keepDims ? outShape : java.util.stream.IntStream.range(0, r).filter(d -> !reduce[d]).map(d -> in[d]).toArray();
        return new Tensor.F32(shape, out);
    }

    /** Pool geometry resolved from ONNX attributes for one 2-D pooling or conv node. */
    record Window(int kh, int kw, int sh, int sw, int padT, int padL, int padB, int padR, int dh, int dw, boolean ceil) {
        /** 2×2, stride 2, no padding, dilation or ceil mode: the window {@link ConvFinish} pools with lane picks. */
        boolean plainTwoByTwo() {
            return kh == 2 && kw == 2 && sh == 2 && sw == 2 && dh == 1 && dw == 1 && padT == 0 && padL == 0 && padB == 0 && padR == 0 && !ceil;
        }

        int outH(int h) {
            return out(h, kh, sh, padT, padB, dh);
        }

        int outW(int w) {
            return out(w, kw, sw, padL, padR, dw);
        }

        private int out(int in, int k, int s, int begin, int end, int d) {
            int span = in + begin + end - d * (k - 1) - 1;
            if (span < 0) throw new IllegalArgumentException("window of " + k + " (dilation " + d + ") larger than padded input " + (in + begin + end));
            int o = (ceil ? (span + s - 1) / s : span / s) + 1;
            if (ceil && (o - 1) * s >= in + begin) o--; // a window may not start in the end padding
            return o;
        }
    }

    static Tensor.F32 pool(Tensor x, Window w, boolean max, boolean countIncludePad) {
        if (x.rank() != 4) throw new IllegalArgumentException((max ? "MaxPool" : "AveragePool") + ": only 2-D pooling (rank-4 input) is supported, got rank " + x.rank());
        int n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], wd = x.shape()[3], oh = w.outH(h), ow = w.outW(wd);
        float[] in = x.floats(), out = new float[n * c * oh * ow];
        if (w.padT() == 0 && w.padL() == 0 && oh > 0 && ow > 0 && (oh - 1) * w.sh() + (w.kh() - 1) * w.dh() < h && (ow - 1) * w.sw() + (w.kw() - 1) * w.dw() < wd) {
            inside(in, new int[] {n * c, h, wd, oh, ow}, w, max, out);
            return new Tensor.F32(new int[] {n, c, oh, ow}, out);
        }
        for (int p = 0; p < n * c; p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    float best = Float.NEGATIVE_INFINITY;
                    double sum = 0;
                    int count = 0, padded = 0;
                    for (int ky = 0; ky < w.kh(); ky++) {
                        int iy = oy * w.sh() - w.padT() + ky * w.dh();
                        for (int kx = 0; kx < w.kw(); kx++) {
                            int ix = ox * w.sw() - w.padL() + kx * w.dw();
                            boolean inside = iy >= 0 && iy < h && ix >= 0 && ix < wd;
                            if (iy < h + w.padB() && ix < wd + w.padR() && iy >= -w.padT() && ix >= -w.padL()) padded++;
                            if (!inside) continue;
                            float v = in[(p * h + iy) * wd + ix];
                            best = Math.max(best, v);
                            sum += v;
                            count++;
                        }
                    }
                    out[(p * oh + oy) * ow + ox] = max ? best : (float) (sum / (countIncludePad ? padded : Math.max(count, 1)));
                }
            }
        }
        return new Tensor.F32(new int[] {n, c, oh, ow}, out);
    }

    /**
     * {@link #pool} when every window lies inside the input: the same max, or the same double sum
     * in window order divided by the window's size, without the per-element bounds and padding
     * tests (PP-OCRv4's 3×2 average pool over 480 planes took 0.6 ms through them).
     * {@code dims}: planes, h, w, outH, outW.
     */
    private static void inside(float[] in, int[] dims, Window w, boolean max, float[] out) {
        int planes = dims[0], h = dims[1], wd = dims[2], oh = dims[3], ow = dims[4];
        int kh = w.kh(), kw = w.kw(), sh = w.sh(), sw = w.sw(), rowStep = w.dh() * wd, dw = w.dw(), size = kh * kw;
        for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0, o = (p * oh + oy) * ow, row = (p * h + oy * sh) * wd; ox < ow; ox++, o++) {
                    int at = row + ox * sw;
                    if (max) {
                        float best = Float.NEGATIVE_INFINITY;
                        for (int ky = 0; ky < kh; ky++) for (int kx = 0; kx < kw; kx++) best = Math.max(best, in[at + ky * rowStep + kx * dw]);
                        out[o] = best;
                    } else {
                        double sum = 0;
                        for (int ky = 0; ky < kh; ky++) for (int kx = 0; kx < kw; kx++) sum += in[at + ky * rowStep + kx * dw];
                        out[o] = (float) (sum / size);
                    }
                }
            }
        }
    }

    static Tensor.F32 globalAveragePool(Tensor x) {
        int n = x.shape()[0], c = x.shape()[1], inner = x.size() / Math.max(1, n * c);
        float[] in = x.floats(), out = new float[n * c];
        for (int p = 0; p < n * c; p++) out[p] = (float) (DoubleSums.of(in, p * inner, inner, false) / inner);
        int[] shape = new int[x.rank()];
        Arrays.fill(shape, 1);
        shape[0] = n;
        shape[1] = c;
        return new Tensor.F32(shape, out);
    }

    /** Direct float convolution, NCHW, weights [O, C/g, kh, kw]. */
    static Tensor.F32 conv(Tensor x, float[] wt, int o, float[] bias, Window w, int groups) {
        if (x.rank() != 4) throw new IllegalArgumentException("Conv: only 2-D convolution (rank-4 input) is supported, got rank " + x.rank());
        int n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], wd = x.shape()[3], oh = w.outH(h), ow = w.outW(wd);
        int cg = c / groups, og = o / groups;
        float[] in = x.floats(), out = new float[n * o * oh * ow];
        for (int b = 0; b < n; b++) for (int oc = 0; oc < o; oc++) {
            int g = oc / og;
            for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
                float s = bias == null ? 0f : bias[oc];
                for (int ci = 0; ci < cg; ci++) for (int ky = 0; ky < w.kh(); ky++) {
                    int iy = oy * w.sh() - w.padT() + ky * w.dh();
                    if (iy < 0 || iy >= h) continue;
                    for (int kx = 0; kx < w.kw(); kx++) {
                        int ix = ox * w.sw() - w.padL() + kx * w.dw();
                        if (ix < 0 || ix >= wd) continue;
                        s += wt[((oc * cg + ci) * w.kh() + ky) * w.kw() + kx] * in[((b * c + g * cg + ci) * h + iy) * wd + ix];
                    }
                }
                out[((b * o + oc) * oh + oy) * ow + ox] = s;
            }
        }
        return new Tensor.F32(new int[] {n, o, oh, ow}, out);
    }
}
