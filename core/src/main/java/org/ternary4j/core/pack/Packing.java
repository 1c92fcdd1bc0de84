package org.ternary4j.core.pack;

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
