package org.ternary4j.core.pack;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.core.projection.GroupPasses;

/**
 * The two byte layouts for ternary codes, in row-major element order over the whole tensor.
 * <ul>
 *   <li>{@code 2bit}: element i sits in byte i/4 at bits 2·(i mod 4); 0b00 = −1, 0b01 = 0,
 *       0b10 = +1 (0b11 never appears). 2.0 bits per weight.</li>
 *   <li>{@code base3}: five elements per byte, byte = Σ_{j<5} (c_{5k+j} + 1)·3^j ≤ 242; a shorter
 *       last byte pads with code 0 (digit 1). 1.6 bits per weight.</li>
 * </ul>
 */
public enum Packing {
    TWO_BIT("2bit", 4),
    BASE3("base3", 5);

    private static final int[] POW3 = {1, 3, 9, 27, 81};

    private final String spec;
    private final int codesPerByte;

    Packing(String spec, int codesPerByte) {
        this.spec = spec;
        this.codesPerByte = codesPerByte;
    }

    public String spec() {
        return spec;
    }

    public static Packing parse(String spec) {
        for (Packing p : values()) if (p.spec.equals(spec)) return p;
        throw new IllegalArgumentException("packing '" + spec + "': unknown; one of 2bit, base3");
    }

    public long packedBytes(long codes) {
        return (codes + codesPerByte - 1) / codesPerByte;
    }

    public byte[] pack(byte[] codes) {
        byte[] out = new byte[Math.toIntExact(packedBytes(codes.length))];
        if (this == TWO_BIT) {
            for (int i = 0; i < codes.length; i++) out[i >> 2] |= (byte) ((codes[i] + 1) << ((i & 3) << 1));
        } else {
            for (int k = 0; k < out.length; k++) {
                int v = 0;
                for (int j = 0; j < 5; j++) {
                    int i = k * 5 + j;
                    v += (i < codes.length ? codes[i] + 1 : 1) * POW3[j];
                }
                out[k] = (byte) v;
            }
        }
        return out;
    }

    /**
     * Packs codes[0…n) into out (room for {@link #packedBytes} of n), the bytes {@link #pack}
     * gives, and returns their count; out's later bytes may be overwritten. For pipelines that pack runs into reused buffers: once the
     * projection's vector passes are in use ({@link GroupPasses#vectorsInUse()}), base-3 packing
     * takes vector steps too.
     */
    public int packInto(byte[] codes, int n, byte[] out) {
        if (this == TWO_BIT) return packTwoBit(codes, n, out);
        int done = GroupPasses.vectorsInUse() && Vectors.WORTH_IT ? Vectors.packBase3(codes, n, out) : 0;
        return packBase3(codes, done, n, out);
    }

    private static int packTwoBit(byte[] codes, int n, byte[] out) {
        int bytes = (n + 3) / 4, full = n / 4;
        for (int k = 0, i = 0; k < full; k++, i += 4) {
            out[k] = (byte) ((codes[i] + 1) | (codes[i + 1] + 1) << 2 | (codes[i + 2] + 1) << 4 | (codes[i + 3] + 1) << 6);
        }
        for (int k = full; k < bytes; k++) {
            int v = 0;
            for (int j = 0, i = 4 * k; j < 4 && i < n; j++, i++) v |= (codes[i] + 1) << (2 * j);
            out[k] = (byte) v;
        }
        return bytes;
    }

    /** Base-3 bytes from byte {@code from} on (the earlier ones are written); missing codes of the last byte count as 0 (digit 1). */
    static int packBase3(byte[] codes, int from, int n, byte[] out) {
        int bytes = (n + 4) / 5, full = n / 5;
        // Σ (code + 1)·3^j = Σ code·3^j + 121: independent products instead of a chain of them.
        for (int k = from, i = 5 * from; k < full; k++, i += 5) {
            out[k] = (byte) (codes[i] + 3 * codes[i + 1] + 9 * codes[i + 2] + 27 * codes[i + 3] + 81 * codes[i + 4] + 121);
        }
        for (int k = Math.max(from, full); k < bytes; k++) {
            int v = 0;
            for (int j = 4, i = 5 * k + 4; j >= 0; j--, i--) v = v * 3 + (i < n ? codes[i] + 1 : 1);
            out[k] = (byte) v;
        }
        return bytes;
    }

    /**
     * Base-3 packing a vector at a time: one load of 64 codes, one byte permute per digit
     * position (lane k takes code 5k + j), and the digits combined in byte lanes (exact: the
     * result is below 256) give 12 packed bytes per 60 codes. C2 does not vectorize the scalar
     * loop (its loads are 5 apart). Only loaded once in use.
     */
    static final class Vectors {
        private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED;
        /** Packed bytes per step: whole groups of five codes in one vector. */
        private static final int OUT = B.length() / 5;
        /** Narrower vectors would pack a byte or two per step: not worth a permute per digit. */
        static final boolean WORTH_IT = B.length() >= 32;
        @SuppressWarnings("unchecked")
        private static final VectorShuffle<Byte>[] DIGIT = new VectorShuffle[5];

        static {
            for (int j = 0; j < 5; j++) {
                int digit = j;
                DIGIT[j] = VectorShuffle.fromOp(B, k -> k < OUT ? 5 * k + digit : 0);
            }
        }

        /** Packs whole steps of codes[0…n); returns how many packed bytes it wrote (from byte 0), and may overwrite later ones. */
        static int packBase3(byte[] codes, int n, byte[] out) {
            int k = 0;
            VectorShuffle<Byte> d0 = DIGIT[0], d1 = DIGIT[1], d2 = DIGIT[2], d3 = DIGIT[3], d4 = DIGIT[4];
            for (int i = 0; i + 5 * OUT <= n && i + B.length() <= codes.length && k + B.length() <= out.length; i += 5 * OUT, k += OUT) {
                ByteVector c = ByteVector.fromArray(B, codes, i);
                // Horner from the top digit: ((c4·3 + c3)·3 + …) + 121, 3x as x + x + x (bytes have no multiply).
                ByteVector v = c.rearrange(d4);
                v = v.add(v).add(v).add(c.rearrange(d3));
                v = v.add(v).add(v).add(c.rearrange(d2));
                v = v.add(v).add(v).add(c.rearrange(d1));
                v = v.add(v).add(v).add(c.rearrange(d0));
                v.add((byte) 121).intoArray(out, k); // whole vector: a masked store cost 10x; the next step overwrites the rest
            }
            return k;
        }
    }

    /** Decodes {@code count} codes; a clear error on a byte no packer writes. */
    public byte[] unpack(byte[] packed, int count) {
        if (packed.length != packedBytes(count)) {
            throw new IllegalArgumentException(spec + " codes: expected " + packedBytes(count) + " bytes for " + count + " codes, got " + packed.length);
        }
        byte[] codes = new byte[count];
        if (this == TWO_BIT) {
            for (int i = 0; i < count; i++) {
                int u = (packed[i >> 2] >> ((i & 3) << 1)) & 3;
                if (u == 3) throw new IllegalArgumentException("2bit codes: invalid code 0b11 at element " + i);
                codes[i] = (byte) (u - 1);
            }
        } else {
            for (int k = 0; k < packed.length; k++) {
                int v = packed[k] & 0xff;
                if (v > 242) throw new IllegalArgumentException("base3 codes: invalid byte " + v + " at offset " + k);
                for (int j = 0; j < 5 && k * 5 + j < count; j++) {
                    codes[k * 5 + j] = (byte) (v % 3 - 1);
                    v /= 3;
                }
            }
        }
        return codes;
    }
}
