package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inner loop of pixel-vectorized convolutions: four output rows times two vectors of pixels at a time
 * over a transposed im2col (cols[off[p] + j] = input p of pixel j, for j below a multiple of {@link #PIXELS}
 * called the width: off[p] = p·ld for a materialized im2col, or an offset into a padded input
 * plane, which makes the im2col a view for stride-1 convolutions), each
 * kernel input contributing one broadcast coefficient per row times two pixel vectors, so the
 * pixel loads are shared by four rows. Coefficients are float rows: dense weights, or decoded
 * ternary codes with a scale per segment of inputs (then, for two-scale groups, a second row of
 * −1 indicators with its own scales). Every output is computed in the same order whichever block
 * or thread computes it.
 */
final class PixelKernel {
    private PixelKernel() {}

    /**
     * The widest vectors the machine has (512-bit ran 1.7× faster than 256-bit on the AVX-512 test
     * machine). Lanes are independent pixels, each summed in the same order at any width, so the
     * width changes no result.
     */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Pixels per block (two vectors); widths are multiples of one vector, {@link #VECTOR}. */
    static final int PIXELS = 2 * L;
    static final int VECTOR = L;

    /**
     * Pixels per slab: callers sweep every row block over one slab of pixel columns before the
     * next, so the slab's inputs (rows·slab floats, ~16 KiB) stay in L1 instead of being re-read
     * from L2 by each block of four rows; at least one four-vector block of {@link #wide}.
     */
    static int slab(int rows) {
        return Math.max(4 * L, (16 << 10) / 4 / Math.max(1, rows) / (4 * L) * (4 * L));
    }

    /**
     * Output rows i = 0..3: coefficients at coef[c_i + p] (and neg[c_i + p]), segment s covering
     * inputs [bounds[s], bounds[s+1]) with scales sp.get(s_i + s) (sn.get(s_i + s)); out_i < 0 skips the
     * row. Writes y[out_i + j] for pixels j ∈ [jFrom, jTo) below pixels, times pixelScale[j] when
     * given. jFrom is a multiple of {@link #PIXELS}, jTo of {@link #VECTOR}.
     */
    static void rows4(float[] coef, float[] neg, int c0, int c1, int c2, int c3, int[] bounds, ScaleArray sp, ScaleArray sn,
                      int s0, int s1, int s2, int s3, float[] cols, int[] off, int jFrom, int jTo, float[] pixelScale, float[] y,
                      int o0, int o1, int o2, int o3, int pixels, float[] tail) {
        int segs = bounds.length - 1;
        FloatVector z = FloatVector.zero(F);
        int j = jFrom;
        if (segs == 1 && neg == null && o2 < 0 && o3 < 0 && pixelScale == null) {
            j = wide2(coef, c0, c1, bounds[0], bounds[1], sp.get(s0), sp.get(s1), cols, off, jFrom, Math.min(jTo, pixels), y, o0, o1);
        } else if (segs == 1 && neg == null) {
            j = wide(coef, c0, c1, c2, c3, bounds[0], bounds[1], sp.get(s0), sp.get(s1), sp.get(s2), sp.get(s3), cols, off, jFrom, Math.min(jTo, pixels),
                    pixelScale, y, o0, o1, o2, o3);
        }
        for (; j + PIXELS <= jTo; j += PIXELS) {
            FloatVector t00 = z, t01 = z, t10 = z, t11 = z, t20 = z, t21 = z, t30 = z, t31 = z;
            for (int s = 0; s < segs; s++) {
                int p0 = bounds[s], p1 = bounds[s + 1];
                if (p0 >= p1) continue;
                FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
                for (int p = p0; p < p1; p++) {
                    FloatVector x0 = FloatVector.fromArray(F, cols, off[p] + j), x1 = FloatVector.fromArray(F, cols, off[p] + j + L);
                    FloatVector w = FloatVector.broadcast(F, coef[c0 + p]);
                    a00 = w.fma(x0, a00);
                    a01 = w.fma(x1, a01);
                    w = FloatVector.broadcast(F, coef[c1 + p]);
                    a10 = w.fma(x0, a10);
                    a11 = w.fma(x1, a11);
                    w = FloatVector.broadcast(F, coef[c2 + p]);
                    a20 = w.fma(x0, a20);
                    a21 = w.fma(x1, a21);
                    w = FloatVector.broadcast(F, coef[c3 + p]);
                    a30 = w.fma(x0, a30);
                    a31 = w.fma(x1, a31);
                }
                if (neg == null) {
                    float k0 = sp.get(s0 + s), k1 = sp.get(s1 + s), k2 = sp.get(s2 + s), k3 = sp.get(s3 + s);
                    t00 = t00.add(a00.mul(k0));
                    t01 = t01.add(a01.mul(k0));
                    t10 = t10.add(a10.mul(k1));
                    t11 = t11.add(a11.mul(k1));
                    t20 = t20.add(a20.mul(k2));
                    t21 = t21.add(a21.mul(k2));
                    t30 = t30.add(a30.mul(k3));
                    t31 = t31.add(a31.mul(k3));
                    continue;
                }
                FloatVector b00 = z, b01 = z, b10 = z, b11 = z, b20 = z, b21 = z, b30 = z, b31 = z;
                for (int p = p0; p < p1; p++) {
                    FloatVector x0 = FloatVector.fromArray(F, cols, off[p] + j), x1 = FloatVector.fromArray(F, cols, off[p] + j + L);
                    FloatVector w = FloatVector.broadcast(F, neg[c0 + p]);
                    b00 = w.fma(x0, b00);
                    b01 = w.fma(x1, b01);
                    w = FloatVector.broadcast(F, neg[c1 + p]);
                    b10 = w.fma(x0, b10);
                    b11 = w.fma(x1, b11);
                    w = FloatVector.broadcast(F, neg[c2 + p]);
                    b20 = w.fma(x0, b20);
                    b21 = w.fma(x1, b21);
                    w = FloatVector.broadcast(F, neg[c3 + p]);
                    b30 = w.fma(x0, b30);
                    b31 = w.fma(x1, b31);
                }
                float k0 = sp.get(s0 + s), k1 = sp.get(s1 + s), k2 = sp.get(s2 + s), k3 = sp.get(s3 + s);
                float m0 = sn.get(s0 + s), m1 = sn.get(s1 + s), m2 = sn.get(s2 + s), m3 = sn.get(s3 + s);
                t00 = t00.add(a00.mul(k0).sub(b00.mul(m0)));
                t01 = t01.add(a01.mul(k0).sub(b01.mul(m0)));
                t10 = t10.add(a10.mul(k1).sub(b10.mul(m1)));
                t11 = t11.add(a11.mul(k1).sub(b11.mul(m1)));
                t20 = t20.add(a20.mul(k2).sub(b20.mul(m2)));
                t21 = t21.add(a21.mul(k2).sub(b21.mul(m2)));
                t30 = t30.add(a30.mul(k3).sub(b30.mul(m3)));
                t31 = t31.add(a31.mul(k3).sub(b31.mul(m3)));
            }
            if (pixelScale != null) {
                FloatVector q0 = FloatVector.fromArray(F, pixelScale, j), q1 = FloatVector.fromArray(F, pixelScale, j + L);
                t00 = t00.mul(q0);
                t01 = t01.mul(q1);
                t10 = t10.mul(q0);
                t11 = t11.mul(q1);
                t20 = t20.mul(q0);
                t21 = t21.mul(q1);
                t30 = t30.mul(q0);
                t31 = t31.mul(q1);
            }
            // stores written out here: a helper taking the vectors, called once per pair, was not
            // inlined by C2 (a cold call site) and the vectors handed to it were boxed (33 KB a run
            // of LeNet at a batch of 16); a row's last pair goes through the scratch tail, so no
            // lane is stored past the row
            if (j + PIXELS <= pixels) {
                if (o0 >= 0) {
                    t00.intoArray(y, o0 + j);
                    t01.intoArray(y, o0 + j + L);
                }
                if (o1 >= 0) {
                    t10.intoArray(y, o1 + j);
                    t11.intoArray(y, o1 + j + L);
                }
                if (o2 >= 0) {
                    t20.intoArray(y, o2 + j);
                    t21.intoArray(y, o2 + j + L);
                }
                if (o3 >= 0) {
                    t30.intoArray(y, o3 + j);
                    t31.intoArray(y, o3 + j + L);
                }
            } else if (j < pixels) {
                int n = pixels - j;
                if (o0 >= 0) {
                    t00.intoArray(tail, 0);
                    t01.intoArray(tail, L);
                    System.arraycopy(tail, 0, y, o0 + j, n);
                }
                if (o1 >= 0) {
                    t10.intoArray(tail, 0);
                    t11.intoArray(tail, L);
                    System.arraycopy(tail, 0, y, o1 + j, n);
                }
                if (o2 >= 0) {
                    t20.intoArray(tail, 0);
                    t21.intoArray(tail, L);
                    System.arraycopy(tail, 0, y, o2 + j, n);
                }
                if (o3 >= 0) {
                    t30.intoArray(tail, 0);
                    t31.intoArray(tail, L);
                    System.arraycopy(tail, 0, y, o3 + j, n);
                }
            }
        }
        if (j < jTo) tail(coef, neg, c0, c1, c2, c3, bounds, sp, sn, s0, s1, s2, s3, cols, off, j, pixelScale, y, o0, o1, o2, o3, pixels, tail);
    }

    /**
     * One segment and one scale per row (row-scaled ternary layers, dense weights): four rows times
     * four pixel vectors, 16 accumulators, fewer loads per FMA (1.3× faster on VGG's 16-channel
     * convs). Stores are written out inline: a vector passed to a method that is not inlined is
     * boxed, which made this block five times slower. Same operations per output as the general
     * loop. Returns where it stopped: the rest (fewer than four vectors, or the row end) goes there.
     */
    private static int wide(float[] coef, int c0, int c1, int c2, int c3, int p0, int p1, float k0, float k1, float k2, float k3,
                            float[] cols, int[] off, int j, int end, float[] pixelScale, float[] y, int o0, int o1, int o2, int o3) {
        FloatVector z = FloatVector.zero(F);
        for (; j + 4 * L <= end; j += 4 * L) {
            FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
            FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
            for (int p = p0; p < p1; p++) {
                int at = off[p] + j;
                FloatVector x0 = FloatVector.fromArray(F, cols, at), x1 = FloatVector.fromArray(F, cols, at + L);
                FloatVector x2 = FloatVector.fromArray(F, cols, at + 2 * L), x3 = FloatVector.fromArray(F, cols, at + 3 * L);
                FloatVector w = FloatVector.broadcast(F, coef[c0 + p]);
                a00 = w.fma(x0, a00);
                a01 = w.fma(x1, a01);
                a02 = w.fma(x2, a02);
                a03 = w.fma(x3, a03);
                w = FloatVector.broadcast(F, coef[c1 + p]);
                a10 = w.fma(x0, a10);
                a11 = w.fma(x1, a11);
                a12 = w.fma(x2, a12);
                a13 = w.fma(x3, a13);
                w = FloatVector.broadcast(F, coef[c2 + p]);
                a20 = w.fma(x0, a20);
                a21 = w.fma(x1, a21);
                a22 = w.fma(x2, a22);
                a23 = w.fma(x3, a23);
                w = FloatVector.broadcast(F, coef[c3 + p]);
                a30 = w.fma(x0, a30);
                a31 = w.fma(x1, a31);
                a32 = w.fma(x2, a32);
                a33 = w.fma(x3, a33);
            }
            // as the general loop: t = 0 + a·k, then times the pixel scales
            // (no vector variable that may be null: C2 would have to box it)
            if (o0 >= 0) {
                FloatVector t0 = z.add(a00.mul(k0)), t1 = z.add(a01.mul(k0)), t2 = z.add(a02.mul(k0)), t3 = z.add(a03.mul(k0));
                if (pixelScale != null) {
                    t0 = t0.mul(FloatVector.fromArray(F, pixelScale, j));
                    t1 = t1.mul(FloatVector.fromArray(F, pixelScale, j + L));
                    t2 = t2.mul(FloatVector.fromArray(F, pixelScale, j + 2 * L));
                    t3 = t3.mul(FloatVector.fromArray(F, pixelScale, j + 3 * L));
                }
                t0.intoArray(y, o0 + j);
                t1.intoArray(y, o0 + j + L);
                t2.intoArray(y, o0 + j + 2 * L);
                t3.intoArray(y, o0 + j + 3 * L);
            }
            if (o1 >= 0) {
                FloatVector t0 = z.add(a10.mul(k1)), t1 = z.add(a11.mul(k1)), t2 = z.add(a12.mul(k1)), t3 = z.add(a13.mul(k1));
                if (pixelScale != null) {
                    t0 = t0.mul(FloatVector.fromArray(F, pixelScale, j));
                    t1 = t1.mul(FloatVector.fromArray(F, pixelScale, j + L));
                    t2 = t2.mul(FloatVector.fromArray(F, pixelScale, j + 2 * L));
                    t3 = t3.mul(FloatVector.fromArray(F, pixelScale, j + 3 * L));
                }
                t0.intoArray(y, o1 + j);
                t1.intoArray(y, o1 + j + L);
                t2.intoArray(y, o1 + j + 2 * L);
                t3.intoArray(y, o1 + j + 3 * L);
            }
            if (o2 >= 0) {
                FloatVector t0 = z.add(a20.mul(k2)), t1 = z.add(a21.mul(k2)), t2 = z.add(a22.mul(k2)), t3 = z.add(a23.mul(k2));
                if (pixelScale != null) {
                    t0 = t0.mul(FloatVector.fromArray(F, pixelScale, j));
                    t1 = t1.mul(FloatVector.fromArray(F, pixelScale, j + L));
                    t2 = t2.mul(FloatVector.fromArray(F, pixelScale, j + 2 * L));
                    t3 = t3.mul(FloatVector.fromArray(F, pixelScale, j + 3 * L));
                }
                t0.intoArray(y, o2 + j);
                t1.intoArray(y, o2 + j + L);
                t2.intoArray(y, o2 + j + 2 * L);
                t3.intoArray(y, o2 + j + 3 * L);
            }
            if (o3 >= 0) {
                FloatVector t0 = z.add(a30.mul(k3)), t1 = z.add(a31.mul(k3)), t2 = z.add(a32.mul(k3)), t3 = z.add(a33.mul(k3));
                if (pixelScale != null) {
                    t0 = t0.mul(FloatVector.fromArray(F, pixelScale, j));
                    t1 = t1.mul(FloatVector.fromArray(F, pixelScale, j + L));
                    t2 = t2.mul(FloatVector.fromArray(F, pixelScale, j + 2 * L));
                    t3 = t3.mul(FloatVector.fromArray(F, pixelScale, j + 3 * L));
                }
                t0.intoArray(y, o3 + j);
                t1.intoArray(y, o3 + j + L);
                t2.intoArray(y, o3 + j + 2 * L);
                t3.intoArray(y, o3 + j + 3 * L);
            }
        }
        return j;
    }

    /**
     * {@link #wide} for a block with only two rows (LeNet's first conv has six channels): two rows
     * times eight pixel vectors, the same 16 accumulators and operations per output, none spent on
     * rows that are dropped (a quarter of that conv's FMAs before; 7.65 → 7.1 µs). Float activations only.
     */
    private static int wide2(float[] coef, int c0, int c1, int p0, int p1, float k0, float k1, float[] cols, int[] off, int j, int end,
                             float[] y, int o0, int o1) {
        FloatVector z = FloatVector.zero(F);
        for (; j + 8 * L <= end; j += 8 * L) {
            FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
            FloatVector b0 = z, b1 = z, b2 = z, b3 = z, b4 = z, b5 = z, b6 = z, b7 = z;
            for (int p = p0; p < p1; p++) {
                int at = off[p] + j;
                FloatVector v = FloatVector.broadcast(F, coef[c0 + p]), w = FloatVector.broadcast(F, coef[c1 + p]);
                FloatVector x = FloatVector.fromArray(F, cols, at);
                a0 = v.fma(x, a0);
                b0 = w.fma(x, b0);
                x = FloatVector.fromArray(F, cols, at + L);
                a1 = v.fma(x, a1);
                b1 = w.fma(x, b1);
                x = FloatVector.fromArray(F, cols, at + 2 * L);
                a2 = v.fma(x, a2);
                b2 = w.fma(x, b2);
                x = FloatVector.fromArray(F, cols, at + 3 * L);
                a3 = v.fma(x, a3);
                b3 = w.fma(x, b3);
                x = FloatVector.fromArray(F, cols, at + 4 * L);
                a4 = v.fma(x, a4);
                b4 = w.fma(x, b4);
                x = FloatVector.fromArray(F, cols, at + 5 * L);
                a5 = v.fma(x, a5);
                b5 = w.fma(x, b5);
                x = FloatVector.fromArray(F, cols, at + 6 * L);
                a6 = v.fma(x, a6);
                b6 = w.fma(x, b6);
                x = FloatVector.fromArray(F, cols, at + 7 * L);
                a7 = v.fma(x, a7);
                b7 = w.fma(x, b7);
            }
            // as the general loop: t = 0 + a·k; stores inline (see wide)
            z.add(a0.mul(k0)).intoArray(y, o0 + j);
            z.add(a1.mul(k0)).intoArray(y, o0 + j + L);
            z.add(a2.mul(k0)).intoArray(y, o0 + j + 2 * L);
            z.add(a3.mul(k0)).intoArray(y, o0 + j + 3 * L);
            z.add(a4.mul(k0)).intoArray(y, o0 + j + 4 * L);
            z.add(a5.mul(k0)).intoArray(y, o0 + j + 5 * L);
            z.add(a6.mul(k0)).intoArray(y, o0 + j + 6 * L);
            z.add(a7.mul(k0)).intoArray(y, o0 + j + 7 * L);
            if (o1 < 0) continue;
            z.add(b0.mul(k1)).intoArray(y, o1 + j);
            z.add(b1.mul(k1)).intoArray(y, o1 + j + L);
            z.add(b2.mul(k1)).intoArray(y, o1 + j + 2 * L);
            z.add(b3.mul(k1)).intoArray(y, o1 + j + 3 * L);
            z.add(b4.mul(k1)).intoArray(y, o1 + j + 4 * L);
            z.add(b5.mul(k1)).intoArray(y, o1 + j + 5 * L);
            z.add(b6.mul(k1)).intoArray(y, o1 + j + 6 * L);
            z.add(b7.mul(k1)).intoArray(y, o1 + j + 7 * L);
        }
        return j;
    }

    /** The last single vector of pixels (widths are multiples of one vector): the loop of {@link #rows4} with one pixel vector. */
    private static void tail(float[] coef, float[] neg, int c0, int c1, int c2, int c3, int[] bounds, ScaleArray sp, ScaleArray sn,
                             int s0, int s1, int s2, int s3, float[] cols, int[] off, int j, float[] pixelScale, float[] y,
                             int o0, int o1, int o2, int o3, int pixels, float[] tail) {
        FloatVector z = FloatVector.zero(F), t0 = z, t1 = z, t2 = z, t3 = z;
        for (int s = 0; s < bounds.length - 1; s++) {
            int p0 = bounds[s], p1 = bounds[s + 1];
            if (p0 >= p1) continue;
            FloatVector a0 = z, a1 = z, a2 = z, a3 = z;
            for (int p = p0; p < p1; p++) {
                FloatVector x = FloatVector.fromArray(F, cols, off[p] + j);
                a0 = FloatVector.broadcast(F, coef[c0 + p]).fma(x, a0);
                a1 = FloatVector.broadcast(F, coef[c1 + p]).fma(x, a1);
                a2 = FloatVector.broadcast(F, coef[c2 + p]).fma(x, a2);
                a3 = FloatVector.broadcast(F, coef[c3 + p]).fma(x, a3);
            }
            if (neg == null) {
                t0 = t0.add(a0.mul(sp.get(s0 + s)));
                t1 = t1.add(a1.mul(sp.get(s1 + s)));
                t2 = t2.add(a2.mul(sp.get(s2 + s)));
                t3 = t3.add(a3.mul(sp.get(s3 + s)));
                continue;
            }
            FloatVector b0 = z, b1 = z, b2 = z, b3 = z;
            for (int p = p0; p < p1; p++) {
                FloatVector x = FloatVector.fromArray(F, cols, off[p] + j);
                b0 = FloatVector.broadcast(F, neg[c0 + p]).fma(x, b0);
                b1 = FloatVector.broadcast(F, neg[c1 + p]).fma(x, b1);
                b2 = FloatVector.broadcast(F, neg[c2 + p]).fma(x, b2);
                b3 = FloatVector.broadcast(F, neg[c3 + p]).fma(x, b3);
            }
            t0 = t0.add(a0.mul(sp.get(s0 + s)).sub(b0.mul(sn.get(s0 + s))));
            t1 = t1.add(a1.mul(sp.get(s1 + s)).sub(b1.mul(sn.get(s1 + s))));
            t2 = t2.add(a2.mul(sp.get(s2 + s)).sub(b2.mul(sn.get(s2 + s))));
            t3 = t3.add(a3.mul(sp.get(s3 + s)).sub(b3.mul(sn.get(s3 + s))));
        }
        if (pixelScale != null) {
            FloatVector q = FloatVector.fromArray(F, pixelScale, j);
            t0 = t0.mul(q);
            t1 = t1.mul(q);
            t2 = t2.mul(q);
            t3 = t3.mul(q);
        }
        // stores inline, as in rows4's loop; out < 0 drops the row, lanes past the row end go through the scratch tail
        if (j + L <= pixels) {
            if (o0 >= 0) t0.intoArray(y, o0 + j);
            if (o1 >= 0) t1.intoArray(y, o1 + j);
            if (o2 >= 0) t2.intoArray(y, o2 + j);
            if (o3 >= 0) t3.intoArray(y, o3 + j);
        } else if (j < pixels) {
            int n = pixels - j;
            if (o0 >= 0) {
                t0.intoArray(tail, 0);
                System.arraycopy(tail, 0, y, o0 + j, n);
            }
            if (o1 >= 0) {
                t1.intoArray(tail, 0);
                System.arraycopy(tail, 0, y, o1 + j, n);
            }
            if (o2 >= 0) {
                t2.intoArray(tail, 0);
                System.arraycopy(tail, 0, y, o2 + j, n);
            }
            if (o3 >= 0) {
                t3.intoArray(tail, 0);
                System.arraycopy(tail, 0, y, o3 + j, n);
            }
        }
    }
}
