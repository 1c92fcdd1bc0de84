package org.ternary4j.runtime.kernel;

import java.util.function.IntUnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane selections over a pair of preferred-width float vectors: every other value of 2·L
 * consecutive floats (the stride-2 max pools of {@link TapConv} and the graph's conv finish, and
 * the stride-2 phase splits of {@link DepthwiseConv}, {@link PixelSource} and {@link WinogradConv}),
 * and the way back, two vectors' lanes interleaved ({@link WinogradConv}'s two output columns of
 * a tile row, the 2-wide transposed convolution's taps).
 *
 * <p>Where vectors are 512 bits the JDK compiles the two-vector {@code selectFrom} to one
 * permute of both (AVX-512's {@code vpermt2ps}); on AVX2 it has no such instruction and converts
 * the index vector to a shuffle at each call: there a two-vector {@code rearrange} by a constant
 * shuffle (two permutes and a blend) took 2.1 against 3.7–4.2 ns a pair of vectors split into
 * even and odd lanes (Zen 3, 4096 floats, best of 20 000 calls).
 */
public final class PairLanes {
    private PairLanes() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /**
     * Lane indices over a pair (a, b), i below L a's lane i and L + i b's, as index vectors and as
     * shuffles. {@link WinogradConv}'s output step takes the zips' index vectors itself: it is too
     * large for C2 to inline a helper, and a vector passed to a call is boxed.
     */
    private static final FloatVector EVEN = lanes(PairLanes::even), ODD = lanes(PairLanes::odd);
    static final FloatVector ZIP_LO = lanes(PairLanes::zipLow), ZIP_HI = lanes(PairLanes::zipHigh);
    private static final VectorShuffle<Float> EVEN_S = VectorShuffle.fromOp(F, PairLanes::even), ODD_S = VectorShuffle.fromOp(F, PairLanes::odd);
    private static final VectorShuffle<Float> ZIP_LO_S = VectorShuffle.fromOp(F, PairLanes::zipLow), ZIP_HI_S = VectorShuffle.fromOp(F, PairLanes::zipHigh);

    private static int even(int i) {
        return 2 * i;
    }

    private static int odd(int i) {
        return 2 * i + 1;
    }

    private static int zipLow(int i) {
        return (i % 2 == 0 ? 0 : L) + i / 2;
    }

    private static int zipHigh(int i) {
        return (i % 2 == 0 ? 0 : L) + L / 2 + i / 2;
    }

    /** a[0], a[2], …, b[0], b[2], …: the even ones of the 2·L floats held in a then b. */
    public static FloatVector even(FloatVector a, FloatVector b) {
        return VectorWidth.WIDE ? EVEN.selectFrom(a, b) : a.rearrange(EVEN_S, b);
    }

    /** a[1], a[3], …, b[1], b[3], …: the odd ones of the 2·L floats held in a then b. */
    public static FloatVector odd(FloatVector a, FloatVector b) {
        return VectorWidth.WIDE ? ODD.selectFrom(a, b) : a.rearrange(ODD_S, b);
    }

    /** a[0], b[0], a[1], b[1], … over the first halves of a and b. */
    public static FloatVector zipLow(FloatVector a, FloatVector b) {
        return VectorWidth.WIDE ? ZIP_LO.selectFrom(a, b) : a.rearrange(ZIP_LO_S, b);
    }

    /** a[L/2], b[L/2], a[L/2 + 1], … over the second halves of a and b. */
    public static FloatVector zipHigh(FloatVector a, FloatVector b) {
        return VectorWidth.WIDE ? ZIP_HI.selectFrom(a, b) : a.rearrange(ZIP_HI_S, b);
    }

    /** The vector of lane(i) in lane i. */
    static FloatVector lanes(IntUnaryOperator lane) {
        float[] ix = new float[L];
        for (int i = 0; i < L; i++) ix[i] = lane.applyAsInt(i);
        return FloatVector.fromArray(F, ix, 0);
    }

    /**
     * y[dst + k] = max(max(a[r0 + 2k], a[r1 + 2k]), max(a[r0 + 2k + 1], a[r1 + 2k + 1])) for k
     * below cols / 2: the 2×2 stride-2 max pool of one pair of rows (each at least cols long). Whole
     * vectors of outputs by plain loads and stores, the rest scalar, maxima in the same order. Masks
     * cost more than they saved on a Zen 3 (28 columns took 29–43 against 45–55 ns a row pair with
     * masked loads and stores), and a masked access that reached past an array's end left the
     * intrinsic for the Vector API's lane-by-lane check (5 % of LeNet-5's profile samples).
     */
    public static void maxPool(float[] a, int r0, int r1, int cols, float[] y, int dst) {
        int pw = cols / 2, k = 0;
        for (; k + L <= pw; k += L) {
            int x = 2 * k;
            FloatVector v0 = FloatVector.fromArray(F, a, r0 + x).max(FloatVector.fromArray(F, a, r1 + x));
            FloatVector v1 = FloatVector.fromArray(F, a, r0 + x + L).max(FloatVector.fromArray(F, a, r1 + x + L));
            even(v0, v1).max(odd(v0, v1)).intoArray(y, dst + k);
        }
        for (; k < pw; k++) y[dst + k] = Math.max(Math.max(a[r0 + 2 * k], a[r1 + 2 * k]), Math.max(a[r0 + 2 * k + 1], a[r1 + 2 * k + 1]));
    }
}
