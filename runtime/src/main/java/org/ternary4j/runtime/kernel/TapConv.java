package org.ternary4j.runtime.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exact stride-1 ternary convolution of finite inputs over its taps: per quad of output
 * channels, the input offsets where at least one of the four has a nonzero code, in padded input
 * order, each one FMA per channel of its coefficient (−1, 0 or +1, broadcast) and a vector of
 * output pixels. A zero coefficient's FMA adds ±0 to a sum that is never −0 (it starts at +0, and
 * a rounded sum of finite floats is −0 only when both terms are), so it changes no bit, nor does
 * skipping a tap all four lack: each output is {@link PixelKernel}'s FMA chain in padded input
 * order, then 0 + sum·scale.
 *
 * <p>The input is a {@link Frame} in native memory aligned to 64 bytes: a misaligned 512-bit
 * load crosses two cache lines, and Java arrays give no alignment (the same kernel ran 1.5× slower
 * reading a heap array). Five pixel vectors are loaded per tap and each feeds four FMAs: twenty
 * chains, bound by the FMAs (two vectors, eight chains, where vectors are 256 bits and registers
 * 16: the twenty spilled, and VGG's 16-channel 28×28 conv took 121 against 75 µs on a Zen 3). Skipping zero codes instead (each channel pair over its own nonzero
 * taps, 55 % of the dense FMAs at TNT's sparsity) needed a load and a bounds check per FMA and ran
 * at about one FMA per cycle, where these run at two: VGG at batch 1 went from 92.5–97.4 to
 * 85.1–91.9 µs an image (alternating runs; six vectors spilled two accumulators). A union of both channels'
 * taps, slices to drop the bounds checks and heap arrays measured no better in a harness.
 * Pixel blocks of whole output rows are the outer loop and channel quads the inner one, so a
 * block's input window stays near the core while every channel reads it. Each block's rows then
 * get the layer's {@link Finish} (bias, normalization, Relu, a 2×2 max pool) and go straight to
 * the output, without a full-size intermediate.
 */
public final class TapConv {
    private TapConv() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final long VB = (long) L * Float.BYTES;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /**
     * What follows the product, per output channel: + bias, then ·scale + shift, then Relu (each
     * part absent when null or false), as the unfused nodes compute them, then a 2×2 stride-2 max
     * pool or not.
     */
    public record Finish(float[] bias, float[] scale, float[] shift, boolean relu, boolean pool) {}

    /**
     * Whether the taps apply to a conv with these weights and this geometry: one group, stride 1,
     * one scale per row, and padded rows, rounded up to whole vectors, within a third of the output
     * width (the extra columns are computed and dropped).
     */
    static boolean applies(PackedTernaryMatrix m, int groups, int kw, ConvGeometry geo, int w) {
        return m.oneScalePerRow() && applies(groups, kw, geo, w);
    }

    /** {@link #applies(PackedTernaryMatrix, int, int, ConvGeometry, int)} but the weights: a float conv's. */
    static boolean applies(int groups, int kw, ConvGeometry geo, int w) {
        if (groups != 1 || geo.strideH() != 1 || geo.strideW() != 1) return false;
        int ow = geo.outW(w, kw);
        return ow > 0 && 3 * Frame.pitch(geo, w) <= 4 * ow;
    }

    /**
     * One image's input as the taps read it: {@code kw} copies of the zero-padded planes, copy kx
     * shifted left by kx·dilationW columns, rows {@code pitch} apart (whole vectors), so output
     * pixel (oy, ox) reads index oy·pitch + ox of every copy, each vector load aligned. A copy's
     * columns past the padded row hold the next row's first values: they feed only dropped outputs.
     */
    record Frame(int cin, int h, int w, int kh, int kw, ConvGeometry geo, int pitch, int paddedH) {
        static Frame of(int cin, int h, int w, int kh, int kw, ConvGeometry geo) {
            return new Frame(cin, h, w, kh, kw, geo, pitch(geo, w), h + geo.padTop() + geo.padBottom());
        }

        static int pitch(ConvGeometry geo, int w) {
            return (w + geo.padLeft() + geo.padRight() + L - 1) / L * L;
        }

        int plane() {
            return pitch * paddedH;
        }

        /** Floats per copy. */
        int copy() {
            return cin * plane();
        }

        long bytes() {
            return (long) kw * copy() * Float.BYTES;
        }

        int outH() {
            return geo.outH(h, kh);
        }

        int outW() {
            return geo.outW(w, kw);
        }

        /** Where logical input (ci·kh + ky)·kw + kx of output pixel 0 sits, in floats. */
        int offset(int logical) {
            int kx = logical % kw, ky = logical / kw % kh, ci = logical / (kw * kh);
            return kx * copy() + ci * plane() + ky * geo.dilationH() * pitch;
        }

        /**
         * Image img's cin channels of x [n, cin, h, w] into the frame, every float written. Each
         * vector of a copy's row is one load from x, its lanes outside the input row zeroed in a
         * register, and one aligned store: building copy 0 with misaligned stores and the others by
         * shifting it cost about 15 % of a VGG conv, and masked loads from the array took twice as
         * long as this (VGG's 16-channel 28×28 frame: 11.5 against 5.8 µs). The few vectors that
         * start before x or run past its end are zeros in this loop and written by {@link #edges}:
         * with their branch in the loop C2 kept the loaded vectors boxed.
         */
        void fill(float[] x, int img, MemorySegment d) {
            FloatVector zero = FloatVector.zero(F);
            int plane = plane(), copy = copy(), first = img * cin * h * w;
            for (int kx = 0; kx < kw; kx++) {
                int shift = kx * geo.dilationW() - geo.padLeft();
                for (int v = 0; v < pitch; v += L) {
                    VectorMask<Float> outside = F.indexInRange(v + shift, w).not();
                    for (int ci = 0; ci < cin; ci++) {
                        long at = (long) (kx * copy + ci * plane + v) * Float.BYTES;
                        int src = first + ci * h * w + v + shift;
                        for (int row = 0; row < paddedH; row++, at += (long) pitch * Float.BYTES) {
                            int iy = row - geo.padTop(), from = src + iy * w;
                            FloatVector value = iy < 0 || iy >= h || from < 0 || from > x.length - L ? zero : FloatVector.fromArray(F, x, from).blend(zero, outside);
                            value.intoMemorySegment(d, at, ORDER);
                        }
                    }
                }
            }
            edges(x, img, d);
        }

        /** The vectors {@link #fill} left zero because they start before x or run past its end (first and last channel only). */
        private void edges(float[] x, int img, MemorySegment d) {
            int plane = plane(), copy = copy(), first = img * cin * h * w;
            for (int kx = 0; kx < kw; kx++) {
                int shift = kx * geo.dilationW() - geo.padLeft();
                for (int v = 0; v < pitch; v += L) {
                    VectorMask<Float> m = F.indexInRange(v + shift, w);
                    for (int ci = 0; ci < cin; ci += Math.max(1, cin - 1)) {
                        long at = (long) (kx * copy + ci * plane + v) * Float.BYTES;
                        int src = first + ci * h * w + v + shift;
                        for (int row = 0; row < paddedH; row++, at += (long) pitch * Float.BYTES) {
                            int iy = row - geo.padTop(), from = src + iy * w;
                            if (iy >= 0 && iy < h && (from < 0 || from > x.length - L)) edge(x, from, m).intoMemorySegment(d, at, ORDER);
                        }
                    }
                }
            }
        }
    }

    /**
     * The vector of lanes x[from + i] where m is set and zeros elsewhere, for a vector that starts
     * before x or runs past its end (the first or last row of a plane): the Vector API's own masked
     * load checks such a vector lane by lane through a slow path, which took 7 % of PP-OCRv4's
     * detector.
     */
    private static FloatVector edge(float[] x, int from, VectorMask<Float> m) {
        float[] lanes = new float[L];
        for (int i = 0; i < L; i++) if (m.laneIsSet(i)) lanes[i] = x[from + i];
        return FloatVector.fromArray(F, lanes, 0);
    }

    /**
     * Per quad of output channels q (rows 4q … 4q + 3; rows past the last have coefficient 0 and
     * their outputs are dropped), the taps where at least one of the four has a nonzero weight, in
     * padded input order, at [q·cap, q·cap + count[q]): the frame offset in off and the four
     * coefficients in coef[4e …] (−1, 0 or +1 for codes; the weights of a float conv).
     */
    private record Taps(int[] off, float[] coef, int[] count, int cap) {
        static Taps of(PackedTernaryMatrix m, Frame frame) {
            ReductionLayout l = m.layout();
            int len = FloatKernels.usedSteps(l) * ReductionLayout.STEP, rows = m.rows();
            int[] at = new int[len];
            for (int i = 0; i < l.k(); i++) at[l.padded(i)] = frame.offset(i);
            float[] codes = new float[rows * len];
            for (int r = 0; r < rows; r++) FloatKernels.decodeRow(m, r, len / ReductionLayout.STEP, codes, null, r * len);
            return union(codes, rows, len, at);
        }

        /** Float weights [rows, k] (logical input order); a zero weight is skipped like a zero code. */
        static Taps of(float[] w, int rows, int k, Frame frame) {
            int[] at = new int[k];
            for (int i = 0; i < k; i++) at[i] = frame.offset(i);
            return union(w, rows, k, at);
        }

        /** The quads' taps from dense coefficients [rows, len] in padded order, frame offset at[p] for place p (pads have 0 everywhere). */
        private static Taps union(float[] dense, int rows, int len, int[] at) {
            int quads = (rows + 3) / 4;
            int[] off = new int[quads * len], count = new int[quads];
            float[] coef = new float[4 * quads * len];
            for (int q = 0; q < quads; q++) {
                int e = q * len;
                for (int p = 0; p < len; p++) {
                    boolean any = false;
                    for (int c = 0; c < 4 && 4 * q + c < rows; c++) any |= dense[(4 * q + c) * len + p] != 0f;
                    if (!any) continue;
                    off[e] = at[p];
                    for (int c = 0; c < 4 && 4 * q + c < rows; c++) coef[4 * e + c] = dense[(4 * q + c) * len + p];
                    e++;
                }
                count[q] = e - q * len;
            }
            return new Taps(off, coef, count, len);
        }
    }

    /**
     * A conv's taps for the input shape it last ran on, so that a layer seeing one shape run after
     * run decodes its codes once (building them per call took 6 % of VGG's time at batch 1).
     */
    static final class Cache {
        private volatile Built last;

        private record Built(Frame frame, Taps taps, float[] scale) {}

        private Built get(Frame frame, java.util.function.Function<Frame, Built> build) {
            Built b = last;
            if (b == null || !b.frame().equals(frame)) last = b = build.apply(frame);
            return b;
        }
    }

    /**
     * x [n, c, h, w] (finite) convolved with m's rows (see {@link #applies}), each row times its
     * scale and finished by f, into y: [n, rows, outH, outW], or [n, rows, ⌊outH/2⌋, ⌊outW/2⌋] when
     * f pools. Whole images per thread when the batch has one per thread; otherwise channel quads
     * are shared when the image is large enough ({@code share}). The taps are kept in {@code cache}.
     */
    static void forward(PackedTernaryMatrix m, Cache cache, int kh, int kw, float[] x, int n, int c, int h, int w, ConvGeometry geo, Finish f,
                        float[] y, Parallel par, boolean share) {
        Cache.Built b = cache.get(Frame.of(c, h, w, kh, kw, geo), frame -> {
            float[] k = new float[m.rows()];
            for (int r = 0; r < k.length; r++) k[r] = m.scalePos().get(r);
            return new Cache.Built(frame, Taps.of(m, frame), k);
        });
        run(new Layer(b.frame(), b.taps(), b.scale(), f), x, n, y, par, share);
    }

    /**
     * As {@link #forward} for float weights [rows, c·kh·kw] (a float conv of one group; scale 1,
     * and 0 + sum·1 is the sum: the same bits as {@link Fp32Conv2d}'s kernel).
     */
    static void forwardFloat(float[] weights, Cache cache, int rows, int kh, int kw, float[] x, int n, int c, int h, int w, ConvGeometry geo, Finish f,
                             float[] y, Parallel par, boolean share) {
        Cache.Built b = cache.get(Frame.of(c, h, w, kh, kw, geo), frame -> {
            float[] one = new float[rows];
            java.util.Arrays.fill(one, 1f);
            return new Cache.Built(frame, Taps.of(weights, rows, c * kh * kw, frame), one);
        });
        run(new Layer(b.frame(), b.taps(), b.scale(), f), x, n, y, par, share);
    }

    private static void run(Layer layer, float[] x, int n, float[] y, Parallel par, boolean share) {
        int quads = (layer.scale().length + 3) / 4;
        if (Batching.acrossImages(n, par)) {
            par.forRange(n, 1, (i0, i1) -> {
                for (int img = i0; img < i1; img++) layer.image(layer.fill(x, img), img, y, 0, quads);
            });
            return;
        }
        for (int img = 0; img < n; img++) {
            MemorySegment d = layer.fill(x, img);
            int image = img;
            if (share) par.forRange(quads, 1, (q0, q1) -> layer.image(d, image, y, q0, q1));
            else layer.image(d, img, y, 0, quads);
        }
    }

    /** A call's prepared pieces. */
    private record Layer(Frame frame, Taps taps, float[] scale, Finish finish) {
        /** Image img in this thread's frame memory. */
        MemorySegment fill(float[] x, int img) {
            MemorySegment d = Scratch.aligned(Scratch.Slot.TAP_FRAME, frame.bytes());
            frame.fill(x, img, d);
            return d;
        }

        /** Channel quads [q0, q1) of image img, read from frame memory d, into y. */
        void image(MemorySegment d, int img, float[] y, int q0, int q1) {
            int oh = frame.outH(), ow = frame.outW(), pitch = frame.pitch(), rv = pitch / L, rows = scale.length;
            // the last block takes what is left below two blocks (14 rows of one vector, pooled: all 14)
            int rowsPerBlock = rowsPerBlock(rv, finish.pool());
            int blockLen = (2 * rowsPerBlock - 1) * pitch;
            float[] tmp = Scratch.floats(Scratch.Slot.TAP_BLOCK, 4 * blockLen);
            int outPlane = finish.pool() ? (oh / 2) * (ow / 2) : oh * ow, yImage = img * rows * outPlane;
            int[] off = taps.off(), count = taps.count();
            float[] coef = taps.coef();
            int cap = taps.cap();
            for (int row0 = 0, nr; row0 < oh; row0 += nr) {
                nr = oh - row0 < 2 * rowsPerBlock ? oh - row0 : rowsPerBlock;
                int vectors = nr * rv;
                long j = (long) row0 * pitch * Float.BYTES;
                for (int q = q0; q < q1; q++) {
                    Quad k = new Quad(q * cap, count[q], scaleOf(4 * q), scaleOf(4 * q + 1), scaleOf(4 * q + 2), scaleOf(4 * q + 3), blockLen);
                    int v = 0;
                    if (VectorWidth.WIDE) {
                        for (; v + 5 <= vectors; v += 5) quad5(d, off, coef, k, j + v * VB, tmp, v * L);
                        if (v + 4 <= vectors) {
                            quad4(d, off, coef, k, j + v * VB, tmp, v * L);
                            v += 4;
                        }
                    }
                    for (; v + 2 <= vectors; v += 2) quad2(d, off, coef, k, j + v * VB, tmp, v * L);
                    if (v < vectors) quad1(d, off, coef, k, j + v * VB, tmp, v * L);
                    emit(tmp, blockLen, Math.min(4, rows - 4 * q), nr, 4 * q, row0, y, yImage + 4 * q * outPlane, outPlane, pitch, ow, oh);
                }
            }
        }

        /** Row r's scale, 0 past the last row (a quad's missing channels, whose outputs are dropped). */
        private float scaleOf(int r) {
            return r < scale.length ? scale[r] : 0f;
        }

        /**
         * Output rows per block: whole rows making a multiple of five vectors (the widest kernel's
         * step) up to twenty, an even number when pooling; otherwise about eight vectors.
         */
        static int rowsPerBlock(int rv, boolean pool) {
            for (int r = 1; r * rv <= 20; r++) if (r * rv % 5 == 0 && (!pool || r % 2 == 0)) return r;
            int r = Math.max(1, 8 / rv);
            return pool && r % 2 != 0 ? r + 1 : r;
        }

        /**
         * A quad's blocks of nr raw rows (channel ch0 + c's at tmp[c·blockLen + r·pitch …], for its
         * first {@code channels}) finished into their output planes from yPlane on, one call per
         * quad with the geometry passed in: called per channel and reading it from the frame, with
         * each row stored as masked vectors, the calls' fixed costs made this a seventh of VGG's
         * time at batch 1. A row goes out as one copy (its dropped columns past ow stay behind).
         */
        private void emit(float[] tmp, int blockLen, int channels, int nr, int ch0, int row0, float[] y, int yPlane, int outPlane, int pitch, int ow, int oh) {
            for (int c = 0; c < channels; c++) {
                int t0 = c * blockLen, plane = yPlane + c * outPlane;
                finishRows(finish, ch0 + c, tmp, t0, nr * pitch);
                if (finish.pool()) {
                    pool(tmp, t0, nr, pitch, ow, oh, row0, y, plane);
                    continue;
                }
                for (int r = 0; r < nr; r++) copyRow(tmp, t0 + r * pitch, y, plane + (row0 + r) * ow, ow, plane + outPlane);
            }
        }
    }

    /**
     * src[s, s + n) into dst[d …], a row of an output plane whose rows are written in order, in
     * whole vectors where an arraycopy call per row had cost about 10 ns (VGG's first conv writes
     * 448 rows of 28 per image): a row of at least a vector ends with one that overlaps the one
     * before; a shorter one is one vector whose lanes past n land on the rows after it, written
     * later, unless they would pass the plane's end (another thread's plane, perhaps): then it is copied.
     */
    static void copyRow(float[] src, int s, float[] dst, int d, int n, int planeEnd) {
        if (n >= L) {
            for (int i = 0; i + L < n; i += L) FloatVector.fromArray(F, src, s + i).intoArray(dst, d + i);
            FloatVector.fromArray(F, src, s + n - L).intoArray(dst, d + n - L);
        } else if (d + L <= planeEnd && s + L <= src.length) {
            FloatVector.fromArray(F, src, s).intoArray(dst, d);
        } else {
            System.arraycopy(src, s, dst, d, n);
        }
    }

    /**
     * The finish before the pool in place over tmp[from, from + len), as ConvFinish computes it:
     * + b, ·s + t, then Relu as a compare and a blend. Written out in one loop: a vector handed to
     * a method that C2 does not inline is boxed. No branch in the loop either: a vector updated
     * under a condition (`if (biased) v = v.add(b)`) merges two values at the join, and C2 kept
     * such vectors boxed in some JVMs (VGG at batch 16 then allocated 5.5 MB a run and ran 40 %
     * slower). An absent part is its identity instead: + 0 and ·1 + 0 change no value here (the
     * products are 0 + sum·scale, never −0), and Relu compares with NaN, which is never true.
     */
    private static void finishRows(Finish f, int ch, float[] tmp, int from, int len) {
        boolean biased = f.bias() != null, normed = f.scale() != null, relu = f.relu();
        if (!biased && !normed && !relu) return;
        float b = biased ? f.bias()[ch] : 0f, s = normed ? f.scale()[ch] : 1f, t = normed ? f.shift()[ch] : 0f, floor = relu ? 0f : Float.NaN;
        FloatVector zero = FloatVector.zero(F);
        for (int i = from; i < from + len; i += L) {
            FloatVector v = FloatVector.fromArray(F, tmp, i).add(b).mul(s).add(t);
            v.blend(zero, v.compare(VectorOperators.LE, floor)).intoArray(tmp, i);
        }
    }

    /** The 2×2 stride-2 max of the finished rows (pairs from the block's first row, which is even) into the pooled plane at yPlane, as ConvFinish pools. */
    private static void pool(float[] tmp, int t0, int nr, int pitch, int ow, int oh, int row0, float[] y, int yPlane) {
        int pw = ow / 2, ph = oh / 2;
        for (int r = 0; r + 1 < nr && (row0 + r) / 2 < ph; r += 2) {
            int r0 = t0 + r * pitch;
            PairLanes.maxPool(tmp, r0, r0 + pitch, 2 * pw, y, yPlane + (row0 + r) / 2 * pw);
        }
    }

    /**
     * A channel quad's taps at off/coef[base …], count long, the four rows' scales, and the
     * distance between the rows' blocks in tmp.
     */
    private record Quad(int base, int count, float k0, float k1, float k2, float k3, int stride) {}

    /**
     * Five vectors of pixels from byte j for the quad's four channels: each Σ over the taps of
     * coefficient·input in tap order, then 0 + sum·k, into tmp[t …] for channel 0 and one stride
     * further for each next channel. Each input vector loaded feeds four FMAs: twenty chains,
     * bound by the FMAs (see the class comment).
     */
    private static void quad5(MemorySegment d, int[] off, float[] coef, Quad k, long j, float[] tmp, int t) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, b0 = z, b1 = z, b2 = z, b3 = z, b4 = z;
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, d0 = z, d1 = z, d2 = z, d3 = z, d4 = z;
        for (int e = k.base(), end = k.base() + k.count(); e < end; e++) {
            long p = off[e] * (long) Float.BYTES + j;
            FloatVector x0 = FloatVector.fromMemorySegment(F, d, p, ORDER), x1 = FloatVector.fromMemorySegment(F, d, p + VB, ORDER);
            FloatVector x2 = FloatVector.fromMemorySegment(F, d, p + 2 * VB, ORDER), x3 = FloatVector.fromMemorySegment(F, d, p + 3 * VB, ORDER);
            FloatVector x4 = FloatVector.fromMemorySegment(F, d, p + 4 * VB, ORDER);
            FloatVector s = FloatVector.broadcast(F, coef[4 * e]), u = FloatVector.broadcast(F, coef[4 * e + 1]);
            FloatVector v = FloatVector.broadcast(F, coef[4 * e + 2]), w = FloatVector.broadcast(F, coef[4 * e + 3]);
            a0 = s.fma(x0, a0); a1 = s.fma(x1, a1); a2 = s.fma(x2, a2); a3 = s.fma(x3, a3); a4 = s.fma(x4, a4);
            b0 = u.fma(x0, b0); b1 = u.fma(x1, b1); b2 = u.fma(x2, b2); b3 = u.fma(x3, b3); b4 = u.fma(x4, b4);
            c0 = v.fma(x0, c0); c1 = v.fma(x1, c1); c2 = v.fma(x2, c2); c3 = v.fma(x3, c3); c4 = v.fma(x4, c4);
            d0 = w.fma(x0, d0); d1 = w.fma(x1, d1); d2 = w.fma(x2, d2); d3 = w.fma(x3, d3); d4 = w.fma(x4, d4);
        }
        int o = t;
        z.add(a0.mul(k.k0())).intoArray(tmp, o); z.add(a1.mul(k.k0())).intoArray(tmp, o + L); z.add(a2.mul(k.k0())).intoArray(tmp, o + 2 * L);
        z.add(a3.mul(k.k0())).intoArray(tmp, o + 3 * L); z.add(a4.mul(k.k0())).intoArray(tmp, o + 4 * L);
        o += k.stride();
        z.add(b0.mul(k.k1())).intoArray(tmp, o); z.add(b1.mul(k.k1())).intoArray(tmp, o + L); z.add(b2.mul(k.k1())).intoArray(tmp, o + 2 * L);
        z.add(b3.mul(k.k1())).intoArray(tmp, o + 3 * L); z.add(b4.mul(k.k1())).intoArray(tmp, o + 4 * L);
        o += k.stride();
        z.add(c0.mul(k.k2())).intoArray(tmp, o); z.add(c1.mul(k.k2())).intoArray(tmp, o + L); z.add(c2.mul(k.k2())).intoArray(tmp, o + 2 * L);
        z.add(c3.mul(k.k2())).intoArray(tmp, o + 3 * L); z.add(c4.mul(k.k2())).intoArray(tmp, o + 4 * L);
        o += k.stride();
        z.add(d0.mul(k.k3())).intoArray(tmp, o); z.add(d1.mul(k.k3())).intoArray(tmp, o + L); z.add(d2.mul(k.k3())).intoArray(tmp, o + 2 * L);
        z.add(d3.mul(k.k3())).intoArray(tmp, o + 3 * L); z.add(d4.mul(k.k3())).intoArray(tmp, o + 4 * L);
    }

    /** {@link #quad5} for four vectors. */
    private static void quad4(MemorySegment d, int[] off, float[] coef, Quad k, long j, float[] tmp, int t) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z, c0 = z, c1 = z, c2 = z, c3 = z, d0 = z, d1 = z, d2 = z, d3 = z;
        for (int e = k.base(), end = k.base() + k.count(); e < end; e++) {
            long p = off[e] * (long) Float.BYTES + j;
            FloatVector x0 = FloatVector.fromMemorySegment(F, d, p, ORDER), x1 = FloatVector.fromMemorySegment(F, d, p + VB, ORDER);
            FloatVector x2 = FloatVector.fromMemorySegment(F, d, p + 2 * VB, ORDER), x3 = FloatVector.fromMemorySegment(F, d, p + 3 * VB, ORDER);
            FloatVector s = FloatVector.broadcast(F, coef[4 * e]), u = FloatVector.broadcast(F, coef[4 * e + 1]);
            FloatVector v = FloatVector.broadcast(F, coef[4 * e + 2]), w = FloatVector.broadcast(F, coef[4 * e + 3]);
            a0 = s.fma(x0, a0); a1 = s.fma(x1, a1); a2 = s.fma(x2, a2); a3 = s.fma(x3, a3);
            b0 = u.fma(x0, b0); b1 = u.fma(x1, b1); b2 = u.fma(x2, b2); b3 = u.fma(x3, b3);
            c0 = v.fma(x0, c0); c1 = v.fma(x1, c1); c2 = v.fma(x2, c2); c3 = v.fma(x3, c3);
            d0 = w.fma(x0, d0); d1 = w.fma(x1, d1); d2 = w.fma(x2, d2); d3 = w.fma(x3, d3);
        }
        int o = t;
        z.add(a0.mul(k.k0())).intoArray(tmp, o); z.add(a1.mul(k.k0())).intoArray(tmp, o + L); z.add(a2.mul(k.k0())).intoArray(tmp, o + 2 * L); z.add(a3.mul(k.k0())).intoArray(tmp, o + 3 * L);
        o += k.stride();
        z.add(b0.mul(k.k1())).intoArray(tmp, o); z.add(b1.mul(k.k1())).intoArray(tmp, o + L); z.add(b2.mul(k.k1())).intoArray(tmp, o + 2 * L); z.add(b3.mul(k.k1())).intoArray(tmp, o + 3 * L);
        o += k.stride();
        z.add(c0.mul(k.k2())).intoArray(tmp, o); z.add(c1.mul(k.k2())).intoArray(tmp, o + L); z.add(c2.mul(k.k2())).intoArray(tmp, o + 2 * L); z.add(c3.mul(k.k2())).intoArray(tmp, o + 3 * L);
        o += k.stride();
        z.add(d0.mul(k.k3())).intoArray(tmp, o); z.add(d1.mul(k.k3())).intoArray(tmp, o + L); z.add(d2.mul(k.k3())).intoArray(tmp, o + 2 * L); z.add(d3.mul(k.k3())).intoArray(tmp, o + 3 * L);
    }

    /** {@link #quad5} for two vectors. */
    private static void quad2(MemorySegment d, int[] off, float[] coef, Quad k, long j, float[] tmp, int t) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z, d0 = z, d1 = z;
        for (int e = k.base(), end = k.base() + k.count(); e < end; e++) {
            long p = off[e] * (long) Float.BYTES + j;
            FloatVector x0 = FloatVector.fromMemorySegment(F, d, p, ORDER), x1 = FloatVector.fromMemorySegment(F, d, p + VB, ORDER);
            FloatVector s = FloatVector.broadcast(F, coef[4 * e]), u = FloatVector.broadcast(F, coef[4 * e + 1]);
            FloatVector v = FloatVector.broadcast(F, coef[4 * e + 2]), w = FloatVector.broadcast(F, coef[4 * e + 3]);
            a0 = s.fma(x0, a0); a1 = s.fma(x1, a1); b0 = u.fma(x0, b0); b1 = u.fma(x1, b1);
            c0 = v.fma(x0, c0); c1 = v.fma(x1, c1); d0 = w.fma(x0, d0); d1 = w.fma(x1, d1);
        }
        int o = t;
        z.add(a0.mul(k.k0())).intoArray(tmp, o); z.add(a1.mul(k.k0())).intoArray(tmp, o + L);
        o += k.stride();
        z.add(b0.mul(k.k1())).intoArray(tmp, o); z.add(b1.mul(k.k1())).intoArray(tmp, o + L);
        o += k.stride();
        z.add(c0.mul(k.k2())).intoArray(tmp, o); z.add(c1.mul(k.k2())).intoArray(tmp, o + L);
        o += k.stride();
        z.add(d0.mul(k.k3())).intoArray(tmp, o); z.add(d1.mul(k.k3())).intoArray(tmp, o + L);
    }

    /** {@link #quad5} for one vector. */
    private static void quad1(MemorySegment d, int[] off, float[] coef, Quad k, long j, float[] tmp, int t) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, b0 = z, c0 = z, d0 = z;
        for (int e = k.base(), end = k.base() + k.count(); e < end; e++) {
            FloatVector x0 = FloatVector.fromMemorySegment(F, d, off[e] * (long) Float.BYTES + j, ORDER);
            a0 = FloatVector.broadcast(F, coef[4 * e]).fma(x0, a0);
            b0 = FloatVector.broadcast(F, coef[4 * e + 1]).fma(x0, b0);
            c0 = FloatVector.broadcast(F, coef[4 * e + 2]).fma(x0, c0);
            d0 = FloatVector.broadcast(F, coef[4 * e + 3]).fma(x0, d0);
        }
        z.add(a0.mul(k.k0())).intoArray(tmp, t);
        z.add(b0.mul(k.k1())).intoArray(tmp, t + k.stride());
        z.add(c0.mul(k.k2())).intoArray(tmp, t + 2 * k.stride());
        z.add(d0.mul(k.k3())).intoArray(tmp, t + 3 * k.stride());
    }
}
