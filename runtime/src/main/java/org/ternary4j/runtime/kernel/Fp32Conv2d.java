package org.ternary4j.runtime.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A float convolution (NCHW, weights [O, I/groups, kh, kw]) for layers kept in full precision:
 * per group a transposed im2col, then every output channel is a vector of pixels accumulated with
 * FMAs (one broadcast weight times one vector of pixels per kernel input). Work is split by output
 * channels, so results do not depend on the thread count. No bias: callers apply it with the rest
 * of the layer's epilogue.
 */
public final class Fp32Conv2d {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final int BLOCK = 4;

    private final float[] w;
    private final int outChannels;
    private final int inPerGroup;
    private final int kh;
    private final int kw;
    private final int groups;

    public Fp32Conv2d(float[] w, int[] shape, int groups) {
        if (shape.length != 4) throw new IllegalArgumentException("conv weight must be [O, I/groups, kh, kw], got shape " + Arrays.toString(shape));
        if (groups < 1 || shape[0] % groups != 0) throw new IllegalArgumentException("conv: " + shape[0] + " output channels not divisible by group " + groups);
        if (w.length != (long) shape[0] * shape[1] * shape[2] * shape[3]) throw new IllegalArgumentException("conv: " + w.length + " weights for shape " + Arrays.toString(shape));
        this.w = w;
        this.outChannels = shape[0];
        this.inPerGroup = shape[1];
        this.kh = shape[2];
        this.kw = shape[3];
        this.groups = groups;
    }

    public int outChannels() {
        return outChannels;
    }

    /** x is [n, c, h, w]; returns [n, outChannels, outH, outW]. */
    public float[] forward(float[] x, int n, int c, int h, int wd, ConvGeometry geo, Parallel par) {
        if (geo.groups() != groups) throw new IllegalArgumentException("conv: geometry has group " + geo.groups() + ", weights have " + groups);
        if (c != inPerGroup * groups) throw new IllegalArgumentException("conv: input has " + c + " channels, weight expects " + inPerGroup * groups);
        int oh = geo.outH(h, kh), ow = geo.outW(wd, kw), pixels = oh * ow, ld = Im2col.stride(pixels), k = inPerGroup * kh * kw;
        int perGroup = outChannels / groups;
        float[] y = new float[Math.multiplyExact(n, Math.multiplyExact(outChannels, pixels))];
        boolean acrossGroups = groups >= par.threads() && par.threads() > 1;
        for (int img = 0; img < n; img++) {
            int image = img, yOff = img * outChannels * pixels;
            Parallel.RangeBody body = (from, to) -> {
                Parallel inner = acrossGroups ? Parallel.serial() : par;
                float[] cols = new float[Math.multiplyExact(k, ld)];
                for (int gi = from; gi < to; gi++) {
                    Im2col.transposed(x, image, c, h, wd, gi * inPerGroup, inPerGroup, kh, kw, geo, null, cols, ld);
                    int r0 = gi * perGroup;
                    inner.forRange(perGroup, 1, (a, b) -> pixelRows(w, k, cols, ld, pixels, r0 + a, r0 + b, y, yOff));
                }
            };
            if (acrossGroups) par.forRange(groups, 1, body);
            else body.run(0, groups);
        }
        return y;
    }

    /**
     * Dense float convolution rows over the same transposed im2col: y[yOff + r·pixels + j] =
     * Σ_p w[r·k + p]·cols[p·ld + j] for rows [from, to), with w [rows, k] in logical input order.
     */
    static void pixelRows(float[] w, int k, float[] cols, int ld, int pixels, int from, int to, float[] y, int yOff) {
        float[] tail = new float[F.length()];
        for (int r = from; r < to; r++) {
            int out = yOff + r * pixels, wr = r * k;
            for (int j0 = 0; j0 < ld; j0 += BLOCK * F.length()) {
                int vecs = Math.min(BLOCK, (ld - j0) / F.length());
                if (vecs == BLOCK) {
                    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                    for (int p = 0; p < k; p++) {
                        FloatVector c = FloatVector.broadcast(F, w[wr + p]);
                        int at = p * ld + j0;
                        a0 = c.fma(FloatVector.fromArray(F, cols, at), a0);
                        a1 = c.fma(FloatVector.fromArray(F, cols, at + 8), a1);
                        a2 = c.fma(FloatVector.fromArray(F, cols, at + 16), a2);
                        a3 = c.fma(FloatVector.fromArray(F, cols, at + 24), a3);
                    }
                    FloatKernels.store(a0, y, out, j0, pixels, tail);
                    FloatKernels.store(a1, y, out, j0 + 8, pixels, tail);
                    FloatKernels.store(a2, y, out, j0 + 16, pixels, tail);
                    FloatKernels.store(a3, y, out, j0 + 24, pixels, tail);
                } else {
                    for (int v = 0; v < vecs; v++) {
                        FloatVector a = FloatVector.zero(F);
                        int j = j0 + v * F.length();
                        for (int p = 0; p < k; p++) a = FloatVector.broadcast(F, w[wr + p]).fma(FloatVector.fromArray(F, cols, p * ld + j), a);
                        FloatKernels.store(a, y, out, j, pixels, tail);
                    }
                }
            }
        }
    }

}
