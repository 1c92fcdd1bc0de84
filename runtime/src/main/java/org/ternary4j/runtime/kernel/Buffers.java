package org.ternary4j.runtime.kernel;

import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Float arrays for kernel outputs, reused from run to run of a graph on one thread: a classifier
 * run allocated about 3 MB of fresh activations, each new array zeroed in memory the caches had
 * long evicted (about 10 µs per 150 KB plane set), and the young collections it caused took CPU
 * from the kernels' second thread. While a run is {@linkplain #open open} on the calling thread,
 * {@link #floats} hands out arrays the run's earlier steps no longer need; the graph counts the
 * slots holding each lent array and returns it when the last one dies, so an array shared by
 * several values (a Reshape's output) is never reused while one of them lives. Arrays are not
 * cleared: only kernels that write every element of their output take them. Outside a run, and
 * on other threads (a pool's workers), {@link #floats} is {@code new float[n]}.
 */
public final class Buffers {
    /**
     * Floats kept for reuse per thread at most: 256 MB, or a quarter of the heap where that is less
     * (what a pool holds the collector cannot reclaim). Beyond it the lengths asked for least
     * recently go first: MiniLM at batch 32 × 128 tokens frees arrays of 6 to 25 MB, and under a
     * 64 MB bound that kept whatever came back first it allocated 169 MB a run (G1 humongous
     * allocations, a young collection every few runs); a corpus embedded in batches of rising
     * length asks for new lengths every batch, and arrays of lengths never asked for again had
     * filled the bound, so that nothing a run freed was kept for its own later steps.
     */
    static final long KEEP = Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 4 / Float.BYTES);
    private static final ThreadLocal<Buffers> CURRENT = new ThreadLocal<>();

    /** Free arrays by length, the length asked for or given back least recently first. */
    private final LinkedHashMap<Integer, ArrayDeque<float[]>> free = new LinkedHashMap<>(16, 0.75f, true);
    /** Arrays handed out in the open run, with the number of graph values that hold each. */
    private final IdentityHashMap<float[], int[]> lent = new IdentityHashMap<>();
    private long kept;
    /** The bound in floats: {@link #KEEP}, or a test's. */
    private long keep = KEEP;
    private boolean open;

    private Buffers() {}

    /** A float[n] whose every element the caller writes before anyone reads it. */
    public static float[] floats(int n) {
        Buffers b = CURRENT.get();
        if (b == null || !b.open) return new float[n];
        ArrayDeque<float[]> q = b.free.get(n);
        float[] a = q == null ? null : q.pollLast();
        if (a == null) a = new float[n];
        else b.kept -= n;
        b.lent.put(a, new int[1]);
        return a;
    }

    /** Scratch a kernel lent itself and is done with (held by no graph value): reused at once. */
    public static void recycle(float[] a) {
        Buffers b = CURRENT.get();
        if (b != null && b.open) {
            int[] holders = b.lent.get(a);
            if (holders != null && holders[0] == 0) b.giveBack(a);
        }
    }

    /**
     * Starts reusing arrays on this thread until the returned run is closed; null when a run is
     * already open here (a nested run allocates afresh, and the outer run keeps its arrays).
     */
    public static Run open() {
        Buffers b = current();
        if (b.open) return null;
        b.open = true;
        return b.new Run();
    }

    private static Buffers current() {
        Buffers b = CURRENT.get();
        if (b == null) CURRENT.set(b = new Buffers());
        return b;
    }

    /** Floats this thread keeps for reuse now. */
    public static long keptFloats() {
        Buffers b = CURRENT.get();
        return b == null ? 0 : b.kept;
    }

    /**
     * Drops the arrays this thread keeps for reuse (up to {@link #KEEP} floats that the collector
     * could not otherwise reclaim), unless a run is open here: what closing a model does.
     */
    public static void release() {
        Buffers b = CURRENT.get();
        if (b == null || b.open) return;
        b.free.clear();
        b.kept = 0;
    }

    /** Sets this thread's bound in floats (tests take a small one; {@link #KEEP} by default). */
    static void bound(long floats) {
        current().keep = floats;
    }

    private void giveBack(float[] a) {
        lent.remove(a);
        if (a.length > keep) return;
        free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).addLast(a);
        kept += a.length;
        for (var lengths = free.entrySet().iterator(); kept > keep; ) {
            ArrayDeque<float[]> oldest = lengths.next().getValue();
            while (kept > keep && !oldest.isEmpty()) kept -= oldest.pollFirst().length;
            if (oldest.isEmpty()) lengths.remove();
        }
    }

    /** An open run: the graph reports each value that takes or drops a lent array. */
    public final class Run implements AutoCloseable {
        /** A value now holds {@code a} (ignored unless this run lent it). */
        public void held(float[] a) {
            int[] holders = lent.get(a);
            if (holders != null) holders[0]++;
        }

        /** A value holding {@code a} is dead: the array is reused once no value holds it. */
        public void dropped(float[] a) {
            int[] holders = lent.get(a);
            if (holders != null && --holders[0] <= 0) giveBack(a);
        }

        /** Arrays still held (the run's outputs) are the caller's now; nothing lent is tracked further. */
        @Override
        public void close() {
            lent.clear();
            open = false;
        }
    }
}
