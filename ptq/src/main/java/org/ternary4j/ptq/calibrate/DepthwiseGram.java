package org.ternary4j.ptq.calibrate;

import java.nio.FloatBuffer;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The statistics of a conv with one input channel per group (depthwise), vectorized across groups
 * instead of within one group's small patch (9 or 25 inputs, where a tile of H is mostly
 * padding): each example is laid out in blocks of {@link #LANES} channels, channels last within a
 * block, so that one kernel position of a block's groups is one vector load, and a 4×4 tile of (i, j) pairs of those groups stays in
 * registers across the example's rows. Every element still adds its products one row after the
 * other in ascending row order, as {@link InputStats#add} would, so the statistics are the same bit
 * for bit (a product of two floats is exact in double).
 */
final class DepthwiseGram {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    private static final int T = 4; // tile side

    private final ConvGeometry geo;
    private final int k, groups, lanesTotal, height, width;
    private final int[] offsets; // kernel position i -> offset in a block of the plane, padded to a multiple of T
    private final double[] x, ref, tile = new double[T * T * LANES];

    /** Whether the kernel applies: one input channel per group and enough groups to fill a vector. */
    static boolean fits(ConvGeometry geo) {
        return geo.cin() == 1 && geo.groups() >= LANES;
    }

    DepthwiseGram(ConvGeometry geo, int h, int w, boolean withRef) {
        this.geo = geo;
        this.k = geo.patchSize();
        this.groups = geo.groups();
        this.lanesTotal = (groups + LANES - 1) / LANES * LANES;
        this.height = h + geo.padTop() + geo.padBottom();
        this.width = w + geo.padLeft() + geo.padRight();
        int padded = (k + T - 1) / T * T;
        offsets = new int[padded];
        for (int i = 0; i < padded; i++) {
            int at = i < k ? i : 0; // padding positions read position 0 and are never stored
            offsets[i] = ((at / geo.kw()) * geo.dilH() * width + (at % geo.kw()) * geo.dilW()) * LANES;
        }
        x = new double[height * width * lanesTotal];
        ref = withRef ? new double[x.length] : null;
    }

    /** Adds rows {@code first}, {@code first + stride}, … below {@code to} of example e (its rows start at {@code from}). */
    void example(ConvGeometry.Batch b, int e, long from, long to, long first, long stride, List<InputStats> stats) {
        int h = b.h(), w = b.w(), ow = geo.outW(w);
        load(b.x(), e, h, w, x);
        if (ref != null) load(b.ref(), e, h, w, ref);
        int n = (int) ((to - 1 - first) / stride + 1);
        int[] bases = new int[n];
        for (int r = 0; r < n; r++) {
            int pos = (int) (first + r * stride - from), oy = pos / ow, ox = pos % ow;
            bases[r] = (oy * geo.strideH() * width + ox * geo.strideW()) * LANES;
        }
        for (int g0 = 0; g0 < groups; g0 += LANES) {
            int lanes = Math.min(LANES, groups - g0);
            for (int l = 0; l < lanes; l++) stats.get(g0 + l).counted(n);
            sums(x, bases, g0, lanes, stats, false);
            if (ref != null) sums(ref, bases, g0, lanes, stats, true);
            for (int bi = 0; bi < k; bi += T) {
                for (int bj = bi; bj < k; bj += T) tile(x, x, bases, g0, lanes, bi, bj, stats, false);
            }
            if (ref != null) {
                for (int bi = 0; bi < k; bi += T) {
                    for (int bj = 0; bj < k; bj += T) tile(ref, x, bases, g0, lanes, bi, bj, stats, true);
                }
            }
        }
    }

    /** Example e of the NCHW batch in {@code src}, in blocks of channels, with the conv's zero padding (never overwritten). */
    private void load(FloatBuffer src, int e, int h, int w, double[] plane) {
        int at = e * groups * h * w;
        for (int g = 0; g < groups; g++) {
            int block = g / LANES * height * width;
            for (int y = 0; y < h; y++) {
                int row = (block + (y + geo.padTop()) * width + geo.padLeft()) * LANES + g % LANES;
                for (int xx = 0; xx < w; xx++, at++) plane[row + xx * LANES] = src.get(at);
            }
        }
    }

    /** sum[i] += x_i over the rows, T positions at a time. */
    private void sums(double[] plane, int[] bases, int g0, int lanes, List<InputStats> stats, boolean ofRef) {
        for (int i0 = 0; i0 < k; i0 += T) {
            int ni = Math.min(T, k - i0);
            for (int a = 0; a < ni; a++) {
                for (int l = 0; l < lanes; l++) {
                    InputStats st = stats.get(g0 + l);
                    tile[a * LANES + l] = (ofRef ? st.refSums() : st.sums())[i0 + a];
                }
            }
            int cb = g0 * height * width, o0 = offsets[i0] + cb, o1 = offsets[i0 + 1] + cb, o2 = offsets[i0 + 2] + cb, o3 = offsets[i0 + 3] + cb;
            DoubleVector s0 = DoubleVector.fromArray(SPECIES, tile, 0), s1 = DoubleVector.fromArray(SPECIES, tile, LANES);
            DoubleVector s2 = DoubleVector.fromArray(SPECIES, tile, 2 * LANES), s3 = DoubleVector.fromArray(SPECIES, tile, 3 * LANES);
            for (int base : bases) {
                s0 = s0.add(DoubleVector.fromArray(SPECIES, plane, base + o0));
                s1 = s1.add(DoubleVector.fromArray(SPECIES, plane, base + o1));
                s2 = s2.add(DoubleVector.fromArray(SPECIES, plane, base + o2));
                s3 = s3.add(DoubleVector.fromArray(SPECIES, plane, base + o3));
            }
            s0.intoArray(tile, 0);
            s1.intoArray(tile, LANES);
            s2.intoArray(tile, 2 * LANES);
            s3.intoArray(tile, 3 * LANES);
            for (int a = 0; a < ni; a++) {
                for (int l = 0; l < lanes; l++) {
                    InputStats st = stats.get(g0 + l);
                    (ofRef ? st.refSums() : st.sums())[i0 + a] = tile[a * LANES + l];
                }
            }
        }
    }

    /** acc[i, j] += left_i·right_j over the rows for i in [bi, bi+T), j in [bj, bj+T) (within k), the Gram or the cross moments. */
    private void tile(double[] left, double[] right, int[] bases, int g0, int lanes, int bi, int bj, List<InputStats> stats, boolean cross) {
        int ni = Math.min(T, k - bi), nj = Math.min(T, k - bj);
        for (int l = 0; l < lanes; l++) {
            InputStats st = stats.get(g0 + l);
            double[] acc = cross ? st.crossSums() : st.gramSums();
            int ld = st.stride();
            for (int a = 0; a < ni; a++) for (int c = 0; c < nj; c++) tile[(a * T + c) * LANES + l] = acc[(bi + a) * ld + bj + c];
        }
        int cb = g0 * height * width; // the block of groups g0 …
        int i0 = offsets[bi] + cb, i1 = offsets[bi + 1] + cb, i2 = offsets[bi + 2] + cb, i3 = offsets[bi + 3] + cb;
        int j0 = offsets[bj] + cb, j1 = offsets[bj + 1] + cb, j2 = offsets[bj + 2] + cb, j3 = offsets[bj + 3] + cb;
        DoubleVector c00 = at(0), c01 = at(1), c02 = at(2), c03 = at(3), c10 = at(4), c11 = at(5), c12 = at(6), c13 = at(7);
        DoubleVector c20 = at(8), c21 = at(9), c22 = at(10), c23 = at(11), c30 = at(12), c31 = at(13), c32 = at(14), c33 = at(15);
        for (int base : bases) {
            DoubleVector y0 = DoubleVector.fromArray(SPECIES, right, base + j0), y1 = DoubleVector.fromArray(SPECIES, right, base + j1);
            DoubleVector y2 = DoubleVector.fromArray(SPECIES, right, base + j2), y3 = DoubleVector.fromArray(SPECIES, right, base + j3);
            DoubleVector v = DoubleVector.fromArray(SPECIES, left, base + i0);
            c00 = v.fma(y0, c00);
            c01 = v.fma(y1, c01);
            c02 = v.fma(y2, c02);
            c03 = v.fma(y3, c03);
            v = DoubleVector.fromArray(SPECIES, left, base + i1);
            c10 = v.fma(y0, c10);
            c11 = v.fma(y1, c11);
            c12 = v.fma(y2, c12);
            c13 = v.fma(y3, c13);
            v = DoubleVector.fromArray(SPECIES, left, base + i2);
            c20 = v.fma(y0, c20);
            c21 = v.fma(y1, c21);
            c22 = v.fma(y2, c22);
            c23 = v.fma(y3, c23);
            v = DoubleVector.fromArray(SPECIES, left, base + i3);
            c30 = v.fma(y0, c30);
            c31 = v.fma(y1, c31);
            c32 = v.fma(y2, c32);
            c33 = v.fma(y3, c33);
        }
        c00.intoArray(tile, 0 * LANES);
        c01.intoArray(tile, 1 * LANES);
        c02.intoArray(tile, 2 * LANES);
        c03.intoArray(tile, 3 * LANES);
        c10.intoArray(tile, 4 * LANES);
        c11.intoArray(tile, 5 * LANES);
        c12.intoArray(tile, 6 * LANES);
        c13.intoArray(tile, 7 * LANES);
        c20.intoArray(tile, 8 * LANES);
        c21.intoArray(tile, 9 * LANES);
        c22.intoArray(tile, 10 * LANES);
        c23.intoArray(tile, 11 * LANES);
        c30.intoArray(tile, 12 * LANES);
        c31.intoArray(tile, 13 * LANES);
        c32.intoArray(tile, 14 * LANES);
        c33.intoArray(tile, 15 * LANES);
        for (int l = 0; l < lanes; l++) {
            InputStats st = stats.get(g0 + l);
            double[] acc = cross ? st.crossSums() : st.gramSums();
            int ld = st.stride();
            for (int a = 0; a < ni; a++) for (int c = 0; c < nj; c++) acc[(bi + a) * ld + bj + c] = tile[(a * T + c) * LANES + l];
        }
    }

    private DoubleVector at(int t) {
        return DoubleVector.fromArray(SPECIES, tile, t * LANES);
    }
}
