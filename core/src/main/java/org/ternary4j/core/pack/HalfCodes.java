package org.ternary4j.core.pack;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.core.projection.GroupPasses;

/**
 * The per-weight passes of streaming a 16-bit tensor through a projection: BF16 weights to
 * floats, and codes to the 16-bit pattern of their value. C2 compiles neither loop to vector
 * code on its own (the widening and narrowing between bytes, shorts and ints stops it), and they
 * cost as much as the projection's own passes. The vector forms run once the projection's do
 * ({@link GroupPasses#vectorsInUse()}: short jobs are not worth C2 compiling them); both forms
 * give the same bits.
 */
public final class HalfCodes {
    private HalfCodes() {}

    /** out[i] = the float of BF16 bits h[at + i], for i &lt; n. */
    public static void decodeBf16(short[] h, int at, int n, float[] out) {
        int i = GroupPasses.vectorsInUse() ? Vectors.decodeBf16(h, at, n, out) : 0;
        for (; i < n; i++) out[i] = Float.intBitsToFloat(h[at + i] << 16);
    }

    /**
     * out[at + i] = {@code plus} where codes[i] is +1, {@code plus} with the sign bit set where it
     * is −1, and 0 where it is 0 (a value and its negation in any 16-bit sign-magnitude format),
     * for i &lt; n; {@code plus} must have its sign bit clear. Returns how many codes are not 0.
     */
    public static int signedHalves(byte[] codes, int n, short plus, short[] out, int at) {
        if (plus < 0) throw new IllegalArgumentException("plus has its sign bit set");
        return GroupPasses.vectorsInUse() ? Vectors.signedHalves(codes, n, plus, out, at) : scalarSignedHalves(codes, 0, n, plus, out, at);
    }

    /** signedHalves for codes[from…n). */
    static int scalarSignedHalves(byte[] codes, int from, int n, short plus, short[] out, int at) {
        int kept = 0;
        for (int i = from; i < n; i++) {
            int c = codes[i];
            out[at + i] = (short) ((plus & -(c & 1)) | (c & 0x8000));
            kept += c & 1;
        }
        return kept;
    }

    /** The vector forms (decodeBf16 returns where its scalar tail starts). Only loaded once in use. */
    static final class Vectors {
        private static final int LANES = FloatVector.SPECIES_PREFERRED.length();
        private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(LANES * 16));
        private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 8));
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
        /** Constant species, as the JIT's vector intrinsics require (one looked up per call is not). */
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

        static int decodeBf16(short[] h, int at, int n, float[] out) {
            int i = 0;
            for (int bound = F.loopBound(n); i < bound; i += LANES) {
                ShortVector.fromArray(S, h, at + i).convertShape(VectorOperators.S2I, I, 0)
                        .reinterpretAsInts().lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(out, i);
            }
            return i;
        }

        static int signedHalves(byte[] codes, int n, short plus, short[] out, int at) {
            int kept = 0, i = 0;
            for (int bound = S.loopBound(n); i < bound; i += LANES) {
                ShortVector c = (ShortVector) ByteVector.fromArray(B, codes, i).convertShape(VectorOperators.B2S, S, 0);
                c.and((short) 1).neg().and(plus).or(c.and((short) 0x8000)).intoArray(out, at + i);
                kept += c.compare(VectorOperators.NE, 0).trueCount();
            }
            return kept + scalarSignedHalves(codes, i, n, plus, out, at);
        }
    }
}
