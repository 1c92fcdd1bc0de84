package org.ternary4j.runtime.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 3×3 stride-1 ternary convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin and
 * Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each 2×2 block of outputs
 * ("tile") is Aᵀ[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]A of its 4×4 input window d, summed over input channels in
 * the transformed domain, so a tile takes 16 multiply-adds per channel pair where the direct
 * convolution takes 36. G·g·Gᵀ of ternary codes is a multiple of ¼ (exact in float), and the row
 * scale is applied after Aᵀ·M·A; the input and output transforms are additions, so each output
 * differs from the direct sum only by rounding (a few ulps of the terms' magnitudes, where
 * {@link TapConv}'s outputs are the direct sum's exact bits).
 *
 * <p>Tiles are the vector lanes: tile (ty, tx) is lane ty·P + tx of a flattened grid P = tw + 1
 * wide, so every transform and product runs on whole vectors whatever the image width (one
 * padding column per tile row; VGG's 14×14 planes of 7×7 tiles fill 49 of 64 lanes). The input is
 * split into its even and odd padded rows and columns first: input (2ty + i, 2tx + j) is then
 * lane t of the plane of parities (i mod 2, j mod 2), offset by (i div 2)·P + (j div 2), four
 * planes per channel read with plain vector loads. The products M[ξ] = U[ξ]·V[ξ] (ξ the 16
 * transformed positions) run per quad of output channels over five vectors of tiles, each input
 * vector loaded feeding four FMAs, as in the tap kernel (where vectors are 256 bits, six channels
 * over two vectors: twenty sums spill 16 registers). A tile's four outputs are a 2×2 max
 * pool's window, so a pooled layer ends with a max of four vectors, lane by lane.
 */
public final class WinogradConv {
    private WinogradConv() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Positions of the transformed 4×4 tile. */
    private static final int XI = 16;
    /** Lane numbers, for the lanes of a row's vector that fall in the padding (compares: indexInRange below 0 is not intrinsified). */
    private static final FloatVector IOTA = PairLanes.lanes(i -> i);

    /**
     * Bytes of a band's transformed inputs above which an image is cut into more bands of tile rows
     * (and a layer whose single tile row exceeds it is left to the other kernels). The products
     * read one ξ of the band at a time, so the band need not stay in L2, but each band splits and
     * transforms two input rows more than its own: on the Zen 3 (512 KiB L2) the detector's 96 → 24
     * conv at 80² took 3.9 ms in bands of one tile row (512 KiB), 3.3–3.6 in bands of two or three
     * (1 MB), 3.1–3.9 at 2 MB (six), against 3.9–4.0 by the direct product; at 40² 0.90 ms in bands of
     * two, 0.75–0.76 at 2 MB, 0.96 direct. VGG's whole images take 66–245 KB.
     */
    static final long MAX_TRANSFORMED_BYTES = 2 << 20;

    /**
     * Whether it applies: one group, a 3×3 kernel at stride 1 without dilation, one scale per row,
     * an even output height and width, and a tile row's transformed inputs within {@link #MAX_TRANSFORMED_BYTES}.
     */
    static boolean applies(PackedTernaryMatrix m, int kh, int kw, ConvGeometry geo, int h, int w) {
        if (!m.oneScalePerRow() || kh != 3 || kw != 3 || geo.groups() != 1) return false;
        if (geo.strideH() != 1 || geo.strideW() != 1 || geo.dilationH() != 1 || geo.dilationW() != 1) return false;
        int oh = h + geo.padTop() + geo.padBottom() - 2, ow = w + geo.padLeft() + geo.padRight() - 2;
        if (oh < 2 || ow < 2 || oh % 2 != 0 || ow % 2 != 0) return false;
        return Tiles.of(h, w, geo).bandRows(m.cols() / 9) > 0;
    }

    /**
     * A layer's transformed codes U[ξ][row][c] = (G·g·Gᵀ)[ξ] for each row's 3×3 kernel g over input
     * channel c (rows padded to whole quads with zeros), and the row scales.
     */
    record Weights(float[] u, float[] scale, int rows, int quads, int cin) {
        private static final double[][] G = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};

        /** G·g·Gᵀ of the 3×3 kernel g at g[from …] (row-major), ξ = 4a + b at u[at + ξ·stride]. */
        private static void transform(float[] g, int from, float[] u, int at, int stride) {
            for (int xi = 0; xi < XI; xi++) {
                double s = 0;
                for (int ky = 0; ky < 3; ky++) for (int kx = 0; kx < 3; kx++) s += G[xi / 4][ky] * g[from + ky * 3 + kx] * G[xi % 4][kx];
                u[at + xi * stride] = (float) s;
            }
        }

        static Weights of(PackedTernaryMatrix m, int cin) {
            ReductionLayout l = m.layout();
            int len = FloatKernels.usedSteps(l) * ReductionLayout.STEP, rows = m.rows(), quads = (rows + 3) / 4;
            float[] codes = new float[len];
            float[] u = new float[XI * 4 * quads * cin], scale = new float[rows];
            for (int r = 0; r < rows; r++) {
                FloatKernels.decodeRow(m, r, len / ReductionLayout.STEP, codes, null, 0);
                scale[r] = m.scalePos().get(r);
                float[] g = new float[9];
                for (int c = 0; c < cin; c++) {
                    for (int i = 0; i < 9; i++) g[i] = codes[l.padded(c * 9 + i)];
                    transform(g, 0, u, r * cin + c, 4 * quads * cin);
                }
            }
            return new Weights(u, scale, rows, quads, cin);
        }
    }

    /**
     * The tile grid of one input shape, or of a band of its tile rows: th × tw tiles from tile row
     * {@code top}, P lanes per tile row, T lanes (th·P rounded up to whole vectors) in the
     * products, and a channel's span in the parity planes and the transformed inputs: its th + 1
     * rows of P, in whole vectors, so that one loop runs over every channel's tiles.
     */
    private record Tiles(int h, int w, int padTop, int padLeft, int top, int th, int tw, int pitch, int lanes, int span) {
        static Tiles of(int h, int w, ConvGeometry geo) {
            int th = (h + geo.padTop() + geo.padBottom() - 2) / 2, tw = (w + geo.padLeft() + geo.padRight() - 2) / 2;
            return new Tiles(h, w, geo.padTop(), geo.padLeft(), 0, 0, tw, tw + 1, 0, 0).band(0, th);
        }

        /** The band of {@code rows} tile rows from tile row {@code top} of this grid. */
        Tiles band(int top, int rows) {
            int lanes = (rows * pitch + L - 1) / L * L, span = ((rows + 1) * pitch + L - 1) / L * L;
            return new Tiles(h, w, padTop, padLeft, top, rows, tw, pitch, lanes, span);
        }

        /** The most tile rows of a band whose transformed inputs stay within {@link #MAX_TRANSFORMED_BYTES} (0 where one row does not). */
        int bandRows(int cin) {
            int rows = th;
            while (rows > 0 && (long) XI * band(0, rows).inputStride(cin) * Float.BYTES > MAX_TRANSFORMED_BYTES) rows = Math.min(rows - 1, rows / 2 + 1);
            return rows;
        }

        /**
         * Floats from one ξ to the next in the transformed inputs: one vector more than the
         * channels' spans, so that the sixteen ξ of a tile do not fall 4 KiB apart (L1's sets
         * repeat every 4 KiB: with 32 channels of 64 lanes the transform's stores conflicted
         * and it took twice as long per vector).
         */
        int inputStride(int cin) {
            return cin * span + L;
        }

        /** {@link #inputStride} for the products: rows of T lanes, and a vector more. */
        int productStride(int rowsPadded) {
            return rowsPadded * lanes + L;
        }

        /** One parity plane's floats for cin channels, with room for the loads of the last vector's padding lanes. */
        int plane(int cin) {
            return cin * span + pitch + 2 * L;
        }
    }

    /**
     * x [n, c, h, w] (finite) convolved with the layer's rows (see {@link #applies}), each row
     * times its scale and finished by f, into y: [n, rows, oh, ow], or [n, rows, oh/2, ow/2] when f
     * pools. Each image goes in bands of tile rows whose transformed inputs fit
     * {@link #MAX_TRANSFORMED_BYTES}: whole images per thread when the batch has one per thread,
     * otherwise an image's bands shared among the threads (at least one per thread). A tile's
     * outputs are the same bits in any band, so the split changes no result.
     */
    static void forward(Weights wt, float[] x, int n, int c, int h, int w, ConvGeometry geo, TapConv.Finish f, float[] y, Parallel par) {
        Tiles g = Tiles.of(h, w, geo);
        int outPlane = f.pool() ? g.th() * g.tw() : 4 * g.th() * g.tw();
        if (Batching.acrossImages(n, par)) {
            int rows = g.bandRows(c), bands = (g.th() + rows - 1) / rows;
            par.forRange(n, 1, (i0, i1) -> {
                for (int img = i0; img < i1; img++) for (int b = 0; b < bands; b++) band(wt, g, b * rows, rows, x, img, f, y, outPlane);
            });
            return;
        }
        int rows = Math.min(g.bandRows(c), (g.th() + par.threads() - 1) / par.threads()), bands = (g.th() + rows - 1) / rows;
        for (int img = 0; img < n; img++) {
            int image = img;
            par.forRange(bands, 1, (b0, b1) -> {
                for (int b = b0; b < b1; b++) band(wt, g, b * rows, rows, x, image, f, y, outPlane);
            });
        }
    }

    /** The tile rows [top, top + rows) of the image (fewer at its end) through every step. */
    private static void band(Weights wt, Tiles image, int top, int rows, float[] x, int img, TapConv.Finish f, float[] y, int outPlane) {
        Tiles g = image.band(top, Math.min(rows, image.th() - top));
        int cin = wt.cin(), rowsPadded = 4 * wt.quads(), perRow = f.pool() ? g.lanes() : 4 * g.lanes();
        float[] planes = Scratch.floats(Scratch.Slot.TAP_PLANES, 4 * g.plane(cin));
        split(x, img, cin, g, planes);
        // aligned: the products load every vector of it once per channel quad
        MemorySegment v = Scratch.aligned(Scratch.Slot.TRANSFORMED, (long) XI * g.inputStride(cin) * Float.BYTES);
        transformInput(planes, g, cin, v);
        float[] m = Scratch.floats(Scratch.Slot.PANEL, XI * g.productStride(rowsPadded));
        for (int xi = 0; xi < XI; xi++) products(wt, xi, g, v, m);
        float[] out = Scratch.floats(Scratch.Slot.TAP_BLOCK, wt.rows() * perRow);
        output(m, wt, g.productStride(rowsPadded), g.lanes(), f, out);
        for (int r = 0; r < wt.rows(); r++) copy(out, r * perRow, g, f.pool(), y, (img * wt.rows() + r) * outPlane);
    }

    /**
     * Every channel's padded input split by row and column parity: plane (i, j) at (2i + j)·plane
     * holds channel c's padded input (2k + i, 2q + j) at c·span + k·P + q, zero in the padding.
     * Column blocks are the outer loop, so that their masks of padding lanes are computed once. A
     * row whose vectors would start before x or run past its end (the first and last of the
     * batch) is split lane by lane: a vector loaded under such a condition in the loop kept C2
     * from keeping the vectors in registers.
     */
    private static void split(float[] x, int img, int cin, Tiles g, float[] planes) {
        FloatVector zero = FloatVector.zero(F);
        int h = g.h(), w = g.w(), len = g.plane(cin), p = g.pitch(), rows = 2 * g.th() + 2, end = x.length - 2 * ((p + L - 1) / L * L);
        // right to left, channels in order: a block's vectors run past the row into the next one (or the next channel's first), which a block further left or the next channel then overwrites
        for (int q = (p - 1) / L * L; q >= 0; q -= L) {
            int ix = 2 * q - g.padLeft();
            FloatVector c0 = IOTA.add((float) ix), c1 = IOTA.add((float) (ix + L));
            VectorMask<Float> in0 = c0.compare(VectorOperators.GE, 0f).and(c0.compare(VectorOperators.LT, (float) w));
            VectorMask<Float> in1 = c1.compare(VectorOperators.GE, 0f).and(c1.compare(VectorOperators.LT, (float) w));
            for (int c = 0; c < cin; c++) {
                int from = (img * cin + c) * h * w - g.padLeft() + 2 * q, base = c * g.span() + q;
                for (int r = 0; r < rows; r++) {
                    int iy = 2 * g.top() + r - g.padTop(), at = base + 2 * (r & 1) * len + (r >> 1) * p, src = from + iy * w;
                    if (iy < 0 || iy >= h) {
                        zero.intoArray(planes, at);
                        zero.intoArray(planes, at + len);
                    } else if (src < 0 || src > end) {
                        edge(x, src, ix, w, planes, at, len);
                    } else {
                        FloatVector v0 = zero.blend(FloatVector.fromArray(F, x, src), in0), v1 = zero.blend(FloatVector.fromArray(F, x, src + L), in1);
                        PairLanes.even(v0, v1).intoArray(planes, at);
                        PairLanes.odd(v0, v1).intoArray(planes, at + len);
                    }
                }
            }
        }
    }

    /** {@link #split}'s block of 2·L columns from x[src] (column ix) lane by lane, for a row at either end of x. */
    private static void edge(float[] x, int src, int ix, int w, float[] planes, int at, int len) {
        for (int col = 0; col < 2 * L; col++) planes[at + (col & 1) * len + (col >> 1)] = ix + col >= 0 && ix + col < w ? x[src + col] : 0f;
    }

    /** Bᵀ·d·B of every channel's tiles, into v [ξ][c][span]: one loop over the channels' spans. */
    private static void transformInput(float[] planes, Tiles g, int cin, MemorySegment v) {
        int len = g.plane(cin), p = g.pitch(), ee = 0, eo = len, oe = 2 * len, oo = 3 * len;
        long stride = (long) g.inputStride(cin) * Float.BYTES;
        for (int t = 0; t < cin * g.span(); t += L) {
            // d[i][j] = input (2ty + i, 2tx + j): parity plane (i mod 2, j mod 2) at t + (i div 2)·P + (j div 2)
            FloatVector d00 = FloatVector.fromArray(F, planes, ee + t), d01 = FloatVector.fromArray(F, planes, eo + t);
            FloatVector d02 = FloatVector.fromArray(F, planes, ee + t + 1), d03 = FloatVector.fromArray(F, planes, eo + t + 1);
            FloatVector d10 = FloatVector.fromArray(F, planes, oe + t), d11 = FloatVector.fromArray(F, planes, oo + t);
            FloatVector d12 = FloatVector.fromArray(F, planes, oe + t + 1), d13 = FloatVector.fromArray(F, planes, oo + t + 1);
            FloatVector d20 = FloatVector.fromArray(F, planes, ee + t + p), d21 = FloatVector.fromArray(F, planes, eo + t + p);
            FloatVector d22 = FloatVector.fromArray(F, planes, ee + t + p + 1), d23 = FloatVector.fromArray(F, planes, eo + t + p + 1);
            FloatVector d30 = FloatVector.fromArray(F, planes, oe + t + p), d31 = FloatVector.fromArray(F, planes, oo + t + p);
            FloatVector d32 = FloatVector.fromArray(F, planes, oe + t + p + 1), d33 = FloatVector.fromArray(F, planes, oo + t + p + 1);
            // Bᵀ·d: rows 0 − 2, 1 + 2, 2 − 1, 1 − 3
            FloatVector a0 = d00.sub(d20), a1 = d01.sub(d21), a2 = d02.sub(d22), a3 = d03.sub(d23);
            FloatVector b0 = d10.add(d20), b1 = d11.add(d21), b2 = d12.add(d22), b3 = d13.add(d23);
            FloatVector c0 = d20.sub(d10), c1 = d21.sub(d11), c2 = d22.sub(d12), c3 = d23.sub(d13);
            FloatVector e0 = d10.sub(d30), e1 = d11.sub(d31), e2 = d12.sub(d32), e3 = d13.sub(d33);
            long at = (long) t * Float.BYTES;
            // (Bᵀ·d)·B: the same on columns, into ξ = 4·row + column (stores written out: a helper taking the vectors was not always inlined, and boxed them)
            a0.sub(a2).intoMemorySegment(v, at, ORDER); a1.add(a2).intoMemorySegment(v, at + stride, ORDER);
            a2.sub(a1).intoMemorySegment(v, at + 2 * stride, ORDER); a1.sub(a3).intoMemorySegment(v, at + 3 * stride, ORDER);
            b0.sub(b2).intoMemorySegment(v, at + 4 * stride, ORDER); b1.add(b2).intoMemorySegment(v, at + 5 * stride, ORDER);
            b2.sub(b1).intoMemorySegment(v, at + 6 * stride, ORDER); b1.sub(b3).intoMemorySegment(v, at + 7 * stride, ORDER);
            c0.sub(c2).intoMemorySegment(v, at + 8 * stride, ORDER); c1.add(c2).intoMemorySegment(v, at + 9 * stride, ORDER);
            c2.sub(c1).intoMemorySegment(v, at + 10 * stride, ORDER); c1.sub(c3).intoMemorySegment(v, at + 11 * stride, ORDER);
            e0.sub(e2).intoMemorySegment(v, at + 12 * stride, ORDER); e1.add(e2).intoMemorySegment(v, at + 13 * stride, ORDER);
            e2.sub(e1).intoMemorySegment(v, at + 14 * stride, ORDER); e1.sub(e3).intoMemorySegment(v, at + 15 * stride, ORDER);
        }
    }

    /**
     * M[ξ][row][lane] = Σ_c U[ξ][row][c]·V[ξ][c][lane] (ξ productStride apart): on 512-bit machines
     * per row quad, five, four, two or one vectors of tiles at a time; on 256-bit ones rows twelve at
     * a time in two blocks of six × two vectors (twelve sums in 16 registers, as {@link PanelGemm}'s
     * blocks there; four × two kept fewer FMAs in flight than their latency covers), the rest by quads.
     */
    private static void products(Weights wt, int xi, Tiles g, MemorySegment v, float[] m) {
        int cin = wt.cin(), rowsPadded = 4 * wt.quads(), lanes = g.lanes(), vectors = lanes / L;
        long vBase = (long) xi * g.inputStride(cin) * Float.BYTES, cStride = (long) g.span() * Float.BYTES, vb = (long) L * Float.BYTES;
        int uXi = xi * rowsPadded * cin, mXi = xi * g.productStride(rowsPadded), r = 0;
        if (!VectorWidth.WIDE) {
            for (; r + 12 <= rowsPadded; r += 12) {
                int u0 = uXi + r * cin, m0 = mXi + r * lanes, tv = 0;
                for (; tv + 2 <= vectors; tv += 2) {
                    block6(wt.u(), u0, cin, v, vBase + tv * vb, cStride, m, m0 + tv * L, lanes);
                    block6(wt.u(), u0 + 6 * cin, cin, v, vBase + tv * vb, cStride, m, m0 + 6 * lanes + tv * L, lanes);
                }
                for (int q = 0; q < 12 && tv < vectors; q += 4) block1(wt.u(), u0 + q * cin, cin, v, vBase + tv * vb, cStride, m, m0 + q * lanes + tv * L, lanes);
            }
        }
        for (; r < rowsPadded; r += 4) {
            int u0 = uXi + r * cin, m0 = mXi + r * lanes, tv = 0;
            if (VectorWidth.WIDE) {
                for (; tv + 5 <= vectors; tv += 5) block5(wt.u(), u0, cin, v, vBase + tv * vb, cStride, m, m0 + tv * L, lanes);
                if (tv + 4 <= vectors) {
                    block4(wt.u(), u0, cin, v, vBase + tv * vb, cStride, m, m0 + tv * L, lanes);
                    tv += 4;
                }
            }
            for (; tv + 2 <= vectors; tv += 2) block2(wt.u(), u0, cin, v, vBase + tv * vb, cStride, m, m0 + tv * L, lanes);
            if (tv < vectors) block1(wt.u(), u0, cin, v, vBase + tv * vb, cStride, m, m0 + tv * L, lanes);
        }
    }

    /** Six rows × two vectors: twelve sums, each loaded vector feeding six FMAs. */
    private static void block6(float[] u, int u0, int cin, MemorySegment v, long at, long cStride, float[] m, int m0, int lanes) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z, d0 = z, d1 = z, e0 = z, e1 = z, f0 = z, f1 = z;
        long vb = (long) L * Float.BYTES;
        for (int c = 0; c < cin; c++, at += cStride) {
            FloatVector x0 = FloatVector.fromMemorySegment(F, v, at, ORDER), x1 = FloatVector.fromMemorySegment(F, v, at + vb, ORDER);
            FloatVector s = FloatVector.broadcast(F, u[u0 + c]);
            a0 = s.fma(x0, a0); a1 = s.fma(x1, a1);
            s = FloatVector.broadcast(F, u[u0 + cin + c]);
            b0 = s.fma(x0, b0); b1 = s.fma(x1, b1);
            s = FloatVector.broadcast(F, u[u0 + 2 * cin + c]);
            c0 = s.fma(x0, c0); c1 = s.fma(x1, c1);
            s = FloatVector.broadcast(F, u[u0 + 3 * cin + c]);
            d0 = s.fma(x0, d0); d1 = s.fma(x1, d1);
            s = FloatVector.broadcast(F, u[u0 + 4 * cin + c]);
            e0 = s.fma(x0, e0); e1 = s.fma(x1, e1);
            s = FloatVector.broadcast(F, u[u0 + 5 * cin + c]);
            f0 = s.fma(x0, f0); f1 = s.fma(x1, f1);
        }
        a0.intoArray(m, m0); a1.intoArray(m, m0 + L);
        b0.intoArray(m, m0 + lanes); b1.intoArray(m, m0 + lanes + L);
        c0.intoArray(m, m0 + 2 * lanes); c1.intoArray(m, m0 + 2 * lanes + L);
        d0.intoArray(m, m0 + 3 * lanes); d1.intoArray(m, m0 + 3 * lanes + L);
        e0.intoArray(m, m0 + 4 * lanes); e1.intoArray(m, m0 + 4 * lanes + L);
        f0.intoArray(m, m0 + 5 * lanes); f1.intoArray(m, m0 + 5 * lanes + L);
    }

    /** Four rows × five vectors: twenty sums, each loaded vector feeding four FMAs. */
    private static void block5(float[] u, int u0, int cin, MemorySegment v, long at, long cStride, float[] m, int m0, int lanes) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, b0 = z, b1 = z, b2 = z, b3 = z, b4 = z;
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, d0 = z, d1 = z, d2 = z, d3 = z, d4 = z;
        long vb = (long) L * Float.BYTES;
        for (int c = 0; c < cin; c++, at += cStride) {
            FloatVector x0 = FloatVector.fromMemorySegment(F, v, at, ORDER), x1 = FloatVector.fromMemorySegment(F, v, at + vb, ORDER);
            FloatVector x2 = FloatVector.fromMemorySegment(F, v, at + 2 * vb, ORDER), x3 = FloatVector.fromMemorySegment(F, v, at + 3 * vb, ORDER);
            FloatVector x4 = FloatVector.fromMemorySegment(F, v, at + 4 * vb, ORDER);
            FloatVector s = FloatVector.broadcast(F, u[u0 + c]), t = FloatVector.broadcast(F, u[u0 + cin + c]);
            FloatVector r = FloatVector.broadcast(F, u[u0 + 2 * cin + c]), w = FloatVector.broadcast(F, u[u0 + 3 * cin + c]);
            a0 = s.fma(x0, a0); a1 = s.fma(x1, a1); a2 = s.fma(x2, a2); a3 = s.fma(x3, a3); a4 = s.fma(x4, a4);
            b0 = t.fma(x0, b0); b1 = t.fma(x1, b1); b2 = t.fma(x2, b2); b3 = t.fma(x3, b3); b4 = t.fma(x4, b4);
            c0 = r.fma(x0, c0); c1 = r.fma(x1, c1); c2 = r.fma(x2, c2); c3 = r.fma(x3, c3); c4 = r.fma(x4, c4);
            d0 = w.fma(x0, d0); d1 = w.fma(x1, d1); d2 = w.fma(x2, d2); d3 = w.fma(x3, d3); d4 = w.fma(x4, d4);
        }
        a0.intoArray(m, m0); a1.intoArray(m, m0 + L); a2.intoArray(m, m0 + 2 * L); a3.intoArray(m, m0 + 3 * L); a4.intoArray(m, m0 + 4 * L);
        m0 += lanes;
        b0.intoArray(m, m0); b1.intoArray(m, m0 + L); b2.intoArray(m, m0 + 2 * L); b3.intoArray(m, m0 + 3 * L); b4.intoArray(m, m0 + 4 * L);
        m0 += lanes;
        c0.intoArray(m, m0); c1.intoArray(m, m0 + L); c2.intoArray(m, m0 + 2 * L); c3.intoArray(m, m0 + 3 * L); c4.intoArray(m, m0 + 4 * L);
        m0 += lanes;
        d0.intoArray(m, m0); d1.intoArray(m, m0 + L); d2.intoArray(m, m0 + 2 * L); d3.intoArray(m, m0 + 3 * L); d4.intoArray(m, m0 + 4 * L);
    }

    /** {@link #block5} for four vectors. */
    private static void block4(float[] u, int u0, int cin, MemorySegment v, long at, long cStride, float[] m, int m0, int lanes) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z, c0 = z, c1 = z, c2 = z, c3 = z, d0 = z, d1 = z, d2 = z, d3 = z;
        long vb = (long) L * Float.BYTES;
        for (int c = 0; c < cin; c++, at += cStride) {
            FloatVector x0 = FloatVector.fromMemorySegment(F, v, at, ORDER), x1 = FloatVector.fromMemorySegment(F, v, at + vb, ORDER);
            FloatVector x2 = FloatVector.fromMemorySegment(F, v, at + 2 * vb, ORDER), x3 = FloatVector.fromMemorySegment(F, v, at + 3 * vb, ORDER);
            FloatVector s = FloatVector.broadcast(F, u[u0 + c]), t = FloatVector.broadcast(F, u[u0 + cin + c]);
            FloatVector r = FloatVector.broadcast(F, u[u0 + 2 * cin + c]), w = FloatVector.broadcast(F, u[u0 + 3 * cin + c]);
            a0 = s.fma(x0, a0); a1 = s.fma(x1, a1); a2 = s.fma(x2, a2); a3 = s.fma(x3, a3);
            b0 = t.fma(x0, b0); b1 = t.fma(x1, b1); b2 = t.fma(x2, b2); b3 = t.fma(x3, b3);
            c0 = r.fma(x0, c0); c1 = r.fma(x1, c1); c2 = r.fma(x2, c2); c3 = r.fma(x3, c3);
            d0 = w.fma(x0, d0); d1 = w.fma(x1, d1); d2 = w.fma(x2, d2); d3 = w.fma(x3, d3);
        }
        a0.intoArray(m, m0); a1.intoArray(m, m0 + L); a2.intoArray(m, m0 + 2 * L); a3.intoArray(m, m0 + 3 * L);
        m0 += lanes;
        b0.intoArray(m, m0); b1.intoArray(m, m0 + L); b2.intoArray(m, m0 + 2 * L); b3.intoArray(m, m0 + 3 * L);
        m0 += lanes;
        c0.intoArray(m, m0); c1.intoArray(m, m0 + L); c2.intoArray(m, m0 + 2 * L); c3.intoArray(m, m0 + 3 * L);
        m0 += lanes;
        d0.intoArray(m, m0); d1.intoArray(m, m0 + L); d2.intoArray(m, m0 + 2 * L); d3.intoArray(m, m0 + 3 * L);
    }

    /** {@link #block5} for two vectors. */
    private static void block2(float[] u, int u0, int cin, MemorySegment v, long at, long cStride, float[] m, int m0, int lanes) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z, d0 = z, d1 = z;
        long vb = (long) L * Float.BYTES;
        for (int c = 0; c < cin; c++, at += cStride) {
            FloatVector x0 = FloatVector.fromMemorySegment(F, v, at, ORDER), x1 = FloatVector.fromMemorySegment(F, v, at + vb, ORDER);
            FloatVector s = FloatVector.broadcast(F, u[u0 + c]), t = FloatVector.broadcast(F, u[u0 + cin + c]);
            FloatVector r = FloatVector.broadcast(F, u[u0 + 2 * cin + c]), w = FloatVector.broadcast(F, u[u0 + 3 * cin + c]);
            a0 = s.fma(x0, a0); a1 = s.fma(x1, a1); b0 = t.fma(x0, b0); b1 = t.fma(x1, b1);
            c0 = r.fma(x0, c0); c1 = r.fma(x1, c1); d0 = w.fma(x0, d0); d1 = w.fma(x1, d1);
        }
        a0.intoArray(m, m0); a1.intoArray(m, m0 + L);
        b0.intoArray(m, m0 + lanes); b1.intoArray(m, m0 + lanes + L);
        c0.intoArray(m, m0 + 2 * lanes); c1.intoArray(m, m0 + 2 * lanes + L);
        d0.intoArray(m, m0 + 3 * lanes); d1.intoArray(m, m0 + 3 * lanes + L);
    }

    /** {@link #block5} for one vector. */
    private static void block1(float[] u, int u0, int cin, MemorySegment v, long at, long cStride, float[] m, int m0, int lanes) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, b0 = z, c0 = z, d0 = z;
        for (int c = 0; c < cin; c++, at += cStride) {
            FloatVector x0 = FloatVector.fromMemorySegment(F, v, at, ORDER);
            a0 = FloatVector.broadcast(F, u[u0 + c]).fma(x0, a0);
            b0 = FloatVector.broadcast(F, u[u0 + cin + c]).fma(x0, b0);
            c0 = FloatVector.broadcast(F, u[u0 + 2 * cin + c]).fma(x0, c0);
            d0 = FloatVector.broadcast(F, u[u0 + 3 * cin + c]).fma(x0, d0);
        }
        a0.intoArray(m, m0);
        b0.intoArray(m, m0 + lanes);
        c0.intoArray(m, m0 + 2 * lanes);
        d0.intoArray(m, m0 + 3 * lanes);
    }

    /**
     * Every row's tiles, one loop over rows × lanes: Aᵀ·M·A, times the row's scale, finished as
     * {@link TapConv}'s rows are (+ b, ·s + t, Relu as a compare and a blend, absent parts their
     * identities) but with the scale and the affine parts in one multiply-add, then pooled to one value per tile (row r's at out[r·lanes + t]) or zipped into
     * the tile row's two output rows (out[4r·lanes + 2t …] and out[4r·lanes + 2·lanes + 2t …]).
     */
    private static void output(float[] m, Weights wt, int step, int lanes, TapConv.Finish f, float[] out) {
        float[] bias = f.bias(), scale = f.scale(), shift = f.shift();
        float floor = f.relu() ? 0f : Float.NaN;
        FloatVector zero = FloatVector.zero(F);
        for (int at = 0; at < wt.rows() * lanes; at += L) {
            int r = at / lanes, t = at - r * lanes;
            // (sum·k + b)·s + t as one multiply-add: the scale and the finish's affine parts folded
            float s = scale != null ? scale[r] : 1f, k = wt.scale()[r] * s, c = ((bias != null ? bias[r] : 0f) * s) + (scale != null ? shift[r] : 0f);
            FloatVector m00 = FloatVector.fromArray(F, m, at), m01 = FloatVector.fromArray(F, m, at + step);
            FloatVector m02 = FloatVector.fromArray(F, m, at + 2 * step), m03 = FloatVector.fromArray(F, m, at + 3 * step);
            FloatVector m10 = FloatVector.fromArray(F, m, at + 4 * step), m11 = FloatVector.fromArray(F, m, at + 5 * step);
            FloatVector m12 = FloatVector.fromArray(F, m, at + 6 * step), m13 = FloatVector.fromArray(F, m, at + 7 * step);
            FloatVector m20 = FloatVector.fromArray(F, m, at + 8 * step), m21 = FloatVector.fromArray(F, m, at + 9 * step);
            FloatVector m22 = FloatVector.fromArray(F, m, at + 10 * step), m23 = FloatVector.fromArray(F, m, at + 11 * step);
            FloatVector m30 = FloatVector.fromArray(F, m, at + 12 * step), m31 = FloatVector.fromArray(F, m, at + 13 * step);
            FloatVector m32 = FloatVector.fromArray(F, m, at + 14 * step), m33 = FloatVector.fromArray(F, m, at + 15 * step);
            // Aᵀ·M: rows 0 + 1 + 2 and 1 − 2 − 3
            FloatVector s0 = m00.add(m10).add(m20), s1 = m01.add(m11).add(m21), s2 = m02.add(m12).add(m22), s3 = m03.add(m13).add(m23);
            FloatVector e0 = m10.sub(m20).sub(m30), e1 = m11.sub(m21).sub(m31), e2 = m12.sub(m22).sub(m32), e3 = m13.sub(m23).sub(m33);
            FloatVector y00 = s0.add(s1).add(s2).fma(k, c), y01 = s1.sub(s2).sub(s3).fma(k, c);
            FloatVector y10 = e0.add(e1).add(e2).fma(k, c), y11 = e1.sub(e2).sub(e3).fma(k, c);
            if (f.pool()) {
                // Relu after the max: the same value, one compare instead of four
                FloatVector p = y00.max(y01).max(y10.max(y11));
                p.blend(zero, p.compare(VectorOperators.LE, floor)).intoArray(out, at);
            } else {
                y00 = y00.blend(zero, y00.compare(VectorOperators.LE, floor));
                y01 = y01.blend(zero, y01.compare(VectorOperators.LE, floor));
                y10 = y10.blend(zero, y10.compare(VectorOperators.LE, floor));
                y11 = y11.blend(zero, y11.compare(VectorOperators.LE, floor));
                int o = 4 * r * lanes + 2 * t;
                PairLanes.ZIP_LO.selectFrom(y00, y01).intoArray(out, o);
                PairLanes.ZIP_HI.selectFrom(y00, y01).intoArray(out, o + L);
                PairLanes.ZIP_LO.selectFrom(y10, y11).intoArray(out, o + 2 * lanes);
                PairLanes.ZIP_HI.selectFrom(y10, y11).intoArray(out, o + 2 * lanes + L);
            }
        }
    }

    /**
     * A row's finished tiles of a band from out[o …] ({@link #output}'s layout) into its output
     * plane at y[yPlane …], dropping the padding lanes. Nothing is written past the band's last
     * output row: the band below may be another thread's.
     */
    private static void copy(float[] out, int o, Tiles g, boolean pool, float[] y, int yPlane) {
        int tw = g.tw(), p = g.pitch(), lanes = g.lanes();
        int th = g.th(), bottom = g.top() + th;
        if (pool) {
            for (int ty = 0, at = yPlane + g.top() * tw; ty < th; ty++) TapConv.copyRow(out, o + ty * p, y, at + ty * tw, tw, yPlane + bottom * tw);
            return;
        }
        int ow = 2 * tw, end = yPlane + 2 * bottom * ow;
        for (int ty = 0, at = yPlane + 2 * g.top() * ow; ty < th; ty++) {
            TapConv.copyRow(out, o + 2 * ty * p, y, at + 2 * ty * ow, ow, end);
            TapConv.copyRow(out, o + 2 * lanes + 2 * ty * p, y, at + (2 * ty + 1) * ow, ow, end);
        }
    }
}
