package org.ternary4j.runtime.kernel;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Where {@link QuadLutGemm} builds its tables: one static array cut into slots, a slot lent to a
 * thread for one tile. The JIT knows a static final array's length, and a lookup's index is a
 * byte's row in the slot's tables plus the slot's base, both bounded by constants, so the sweep's
 * table loads need no bounds checks: eight compares and branches of about 45 instructions per
 * weight row, and 15–28 % of the sweep's time on the Zen 3 (one thread, 128 vectors, 384 × 384,
 * 1536 × 384 and 384 × 1536 in one JVM) against the same sweep over a thread's own scratch array.
 */
final class QuadTableSpace {
    private QuadTableSpace() {}

    /** Shorts per slot: four tables of 256 rows of {@link QuadLutGemm#TILE} lanes (narrow tiles use half). */
    static final int SLOT = 4 * 256 * QuadLutGemm.TILE;
    /**
     * Slots: twice the processors rounded up to a power of two (at least 4, at most 64), so threads seldom
     * wait. The array is allocated when a quad product first runs and kept for the JVM's life:
     * 64 KiB a slot, 256 KiB on two processors, at most 4 MiB.
     */
    static final int SLOTS = Math.clamp(Integer.highestOneBit(Runtime.getRuntime().availableProcessors() - 1) << 2, 4, 64);
    static final short[] TABLES = new short[SLOTS * SLOT];
    private static final AtomicIntegerArray BUSY = new AtomicIntegerArray(SLOTS);
    /** One permit per slot: more threads than slots wait here, parked, rather than spin. */
    private static final Semaphore FREE = new Semaphore(SLOTS);

    /**
     * A free slot, now this thread's until {@link #release}; where every slot is lent, it waits for
     * one. With a permit at most SLOTS − 1 slots are taken by others, so the scan finds one.
     */
    static int acquire() {
        FREE.acquireUninterruptibly();
        for (int i = (int) Thread.currentThread().threadId();; i++) {
            int s = i & (SLOTS - 1);
            if (BUSY.get(s) == 0 && BUSY.compareAndSet(s, 0, 1)) return s;
        }
    }

    static void release(int slot) {
        BUSY.set(slot, 0);
        FREE.release();
    }

    /** The slot's first short in {@link #TABLES}; the mask lets the JIT bound every index built on it. */
    static int base(int slot) {
        return (slot & (SLOTS - 1)) * SLOT;
    }
}
