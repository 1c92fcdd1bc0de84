package org.ternary4j.runtime.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread working arrays that kernels reuse from call to call instead of allocating: a
 * product shared among threads runs its body once per block, and MiniLM's panel buffers alone,
 * allocated per block, came to tens of megabytes per run on two threads. An array is at least the
 * size asked for, its contents are left over from earlier use, and it belongs to the calling
 * thread until that thread asks for the same slot again, so a kernel must not hold one across a
 * call that may use the same slot.
 */
public final class Scratch {
    private Scratch() {}

    /** Which array: distinct uses that are alive at the same time take distinct slots. */
    public enum Slot { PANEL, DECODED, KEYS, VALUES, SCORES, SUMS, PARTIAL_SUMS, TABLES, LEVELS, TAP_BLOCK, ROWS_IN, PLACES, ROW_TABLES, VIEW, WEIGHTS, ROW_CODES, TAP_PLANES, PHASES, SUMS_POS, SUMS_NEG, SLAB, SLAB_SCALES, QUANTIZED, PIXEL_SCALES, FLOAT_TABLES, TAP_FRAME, TRANSFORMED, PLANE_PANEL, STEP_CODES, PARTIAL_PANEL, ROW_LEVELS, ROW_SCALES, QUAD_LEVELS, FEW_OUTPUTS }

    private static final ThreadLocal<Object[]> ARRAYS = ThreadLocal.withInitial(() -> new Object[Slot.values().length]);
    /** Per slot, what this thread last filled it for ({@link #claim}). */
    private static final ThreadLocal<Object[]> FILLED_FOR = ThreadLocal.withInitial(() -> new Object[Slot.values().length]);

    /**
     * Whether this thread's slot still has to be filled for {@code call} (an object of one call):
     * true the first time a thread asks for a call, then false until it asks for another call.
     */
    static boolean claim(Slot slot, Object call) {
        Object[] f = FILLED_FOR.get();
        if (f[slot.ordinal()] == call) return false;
        f[slot.ordinal()] = call;
        return true;
    }

    /** Drops this thread's working arrays (what closing a model does); a later call allocates afresh. */
    public static void release() {
        ARRAYS.remove();
        FILLED_FOR.remove();
    }

    public static float[] floats(Slot slot, int n) {
        Object[] a = ARRAYS.get();
        if (a[slot.ordinal()] instanceof float[] f && f.length >= n) return f;
        float[] f = new float[n];
        a[slot.ordinal()] = f;
        return f;
    }

    /** As {@link #floats}, with [0, n) cleared: for the few uses that need zeros where they write nothing. */
    static float[] zeroedFloats(Slot slot, int n) {
        float[] f = floats(slot, n);
        java.util.Arrays.fill(f, 0, n, 0f);
        return f;
    }

    /**
     * Native memory of at least {@code bytes}, 64-byte aligned (a misaligned 512-bit load crosses
     * two cache lines; Java arrays give no alignment), at least 64 KiB, grown on demand.
     */
    static MemorySegment aligned(Slot slot, long bytes) {
        Object[] a = ARRAYS.get();
        if (a[slot.ordinal()] instanceof MemorySegment m && m.byteSize() >= bytes) return m;
        MemorySegment m = Arena.ofAuto().allocate(Math.max(bytes, 1 << 16), 64);
        a[slot.ordinal()] = m;
        return m;
    }

    static int[] ints(Slot slot, int n) {
        Object[] a = ARRAYS.get();
        if (a[slot.ordinal()] instanceof int[] f && f.length >= n) return f;
        int[] f = new int[n];
        a[slot.ordinal()] = f;
        return f;
    }

    static short[] shorts(Slot slot, int n) {
        Object[] a = ARRAYS.get();
        if (a[slot.ordinal()] instanceof short[] f && f.length >= n) return f;
        short[] f = new short[n];
        a[slot.ordinal()] = f;
        return f;
    }
}
