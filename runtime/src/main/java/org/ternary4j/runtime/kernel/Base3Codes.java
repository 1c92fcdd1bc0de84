package org.ternary4j.runtime.kernel;

import java.util.function.IntUnaryOperator;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A flat stream of ternary codes, five base-3 digits a byte (1.6 bits a code) with no padding
 * but at the stream's end: the resident form of layers too small for the kernels' padded layouts
 * (a 1×1 conv with 8 inputs took 16× its codes' size padded to a 128-input chunk). Codes are
 * stored in groups of {@link #GROUP}: byte i of a group holds codes i, i + L, …, i + 4L (L float
 * lanes), so {@link #decode} turns digit d of L bytes into one vector of L consecutive codes.
 */
final class Base3Codes {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * L));
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * L));
    /** Codes per group of L bytes. */
    static final int GROUP = 5 * L;

    private final byte[] bytes;
    private final int count;

    private Base3Codes(byte[] bytes, int count) {
        this.bytes = bytes;
        this.count = count;
    }

    /** Codes 0 … count − 1, code(i) ∈ {−1, 0, +1}. */
    static Base3Codes of(int count, IntUnaryOperator code) {
        byte[] b = new byte[Math.multiplyExact(groups(count), L)];
        for (int i = 0; i < count; i++) {
            int c = code.applyAsInt(i);
            if (c < -1 || c > 1) throw new IllegalArgumentException("ternary code " + c + " at " + i + " is not in {-1, 0, 1}");
            int g = i / GROUP, r = i % GROUP, at = g * L + r % L;
            b[at] = (byte) ((b[at] & 0xFF) + (c + 1) * PackedTernaryMatrix.POW3[r / L]);
        }
        return new Base3Codes(b, count);
    }

    private static int groups(int count) {
        return (count + GROUP - 1) / GROUP;
    }

    int count() {
        return count;
    }

    /** Bytes kept resident. */
    long residentBytes() {
        return bytes.length;
    }

    /** Floats {@link #decode} writes: the count rounded up to whole groups. */
    int decodedLength() {
        return groups(count) * GROUP;
    }

    /** Code i, scalar. */
    int code(int i) {
        int g = i / GROUP, r = i % GROUP;
        return (bytes[g * L + r % L] & 0xFF) / PackedTernaryMatrix.POW3[r / L] % 3 - 1;
    }

    /**
     * Every code as −1f, 0f or +1f at dst[i], a group at a time: per digit a multiply and a shift
     * divide L bytes by 3 ((t·171) >>> 9 = ⌊t/3⌋ for t < 256), and the remainder is the digit.
     * dst holds {@link #decodedLength} floats; those past the count are −1. The five digits are
     * written out in one loop body, not a loop carrying the quotient: with that inner loop C2 kept
     * the vectors boxed in some JVMs and not others (PP-OCRv4's recogniser then allocated 10–28 MB
     * a call instead of 3, and ran 10–25 % slower).
     */
    void decode(float[] dst) {
        short three = 3, inverse = 171;
        for (int g = 0, n = groups(count); g < n; g++) {
            ShortVector t0 = ((ShortVector) ByteVector.fromArray(B, bytes, g * L).convertShape(VectorOperators.B2S, S, 0)).and((short) 0xFF);
            ShortVector t1 = t0.mul(inverse).lanewise(VectorOperators.LSHR, 9), t2 = t1.mul(inverse).lanewise(VectorOperators.LSHR, 9);
            ShortVector t3 = t2.mul(inverse).lanewise(VectorOperators.LSHR, 9), t4 = t3.mul(inverse).lanewise(VectorOperators.LSHR, 9);
            int at = g * GROUP;
            ((FloatVector) t0.sub(t1.mul(three)).convertShape(VectorOperators.S2F, F, 0)).sub(1f).intoArray(dst, at);
            ((FloatVector) t1.sub(t2.mul(three)).convertShape(VectorOperators.S2F, F, 0)).sub(1f).intoArray(dst, at + L);
            ((FloatVector) t2.sub(t3.mul(three)).convertShape(VectorOperators.S2F, F, 0)).sub(1f).intoArray(dst, at + 2 * L);
            ((FloatVector) t3.sub(t4.mul(three)).convertShape(VectorOperators.S2F, F, 0)).sub(1f).intoArray(dst, at + 3 * L);
            ((FloatVector) t4.convertShape(VectorOperators.S2F, F, 0)).sub(1f).intoArray(dst, at + 4 * L);
        }
    }
}
