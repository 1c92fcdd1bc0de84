package org.ternary4j.formats.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Tensor bytes in GGUF's little-endian layouts, for a slice of a tensor (whole rows or blocks). */
public final class GgufData {
    private GgufData() {}

    /** {@code values[from..to)} as F32 or F16 (rounded to nearest even). */
    public static ByteBuffer floats(GgufType type, float[] values, int from, int to) {
        ByteBuffer b = ByteBuffer.allocate((to - from) * type.blockBytes).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> { for (int i = from; i < to; i++) b.putFloat(values[i]); }
            case F16 -> { for (int i = from; i < to; i++) b.putShort(Float.floatToFloat16(values[i])); }
            default -> throw new IllegalArgumentException(type + " is not a float type");
        }
        return b.flip();
    }

    /**
     * Blocks {@code fromBlock..toBlock} of a ternary tensor: codes row-major, one scale per
     * 256-element block (block {@code b} covers codes {@code [256b, 256b + 256)}).
     */
    public static ByteBuffer ternary(TernaryBlocks format, byte[] codes, float[] blockScales, int fromBlock, int toBlock) {
        int bytes = format.type().blockBytes;
        byte[] out = new byte[(toBlock - fromBlock) * bytes];
        for (int b = fromBlock; b < toBlock; b++) {
            format.encode(codes, b * TernaryBlocks.BLOCK, TernaryBlocks.scaleBits(blockScales[b]), out, (b - fromBlock) * bytes);
        }
        return ByteBuffer.wrap(out);
    }
}
