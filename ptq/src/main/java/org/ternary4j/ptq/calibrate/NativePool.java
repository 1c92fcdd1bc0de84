package org.ternary4j.ptq.calibrate;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Native memory for the values calibration carries from cut to cut, reused by size: every part of
 * every batch asks for the same few sizes, and fresh memory costs a page fault per page and
 * zeroing, which made up a tenth of calibration's time. A taken block's contents are whatever its
 * last user left: callers overwrite all of it. At most {@value #IDLE_LIMIT} bytes wait idle, and
 * none once no block is out and nobody {@link #hold holds} the pool (a pass over the calibration
 * set has ended).
 */
final class NativePool {
    static final long IDLE_LIMIT = 256L << 20;

    private final Map<Long, ArrayDeque<Block>> idle = new HashMap<>();
    private final ArrayDeque<Block> order = new ArrayDeque<>(); // idle blocks, oldest first
    private long idleBytes;
    private int taken;
    private int holders;

    /** One block of native memory; {@link #release} hands it back (never twice). */
    final class Block {
        private final Arena arena;
        private final MemorySegment segment;
        private boolean out = true;

        private Block(long bytes) {
            arena = Arena.ofShared();
            segment = arena.allocate(Math.max(1, bytes), 64);
        }

        /** The block as a direct buffer in native byte order. */
        ByteBuffer buffer() {
            return segment.asByteBuffer().order(ByteOrder.nativeOrder());
        }

        void release() {
            synchronized (NativePool.this) {
                if (!out) throw new IllegalStateException("native block released twice");
                out = false;
                taken--;
                idle.computeIfAbsent(segment.byteSize(), b -> new ArrayDeque<>()).push(this);
                order.addLast(this);
                idleBytes += segment.byteSize();
                while (idleBytes > IDLE_LIMIT) {
                    Block old = order.removeFirst();
                    idle.get(old.segment.byteSize()).remove(old);
                    idleBytes -= old.segment.byteSize();
                    old.arena.close();
                }
                if (taken == 0 && holders == 0) clear();
            }
        }
    }

    /** Keeps idle blocks while no block is out, until the matching {@link #unhold}: more are about to be taken. */
    synchronized void hold() {
        holders++;
    }

    synchronized void unhold() {
        if (holders == 0) throw new IllegalStateException("native pool released more often than held");
        holders--;
        if (taken == 0 && holders == 0) clear();
    }

    /** A block of exactly {@code bytes} bytes (at least one), an idle one when there is one. */
    synchronized Block take(long bytes) {
        ArrayDeque<Block> same = idle.get(Math.max(1, bytes));
        if (same != null && !same.isEmpty()) {
            Block b = same.pop();
            order.remove(b);
            idleBytes -= b.segment.byteSize();
            b.out = true;
            taken++;
            return b;
        }
        Block b = new Block(bytes);
        taken++;
        return b;
    }

    /** Releases every idle block now (blocks out stay out). */
    synchronized void trim() {
        clear();
    }

    private void clear() {
        for (Block b : order) b.arena.close();
        order.clear();
        idle.clear();
        idleBytes = 0;
    }
}
