package org.ternary4j.formats.gguf;

/**
 * The ggml tensor types this writer emits, with ggml's numbering ({@code enum ggml_type}) and
 * block geometry: a row of {@code n} elements takes {@code n / blockSize * blockBytes} bytes.
 */
public enum GgufType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    TQ1_0(34, Tq1_0.BLOCK, Tq1_0.BLOCK_BYTES),
    TQ2_0(35, Tq2_0.BLOCK, Tq2_0.BLOCK_BYTES);

    /** ggml's type number, as stored in a tensor info. */
    public final int id;
    /** Elements per block (1 for the float types) and the bytes one block takes. */
    public final int blockSize, blockBytes;

    GgufType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Bytes of a row of {@code rowLength} elements; {@code rowLength} must be a multiple of the block size. */
    public long rowBytes(long rowLength) {
        if (rowLength % blockSize != 0) throw new IllegalArgumentException(this + " rows must be a multiple of " + blockSize + " elements, got " + rowLength);
        return rowLength / blockSize * blockBytes;
    }

    /** The block format of a ternary type; an error for F32 and F16. */
    public TernaryBlocks blocks() {
        return switch (this) {
            case TQ1_0 -> new Tq1_0();
            case TQ2_0 -> new Tq2_0();
            default -> throw new IllegalArgumentException(this + " is not a ternary block type");
        };
    }

    /** The type of this spelling (case-insensitive), or a clear error listing the choices. */
    public static GgufType parse(String name) {
        for (GgufType t : values()) if (t.name().equalsIgnoreCase(name.trim())) return t;
        throw new IllegalArgumentException("GGUF type '" + name + "': unknown; one of F32, F16, TQ1_0, TQ2_0");
    }
}
