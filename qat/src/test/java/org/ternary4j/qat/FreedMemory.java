package org.ternary4j.qat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes a read of released native memory visible: collects garbage (freeing the direct buffers of
 * closed engine arrays), then takes small buffers back from the allocator filled with NaN. A
 * backward pass that still reads such memory computes NaN instead of passing by luck.
 */
public final class FreedMemory {
    private FreedMemory() {}

    /** The buffers that now hold the freed memory; keep them reachable until the backward pass ran. */
    public static List<ByteBuffer> poison() throws InterruptedException {
        System.gc();
        // Direct buffers are freed by a cleaner thread after the collection.
        Thread.sleep(100);
        List<ByteBuffer> held = new ArrayList<>();
        for (int i = 0; i < 4096; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4 << (i % 4)).order(ByteOrder.nativeOrder());
            while (b.hasRemaining()) b.putFloat(Float.NaN);
            held.add(b);
        }
        return held;
    }
}
