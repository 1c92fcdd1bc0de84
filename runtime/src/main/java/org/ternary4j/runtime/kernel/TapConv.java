package org.ternary4j.runtime.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exact stride-1 ternary convolution of finite inputs over its nonzero codes only ("taps"):
 * per output channel, the (input offset, sign) of each nonzero code in padded input order, each
 * one FMA of a broadcast ±1 and a vector of output pixels. A zero code's FMA would add ±0 to a sum
 * that is never −0 (it starts at +0, and a rounded sum of finite floats is −0 only when both terms
 * are), so skipping it changes no bit: each output is {@link PixelKernel}'s FMA chain in padded
 * input order, then 0 + sum·scale. TNT codes are about 45 % zeros, which are never multiplied here.
 *
 * <p>The input is a {@link Frame} in native memory aligned to 64 bytes: a misaligned 512-bit
 * load crosses two cache lines, and Java arrays give no alignment (the same kernel ran 1.5× slower
 * reading a heap array). Two output channels run together, the shorter tap list padded with
 * sign-0 taps (an FMA that adds +0: no change), eight pixel vectors each: sixteen FMA chains in
 * flight, and a tap's offset and sign loads shared by eight FMAs. Every FMA needs a load of its
 * own (no other channel shares the tap), so the kernel is bound by loads, not FMAs: on VGG's convs
 * it does 55 % of the dense FMAs in about 95 % of the dense kernel's time on the same aligned frame.
 * Pixel blocks of whole output rows are the outer loop and channel pairs the inner one, so a
 * block's input window stays in L1 while every channel reads it. Each block's rows then get the
 * layer's {@link Finish} (bias, normalization, Relu, a 2×2 max pool) and go straight to the
 * output, without a full-size intermediate.
 */
public final class TapConv {
    private TapConv() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final long VB = (long) L * Float.BYTES;
    /** Vectors of output pixels per block: a channel pair's sixteen FMA chains. */
    private static final int BLOCK = 8;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Whether the taps are gathered with 16-lane compressing stores (AVX-512); otherwise one code at a time. */
    private static final boolean COMPRESS = IntVector.SPECIES_PREFERRED.length() >= ReductionLayout.STEP;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    /** Each thread's frame memory, grown on demand and freed with the thread. */
    private static final ThreadLocal<MemorySegment[]> FRAMES = ThreadLocal.withInitial(() -> new MemorySegment[1]);

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
        return !m.twoScales() && m.layout().segments() == 1 && applies(groups, kw, geo, w);
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
     * Per row r, its nonzero codes in padded order at [r·cap, r·cap + count[r]): frame offsets in
     * off, signs ±1 in sign. Rows run in pairs (2q, 2q + 1; the last row paired with itself when
     * the count is odd), and the shorter list of a pair is padded to the longer one's length with
     * offset 0 and sign 0, so {@code count[2q]} and {@code count[2q+1]} are equal.
     */
    private record Taps(int[] off, float[] sign, int[] count, int cap) {
        static Taps of(PackedTernaryMatrix m, Frame frame) {
            ReductionLayout l = m.layout();
            int used = FloatKernels.usedSteps(l), len = used * ReductionLayout.STEP, rows = m.rows();
            // room for a whole vector past the last tap, which the compressed stores write and never count
            int cap = len + ReductionLayout.STEP;
            int[] at = Scratch.ints(Scratch.Slot.TAP_PLACES, len);
            java.util.Arrays.fill(at, 0, len, 0);
            for (int i = 0; i < l.k(); i++) at[l.padded(i)] = frame.offset(i);
            int[] off = new int[rows * cap];
            float[] sign = new float[rows * cap];
            int[] count = new int[rows + 1];
            for (int r = 0; r < rows; r++) count[r] = COMPRESS ? compress(m, r, used, at, off, sign, r * cap) : gather(m, r, used, at, off, sign, r * cap);
            padPairs(off, sign, count, cap, rows);
            return new Taps(off, sign, count, cap);
        }

        /**
         * Float weights [rows, k] (logical input order): every weight a tap, zeros included, so
         * each output is the FMA chain of {@link Fp32Conv2d}'s kernel, whatever the input.
         */
        static Taps of(float[] w, int rows, int k, Frame frame) {
            int cap = k;
            int[] off = new int[rows * cap];
            float[] sign = new float[rows * cap];
            int[] count = new int[rows + 1];
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < k; i++) off[r * cap + i] = frame.offset(i);
                System.arraycopy(w, r * k, sign, r * cap, k);
                count[r] = k;
            }
            return new Taps(off, sign, count, cap);
        }

        /** The shorter list of each pair padded to the longer one's length with offset 0 and sign 0. */
        private static void padPairs(int[] off, float[] sign, int[] count, int cap, int rows) {
            for (int a = 0; a < rows; a += 2) {
                int b = a + 1, n = Math.max(count[a], count[b]);
                for (int r = a; r <= Math.min(b, rows - 1); r++) {
                    java.util.Arrays.fill(off, r * cap + count[r], r * cap + n, 0);
                    java.util.Arrays.fill(sign, r * cap + count[r], r * cap + n, 0f);
                    count[r] = n;
                }
            }
        }

        /** Row r's nonzero codes, a step of 16 at a time with compressing stores, to off/sign[to …]; returns their count. */
        private static int compress(PackedTernaryMatrix m, int r, int used, int[] at, int[] off, float[] sign, int to) {
            int e = to;
            for (int t = 0; t < used; t++) {
                IntVector c = ((IntVector) m.stepCodes(r, t).convertShape(VectorOperators.S2I, I16, 0)).sub(1);
                VectorMask<Integer> nz = c.compare(VectorOperators.NE, 0);
                IntVector.fromArray(I16, at, t * ReductionLayout.STEP).compress(nz).intoArray(off, e);
                ((FloatVector) c.convert(VectorOperators.I2F, 0)).compress(nz.cast(F16)).intoArray(sign, e);
                e += nz.trueCount();
            }
            return e - to;
        }

        /**
         * As {@link #compress} one code at a time, branch-free (each place is written, the index
         * advances only past a nonzero code): the codes are random, and a branch per code would
         * mispredict about every other time.
         */
        private static int gather(PackedTernaryMatrix m, int r, int used, int[] at, int[] off, float[] sign, int to) {
            short[] u = new short[ReductionLayout.STEP];
            int e = to;
            for (int t = 0; t < used; t++) {
                m.stepCodes(r, t).intoArray(u, 0);
                for (int i = 0; i < u.length; i++) {
                    int code = u[i] - 1;
                    off[e] = at[t * ReductionLayout.STEP + i];
                    sign[e] = code;
                    e += code & 1;
                }
            }
            return e - to;
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
     * f pools. Whole images per thread when the batch has one per thread; otherwise channel pairs
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
        int pairs = (layer.scale().length + 1) / 2;
        if (Batching.acrossImages(n, par)) {
            par.forRange(n, 1, (i0, i1) -> {
                for (int img = i0; img < i1; img++) layer.image(layer.fill(x, img), img, y, 0, pairs);
            });
            return;
        }
        for (int img = 0; img < n; img++) {
            MemorySegment d = layer.fill(x, img);
            int image = img;
            if (share) par.forRange(pairs, 1, (q0, q1) -> layer.image(d, image, y, q0, q1));
            else layer.image(d, img, y, 0, pairs);
        }
    }

    /** A call's prepared pieces. */
    private record Layer(Frame frame, Taps taps, float[] scale, Finish finish) {
        /** Image img in this thread's frame memory. */
        MemorySegment fill(float[] x, int img) {
            MemorySegment[] held = FRAMES.get();
            if (held[0] == null || held[0].byteSize() < frame.bytes()) held[0] = Arena.ofAuto().allocate(Math.max(frame.bytes(), 1 << 16), 64);
            frame.fill(x, img, held[0]);
            return held[0];
        }

        /** Channel pairs [q0, q1) of image img, read from frame memory d, into y. */
        void image(MemorySegment d, int img, float[] y, int q0, int q1) {
            int oh = frame.outH(), ow = frame.outW(), pitch = frame.pitch(), rv = pitch / L, rows = scale.length;
            // whole rows per block, about BLOCK vectors, an even number of rows when pooling; the
            // last block takes what is left below two blocks (14 rows of one vector: 8 and 6)
            int rowsPerBlock = Math.max(1, BLOCK / rv);
            if (finish.pool() && rowsPerBlock % 2 != 0) rowsPerBlock++;
            int blockLen = (2 * rowsPerBlock - 1) * pitch;
            float[] tmp = Scratch.floats(Scratch.Slot.TAP_BLOCK, 2 * blockLen);
            int outPlane = finish.pool() ? (oh / 2) * (ow / 2) : oh * ow, yImage = img * rows * outPlane;
            int[] off = taps.off(), count = taps.count();
            float[] sign = taps.sign();
            int cap = taps.cap();
            for (int row0 = 0, nr; row0 < oh; row0 += nr) {
                nr = oh - row0 < 2 * rowsPerBlock ? oh - row0 : rowsPerBlock;
                int vectors = nr * rv;
                long j = (long) row0 * pitch * Float.BYTES;
                for (int q = q0; q < q1; q++) {
                    int a = 2 * q, b = Math.min(a + 1, rows - 1);
                    Pair p = new Pair(a * cap, b * cap, count[a], scale[a], scale[b]);
                    int v = 0;
                    for (; v + 8 <= vectors; v += 8) pair8(d, off, sign, p, j + v * VB, tmp, v * L, blockLen + v * L);
                    if (v + 6 <= vectors) {
                        pair6(d, off, sign, p, j + v * VB, tmp, v * L, blockLen + v * L);
                        v += 6;
                    }
                    for (; v + 4 <= vectors; v += 4) pair4(d, off, sign, p, j + v * VB, tmp, v * L, blockLen + v * L);
                    if (v + 2 <= vectors) {
                        pair2(d, off, sign, p, j + v * VB, tmp, v * L, blockLen + v * L);
                        v += 2;
                    }
                    if (v < vectors) pair1(d, off, sign, p, j + v * VB, tmp, v * L, blockLen + v * L);
                    emit(tmp, 0, nr, a, row0, y, yImage + a * outPlane);
                    if (b != a) emit(tmp, blockLen, nr, b, row0, y, yImage + b * outPlane);
                }
            }
        }

        /** Channel ch's block of nr raw rows (tmp[t0 + r·pitch …]) finished into its output plane at yPlane. */
        private void emit(float[] tmp, int t0, int nr, int ch, int row0, float[] y, int yPlane) {
            int pitch = frame.pitch(), ow = frame.outW();
            finishRows(finish, ch, tmp, t0, nr * pitch);
            if (finish.pool()) {
                pool(tmp, t0, nr, pitch, ow, frame.outH(), row0, y, yPlane);
                return;
            }
            for (int r = 0; r < nr; r++) {
                int src = t0 + r * pitch, dst = yPlane + (row0 + r) * ow;
                for (int col = 0; col < ow; col += L) FloatVector.fromArray(F, tmp, src + col).intoArray(y, dst + col, F.indexInRange(col, ow));
            }
        }
    }

    /**
     * The finish before the pool in place over tmp[from, from + len), as ConvFinish computes it:
     * + b, ·s + t, then Relu as a compare and a blend. Written out in one loop: a vector handed to
     * a method that C2 does not inline is boxed.
     */
    private static void finishRows(Finish f, int ch, float[] tmp, int from, int len) {
        boolean biased = f.bias() != null, normed = f.scale() != null, relu = f.relu();
        if (!biased && !normed && !relu) return;
        float b = biased ? f.bias()[ch] : 0f, s = normed ? f.scale()[ch] : 1f, t = normed ? f.shift()[ch] : 0f;
        FloatVector zero = FloatVector.zero(F);
        for (int i = from; i < from + len; i += L) {
            FloatVector v = FloatVector.fromArray(F, tmp, i);
            if (biased) v = v.add(b);
            if (normed) v = v.mul(s).add(t);
            if (relu) v = v.blend(zero, v.compare(VectorOperators.LE, 0f));
            v.intoArray(tmp, i);
        }
    }

    /**
     * The 2×2 stride-2 max of the finished rows (pairs from the block's first row, which is even)
     * into the pooled plane at yPlane, as ConvFinish pools. Kept small, the usual rows of at most
     * two vectors apart: with both loops in one method C1 ran out of registers compiling it, and
     * it stayed in slow, unintrinsified code.
     */
    private static void pool(float[] tmp, int t0, int nr, int pitch, int ow, int oh, int row0, float[] y, int yPlane) {
        int pw = ow / 2, cols = 2 * pw, ph = oh / 2;
        if (cols > 2 * L) {
            poolWide(tmp, t0, nr, pitch, ow, oh, row0, y, yPlane);
            return;
        }
        VectorMask<Float> lo = F.indexInRange(0, cols), hi = F.indexInRange(L, cols), out = F.indexInRange(0, pw);
        for (int r = 0; r + 1 < nr && (row0 + r) / 2 < ph; r += 2) {
            int r0 = t0 + r * pitch, r1 = r0 + pitch;
            FloatVector v0 = FloatVector.fromArray(F, tmp, r0, lo).max(FloatVector.fromArray(F, tmp, r1, lo));
            FloatVector v1 = FloatVector.fromArray(F, tmp, r0 + L, hi).max(FloatVector.fromArray(F, tmp, r1 + L, hi));
            PairLanes.EVEN.selectFrom(v0, v1).max(PairLanes.ODD.selectFrom(v0, v1)).intoArray(y, yPlane + (row0 + r) / 2 * pw, out);
        }
    }

    /** {@link #pool} for rows wider than two vectors. */
    private static void poolWide(float[] tmp, int t0, int nr, int pitch, int ow, int oh, int row0, float[] y, int yPlane) {
        int pw = ow / 2, cols = 2 * pw, ph = oh / 2;
        for (int r = 0; r + 1 < nr && (row0 + r) / 2 < ph; r += 2) {
            int r0 = t0 + r * pitch, r1 = r0 + pitch, dst = yPlane + (row0 + r) / 2 * pw;
            for (int x = 0; x < cols; x += 2 * L) {
                VectorMask<Float> m0 = F.indexInRange(x, cols), m1 = F.indexInRange(x + L, cols);
                FloatVector v0 = FloatVector.fromArray(F, tmp, r0 + x, m0).max(FloatVector.fromArray(F, tmp, r1 + x, m0));
                FloatVector v1 = FloatVector.fromArray(F, tmp, r0 + x + L, m1).max(FloatVector.fromArray(F, tmp, r1 + x + L, m1));
                PairLanes.EVEN.selectFrom(v0, v1).max(PairLanes.ODD.selectFrom(v0, v1)).intoArray(y, dst + x / 2, F.indexInRange(x / 2, pw));
            }
        }
    }

    /** A channel pair's taps: the two lists at off/sign[a …] and [b …], count long each, and the two scales. */
    private record Pair(int a, int b, int count, float ka, float kb) {}

    /**
     * Four vectors of pixels from byte j for the pair's two channels: each Σ over its taps of
     * sign·input in tap order, then 0 + sum·k, into tmp[ta …] and tmp[tb …].
     */
    private static void pair4(MemorySegment d, int[] off, float[] sign, Pair p, long j, float[] tmp, int ta, int tb) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
        for (int e = p.a(), f = p.b(), end = p.a() + p.count(); e < end; e++, f++) {
            long at = off[e] * (long) Float.BYTES + j, bt = off[f] * (long) Float.BYTES + j;
            FloatVector s = FloatVector.broadcast(F, sign[e]), t = FloatVector.broadcast(F, sign[f]);
            a0 = s.fma(FloatVector.fromMemorySegment(F, d, at, ORDER), a0);
            a1 = s.fma(FloatVector.fromMemorySegment(F, d, at + VB, ORDER), a1);
            a2 = s.fma(FloatVector.fromMemorySegment(F, d, at + 2 * VB, ORDER), a2);
            a3 = s.fma(FloatVector.fromMemorySegment(F, d, at + 3 * VB, ORDER), a3);
            b0 = t.fma(FloatVector.fromMemorySegment(F, d, bt, ORDER), b0);
            b1 = t.fma(FloatVector.fromMemorySegment(F, d, bt + VB, ORDER), b1);
            b2 = t.fma(FloatVector.fromMemorySegment(F, d, bt + 2 * VB, ORDER), b2);
            b3 = t.fma(FloatVector.fromMemorySegment(F, d, bt + 3 * VB, ORDER), b3);
        }
        z.add(a0.mul(p.ka())).intoArray(tmp, ta);
        z.add(a1.mul(p.ka())).intoArray(tmp, ta + L);
        z.add(a2.mul(p.ka())).intoArray(tmp, ta + 2 * L);
        z.add(a3.mul(p.ka())).intoArray(tmp, ta + 3 * L);
        z.add(b0.mul(p.kb())).intoArray(tmp, tb);
        z.add(b1.mul(p.kb())).intoArray(tmp, tb + L);
        z.add(b2.mul(p.kb())).intoArray(tmp, tb + 2 * L);
        z.add(b3.mul(p.kb())).intoArray(tmp, tb + 3 * L);
    }

    /** {@link #pair4} for eight vectors: sixteen chains, and the offset and sign loads of a tap shared by twice the FMAs. */
    private static void pair8(MemorySegment d, int[] off, float[] sign, Pair p, long j, float[] tmp, int ta, int tb) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z, b0 = z, b1 = z, b2 = z, b3 = z, b4 = z, b5 = z, b6 = z, b7 = z;
        for (int e = p.a(), f = p.b(), end = p.a() + p.count(); e < end; e++, f++) {
            long at = off[e] * (long) Float.BYTES + j, bt = off[f] * (long) Float.BYTES + j;
            FloatVector s = FloatVector.broadcast(F, sign[e]), t = FloatVector.broadcast(F, sign[f]);
            a0 = s.fma(FloatVector.fromMemorySegment(F, d, at, ORDER), a0);
            a1 = s.fma(FloatVector.fromMemorySegment(F, d, at + VB, ORDER), a1);
            a2 = s.fma(FloatVector.fromMemorySegment(F, d, at + 2 * VB, ORDER), a2);
            a3 = s.fma(FloatVector.fromMemorySegment(F, d, at + 3 * VB, ORDER), a3);
            a4 = s.fma(FloatVector.fromMemorySegment(F, d, at + 4 * VB, ORDER), a4);
            a5 = s.fma(FloatVector.fromMemorySegment(F, d, at + 5 * VB, ORDER), a5);
            a6 = s.fma(FloatVector.fromMemorySegment(F, d, at + 6 * VB, ORDER), a6);
            a7 = s.fma(FloatVector.fromMemorySegment(F, d, at + 7 * VB, ORDER), a7);
            b0 = t.fma(FloatVector.fromMemorySegment(F, d, bt, ORDER), b0);
            b1 = t.fma(FloatVector.fromMemorySegment(F, d, bt + VB, ORDER), b1);
            b2 = t.fma(FloatVector.fromMemorySegment(F, d, bt + 2 * VB, ORDER), b2);
            b3 = t.fma(FloatVector.fromMemorySegment(F, d, bt + 3 * VB, ORDER), b3);
            b4 = t.fma(FloatVector.fromMemorySegment(F, d, bt + 4 * VB, ORDER), b4);
            b5 = t.fma(FloatVector.fromMemorySegment(F, d, bt + 5 * VB, ORDER), b5);
            b6 = t.fma(FloatVector.fromMemorySegment(F, d, bt + 6 * VB, ORDER), b6);
            b7 = t.fma(FloatVector.fromMemorySegment(F, d, bt + 7 * VB, ORDER), b7);
        }
        float ka = p.ka(), kb = p.kb();
        z.add(a0.mul(ka)).intoArray(tmp, ta);
        z.add(a1.mul(ka)).intoArray(tmp, ta + L);
        z.add(a2.mul(ka)).intoArray(tmp, ta + 2 * L);
        z.add(a3.mul(ka)).intoArray(tmp, ta + 3 * L);
        z.add(a4.mul(ka)).intoArray(tmp, ta + 4 * L);
        z.add(a5.mul(ka)).intoArray(tmp, ta + 5 * L);
        z.add(a6.mul(ka)).intoArray(tmp, ta + 6 * L);
        z.add(a7.mul(ka)).intoArray(tmp, ta + 7 * L);
        z.add(b0.mul(kb)).intoArray(tmp, tb);
        z.add(b1.mul(kb)).intoArray(tmp, tb + L);
        z.add(b2.mul(kb)).intoArray(tmp, tb + 2 * L);
        z.add(b3.mul(kb)).intoArray(tmp, tb + 3 * L);
        z.add(b4.mul(kb)).intoArray(tmp, tb + 4 * L);
        z.add(b5.mul(kb)).intoArray(tmp, tb + 5 * L);
        z.add(b6.mul(kb)).intoArray(tmp, tb + 6 * L);
        z.add(b7.mul(kb)).intoArray(tmp, tb + 7 * L);
    }

    /** {@link #pair4} for six vectors (twelve chains; a block of 6 one-vector rows would otherwise end in a two-vector, four-chain step). */
    private static void pair6(MemorySegment d, int[] off, float[] sign, Pair p, long j, float[] tmp, int ta, int tb) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, b0 = z, b1 = z, b2 = z, b3 = z, b4 = z, b5 = z;
        for (int e = p.a(), f = p.b(), end = p.a() + p.count(); e < end; e++, f++) {
            long at = off[e] * (long) Float.BYTES + j, bt = off[f] * (long) Float.BYTES + j;
            FloatVector s = FloatVector.broadcast(F, sign[e]), t = FloatVector.broadcast(F, sign[f]);
            a0 = s.fma(FloatVector.fromMemorySegment(F, d, at, ORDER), a0);
            a1 = s.fma(FloatVector.fromMemorySegment(F, d, at + VB, ORDER), a1);
            a2 = s.fma(FloatVector.fromMemorySegment(F, d, at + 2 * VB, ORDER), a2);
            a3 = s.fma(FloatVector.fromMemorySegment(F, d, at + 3 * VB, ORDER), a3);
            a4 = s.fma(FloatVector.fromMemorySegment(F, d, at + 4 * VB, ORDER), a4);
            a5 = s.fma(FloatVector.fromMemorySegment(F, d, at + 5 * VB, ORDER), a5);
            b0 = t.fma(FloatVector.fromMemorySegment(F, d, bt, ORDER), b0);
            b1 = t.fma(FloatVector.fromMemorySegment(F, d, bt + VB, ORDER), b1);
            b2 = t.fma(FloatVector.fromMemorySegment(F, d, bt + 2 * VB, ORDER), b2);
            b3 = t.fma(FloatVector.fromMemorySegment(F, d, bt + 3 * VB, ORDER), b3);
            b4 = t.fma(FloatVector.fromMemorySegment(F, d, bt + 4 * VB, ORDER), b4);
            b5 = t.fma(FloatVector.fromMemorySegment(F, d, bt + 5 * VB, ORDER), b5);
        }
        z.add(a0.mul(p.ka())).intoArray(tmp, ta);
        z.add(a1.mul(p.ka())).intoArray(tmp, ta + L);
        z.add(a2.mul(p.ka())).intoArray(tmp, ta + 2 * L);
        z.add(a3.mul(p.ka())).intoArray(tmp, ta + 3 * L);
        z.add(a4.mul(p.ka())).intoArray(tmp, ta + 4 * L);
        z.add(a5.mul(p.ka())).intoArray(tmp, ta + 5 * L);
        z.add(b0.mul(p.kb())).intoArray(tmp, tb);
        z.add(b1.mul(p.kb())).intoArray(tmp, tb + L);
        z.add(b2.mul(p.kb())).intoArray(tmp, tb + 2 * L);
        z.add(b3.mul(p.kb())).intoArray(tmp, tb + 3 * L);
        z.add(b4.mul(p.kb())).intoArray(tmp, tb + 4 * L);
        z.add(b5.mul(p.kb())).intoArray(tmp, tb + 5 * L);
    }

    /** {@link #pair4} for two vectors. */
    private static void pair2(MemorySegment d, int[] off, float[] sign, Pair p, long j, float[] tmp, int ta, int tb) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, b0 = z, b1 = z;
        for (int e = p.a(), f = p.b(), end = p.a() + p.count(); e < end; e++, f++) {
            long at = off[e] * (long) Float.BYTES + j, bt = off[f] * (long) Float.BYTES + j;
            FloatVector s = FloatVector.broadcast(F, sign[e]), t = FloatVector.broadcast(F, sign[f]);
            a0 = s.fma(FloatVector.fromMemorySegment(F, d, at, ORDER), a0);
            a1 = s.fma(FloatVector.fromMemorySegment(F, d, at + VB, ORDER), a1);
            b0 = t.fma(FloatVector.fromMemorySegment(F, d, bt, ORDER), b0);
            b1 = t.fma(FloatVector.fromMemorySegment(F, d, bt + VB, ORDER), b1);
        }
        z.add(a0.mul(p.ka())).intoArray(tmp, ta);
        z.add(a1.mul(p.ka())).intoArray(tmp, ta + L);
        z.add(b0.mul(p.kb())).intoArray(tmp, tb);
        z.add(b1.mul(p.kb())).intoArray(tmp, tb + L);
    }

    /** {@link #pair4} for one vector. */
    private static void pair1(MemorySegment d, int[] off, float[] sign, Pair p, long j, float[] tmp, int ta, int tb) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, b0 = z;
        for (int e = p.a(), f = p.b(), end = p.a() + p.count(); e < end; e++, f++) {
            a0 = FloatVector.broadcast(F, sign[e]).fma(FloatVector.fromMemorySegment(F, d, off[e] * (long) Float.BYTES + j, ORDER), a0);
            b0 = FloatVector.broadcast(F, sign[f]).fma(FloatVector.fromMemorySegment(F, d, off[f] * (long) Float.BYTES + j, ORDER), b0);
        }
        z.add(a0.mul(p.ka())).intoArray(tmp, ta);
        z.add(b0.mul(p.kb())).intoArray(tmp, tb);
    }
}
