package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A depthwise convolution (one input channel per group, one output channel per group) with
 * ternary taps and one scale per channel, computed directly: per output pixel the +1 taps and the
 * −1 taps are summed separately and the channel's scale applied to the difference, as
 * {@link PackedTernaryMatrix#exactReference} does for one segment (a packed 1-row matrix per
 * channel would pad its 9 or 25 taps to a whole code block). The taps are kept as
 * {@link Base3Codes} and turned into tap lists per call. Both activation modes run this float
 * kernel: per-pixel int8 quantization of 9 values saves nothing.
 */
final class DepthwiseConv {
    /** Codes of channel c's taps (ky·kw + kx) at c·kh·kw + tap. */
    private final Base3Codes codes;
    private final ScaleArray scale;
    private final int kh;
    private final int kw;

    private DepthwiseConv(Base3Codes codes, ScaleArray scale, int kh, int kw) {
        this.codes = codes;
        this.scale = scale;
        this.kh = kh;
        this.kw = kw;
    }

    /** The depthwise form of per-channel matrices [1, kh·kw], or null when a channel has two scales or several segments. */
    static DepthwiseConv of(PackedTernaryMatrix[] channels, int kh, int kw) {
        int c = channels.length, taps = kh * kw;
        float[] scale = new float[c];
        for (int ch = 0; ch < c; ch++) {
            PackedTernaryMatrix m = channels[ch];
            if (m.rows() != 1 || m.cols() != taps || m.twoScales() || m.layout().segments() != 1) return null;
            scale[ch] = m.scalePos().get(0);
        }
        boolean half = java.util.Arrays.stream(channels).allMatch(PackedTernaryMatrix::halfScales);
        return new DepthwiseConv(Base3Codes.of(c * taps, i -> channels[i / taps].code(0, i % taps)), ScaleArray.of(scale, half), kh, kw);
    }

    /** Bytes kept: the codes (1.6 bits a tap) and a scale per channel; the tap lists are rebuilt per call. */
    long residentBytes() {
        return weightBytes().total();
    }

    WeightBytes weightBytes() {
        return new WeightBytes(codes.residentBytes(), scale.bytes(), 0);
    }

    /** x [n, c, h, w] → [n, c, oh, ow] without bias; channels split among threads. */
    ConvOutput forward(float[] x, int n, int h, int w, ConvGeometry geo, Parallel par) {
        int c = scale.length(), oh = geo.outH(h, kh), ow = geo.outW(w, kw), taps = kh * kw;
        float[] y = Buffers.floats(Math.multiplyExact(n * c, oh * ow)), code = Scratch.floats(Scratch.Slot.WEIGHTS, codes.decodedLength());
        codes.decode(code);
        Parallel p = (long) n * c * oh * ow * kh * kw < TernaryConv2d.SERIAL_DEPTHWISE_WORK ? Parallel.serial() : par;
        p.forRange(n * c, 1, (from, to) -> {
            Phases ph = new Phases(geo, h, w, kh, kw);
            int[] pos = new int[taps], neg = new int[taps];
            for (int plane = from; plane < to; plane++) {
                int ch = plane % c, np = 0, nn = 0;
                for (int t = 0; t < taps; t++) {
                    // no branch on the code: random codes mispredicted one in three
                    float v = code[ch * taps + t];
                    pos[np] = ph.offset[t];
                    neg[nn] = ph.offset[t];
                    np += v > 0 ? 1 : 0;
                    nn += v < 0 ? 1 : 0;
                }
                plane(x, plane, new Taps(pos, np, neg, nn), ph, y);
            }
        });
        return new ConvOutput(y, n, c, oh, ow, ow);
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * A thread's scratch: the zero-padded plane split into strideH·strideW phases (phase (a, b)
     * holds the padded values at rows ≡ a mod strideH and columns ≡ b mod strideW, rows
     * {@code pitch} long), and
     * the sums of the +1 and −1 taps for every output j = oy·pitch + ox (columns past outW are
     * computed and dropped). Tap (ky, kx) of every output then reads one phase at a fixed offset,
     * so a tap is one contiguous add over all outputs, whatever the stride.
     */
    private static final class Phases {
        final int h, w, sy, sx, top, left, pitch, phase, oh, ow, span;
        final int[] offset;
        final float[] in, sp, sn;

        Phases(ConvGeometry geo, int h, int w, int kh, int kw) {
            this.h = h;
            this.w = w;
            sy = geo.strideH();
            sx = geo.strideW();
            top = geo.padTop();
            left = geo.padLeft();
            oh = geo.outH(h, kh);
            ow = geo.outW(w, kw);
            pitch = (w + geo.padLeft() + geo.padRight() + sx - 1) / sx;
            int rows = (h + geo.padTop() + geo.padBottom() + sy - 1) / sy;
            phase = rows * pitch;
            span = (oh * pitch + F.length() - 1) / F.length() * F.length();
            offset = new int[kh * kw];
            int max = 0;
            for (int t = 0; t < offset.length; t++) {
                int dy = t / kw * geo.dilationH(), dx = t % kw * geo.dilationW();
                offset[t] = (dy % sy * sx + dx % sx) * phase + dy / sy * pitch + dx / sx;
                max = Math.max(max, offset[t]);
            }
            // this thread's scratch (a conv of PP-OCRv4's detector had allocated these afresh for each
            // thread and call: 70 % of its bytes allocated a run); the padding must read zeros
            int size = Math.max(sy * sx * phase, max + span);
            in = Scratch.zeroedFloats(Scratch.Slot.PHASES, size);
            sp = Scratch.floats(Scratch.Slot.SUMS_POS, span);
            sn = Scratch.floats(Scratch.Slot.SUMS_NEG, span);
        }
    }

    /**
     * One plane: each output's +1 and −1 sums over its taps in tap order, then scale·(Σ₊ − Σ₋).
     * Taps in the padding add +0 where a direct loop would skip them, which changes no sum (a sum
     * that starts at +0 is never −0), so the results are those of the direct loop, bit for bit.
     */
    private void plane(float[] x, int plane, Taps t, Phases p, float[] y) {
        float[] in = p.in, sp = p.sp, sn = p.sn;
        int sy = p.sy, sx = p.sx;
        for (int iy = 0; iy < p.h; iy++) {
            int py = iy + p.top, row = py % sy * sx * p.phase + py / sy * p.pitch, src = (plane * p.h + iy) * p.w;
            if (sx == 1) System.arraycopy(x, src, in, row + p.left, p.w);
            else if (sx == 2) splitPairs(x, src, p.w, p.left, in, row, row + p.phase);
            else for (int b = 0; b < sx; b++) {
                int ix0 = Math.floorMod(b - p.left, sx), dst = row + b * p.phase + (ix0 + p.left) / sx;
                for (int ix = ix0; ix < p.w; ix += sx) in[dst++] = x[src + ix];
            }
        }
        sums(in, t.pos(), t.np(), sp, p.span);
        sums(in, t.neg(), t.nn(), sn, p.span);
        float k = scale.get(plane % scale.length());
        for (int oy = 0; oy < p.oh; oy++) {
            int from = oy * p.pitch, out = (plane * p.oh + oy) * p.ow, j = 0;
            for (; j + F.length() <= p.ow; j += F.length()) {
                FloatVector.fromArray(F, sp, from + j).sub(FloatVector.fromArray(F, sn, from + j)).mul(k).intoArray(y, out + j);
            }
            for (; j < p.ow; j++) y[out + j] = k * (sp[from + j] - sn[from + j]);
        }
    }

    /**
     * One input row of w values at x[src …], padded by {@code left} zeros, into its even columns
     * at in[even + q] and odd ones at in[odd + q] (q = padded column / 2), a pair of vectors at a
     * time split by two lane selections: copied a value at a time, the stride-2 split took most of
     * PP-OCRv4's 160×160 stride-2 depthwise conv (1.6 of its 1.8 ms).
     */
    private static void splitPairs(float[] x, int src, int w, int left, float[] in, int even, int odd) {
        int l = F.length(), q = 0;
        for (; 2 * q - left < 0; q++) copyPair(x, src, w, left, in, even, odd, q);
        for (; 2 * q - left + 2 * l <= w; q += l) {
            FloatVector v0 = FloatVector.fromArray(F, x, src + 2 * q - left), v1 = FloatVector.fromArray(F, x, src + 2 * q - left + l);
            PairLanes.even(v0, v1).intoArray(in, even + q);
            PairLanes.odd(v0, v1).intoArray(in, odd + q);
        }
        for (; 2 * q - left < w; q++) copyPair(x, src, w, left, in, even, odd, q);
    }

    /** Padded columns 2q and 2q + 1 where they are input columns. */
    private static void copyPair(float[] x, int src, int w, int left, float[] in, int even, int odd, int q) {
        int a = 2 * q - left;
        if (a >= 0 && a < w) in[even + q] = x[src + a];
        if (a + 1 >= 0 && a + 1 < w) in[odd + q] = x[src + a + 1];
    }

    /**
     * sum[j] = Σ in[at[i] + j] over i in order (at: the taps' offsets), for j below span (a multiple of the
     * vector length): four vectors of outputs stay in registers over all taps, so each tap costs
     * a load and an add per vector instead of also reloading and storing the sums.
     */
    private static void sums(float[] in, int[] at, int count, float[] sum, int span) {
        int l = F.length(), j = 0;
        FloatVector zero = FloatVector.zero(F);
        for (; j + 4 * l <= span; j += 4 * l) {
            FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
            for (int i = 0; i < count; i++) {
                int o = at[i] + j;
                a0 = a0.add(FloatVector.fromArray(F, in, o));
                a1 = a1.add(FloatVector.fromArray(F, in, o + l));
                a2 = a2.add(FloatVector.fromArray(F, in, o + 2 * l));
                a3 = a3.add(FloatVector.fromArray(F, in, o + 3 * l));
            }
            a0.intoArray(sum, j);
            a1.intoArray(sum, j + l);
            a2.intoArray(sum, j + 2 * l);
            a3.intoArray(sum, j + 3 * l);
        }
        for (; j < span; j += l) {
            FloatVector a = zero;
            for (int i = 0; i < count; i++) a = a.add(FloatVector.fromArray(F, in, at[i] + j));
            a.intoArray(sum, j);
        }
    }

    /** Where a channel's +1 taps read, pos[0 … np), and its −1 taps, neg[0 … nn), in tap order. */
    private record Taps(int[] pos, int np, int[] neg, int nn) {}
}
