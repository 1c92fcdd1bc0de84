package org.ternary4j.formats.safetensors;

/**
 * The element types the safetensors format defines, with their width in bits. Only F32, F16 and
 * BF16 are read as floats; every other type is carried through as raw little-endian bytes.
 */
public enum DType {
    BOOL(8), U8(8), I8(8), F8_E5M2(8), F8_E4M3(8), F8_E8M0(8),
    I16(16), U16(16), F16(16), BF16(16),
    I32(32), U32(32), F32(32),
    I64(64), U64(64), F64(64),
    F4(4), F6_E2M3(6), F6_E3M2(6);

    private final int bits;

    DType(int bits) {
        this.bits = bits;
    }

    public int bits() {
        return bits;
    }

    /** Whether {@link SafetensorsReader#readFloats} can decode it. */
    public boolean isFloat() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** Bytes of {@code elements} values, or −1 when the count does not fill whole bytes. */
    public long byteSize(long elements) {
        long b = Math.multiplyExact(elements, bits);
        return b % 8 == 0 ? b / 8 : -1;
    }

    /** The dtype of this spelling, or null when the safetensors format has no such dtype. */
    public static DType of(String name) {
        for (DType d : values()) if (d.name().equals(name)) return d;
        return null;
    }
}
