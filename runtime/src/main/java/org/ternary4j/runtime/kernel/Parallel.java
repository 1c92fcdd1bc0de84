package org.ternary4j.runtime.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;

/**
 * A fixed set of worker threads that share a range of output rows in blocks handed out on demand
 * (a thread that is descheduled on a busy machine simply takes fewer blocks), or in one fixed
 * part per thread ({@link #forEachPart}) where keeping data on one core matters more. Each output is
 * computed by exactly one thread with the same arithmetic whichever thread it is, so results are
 * bit-identical for every thread count (nothing is reduced across threads).
 *
 * <p>Kernels take a fraction of a millisecond, so waking a parked thread would cost a noticeable
 * share: idle workers spin for {@link #SPIN_NANOS} before parking (as llama.cpp's and OpenMP's
 * workers do), so back-to-back calls find them awake.
 */
public final class Parallel implements AutoCloseable {

    /**
     * What a pool has done since it started, for benchmarks that ask why a parallel call took
     * longer than its share of the work: ranges shared among threads, their blocks and how many of
     * those the calling thread ran itself, the tasks handed to workers, how many of those found
     * the worker parked (not spinning), and the summed delay from hand-over to the worker's start.
     */
    public record Stats(long sharedRanges, long blocks, long callerBlocks, long workerTasks, long parkedStarts, long startDelayNanos) {
        /** The counts of this snapshot minus those of an earlier one. */
        public Stats since(Stats earlier) {
            return new Stats(sharedRanges - earlier.sharedRanges, blocks - earlier.blocks, callerBlocks - earlier.callerBlocks,
                    workerTasks - earlier.workerTasks, parkedStarts - earlier.parkedStarts, startDelayNanos - earlier.startDelayNanos);
        }
    }

    /** Work on the half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /**
     * How long an idle worker spins before parking. A parked worker took 15–55 µs to start on the
     * project's VM; with 50 µs of spin, MiniLM's workers were parked at 30 % of its 61 hand-overs
     * per run (45.7 µs mean start delay), with a millisecond (and {@link #wake} at each run) at none.
     */
    private static final long SPIN_NANOS = 1_000_000;
    private static final Parallel SERIAL = new Parallel(1);

    private final int threads;
    private final Worker[] workers;
    /** One range at a time; a call that finds it taken (nested or concurrent) runs on its own thread. */
    private final ReentrantLock busy = new ReentrantLock();
    private volatile boolean closed;
    /** Counters of shared ranges, written under {@link #busy} (see {@link Stats}). */
    private long sharedRanges, blocksRun, callerBlocks;

    private Parallel(int threads) {
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            Thread t = new Thread(workers[i], "ternary4j-kernel-" + (i + 1));
            t.setDaemon(true);
            workers[i].thread = t;
            t.start();
        }
    }

    public static Parallel serial() {
        return SERIAL;
    }

    public static Parallel of(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
        return threads == 1 ? SERIAL : new Parallel(threads);
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over [0, n) in ranges that start at a multiple of {@code block}: the blocks
     * [i·block, min(n, (i+1)·block)) shared among the threads (the calling thread works too), or
     * the whole [0, n) at once when there is nothing to share or this pool is already busy.
     */
    public void forRange(int n, int block, RangeBody body) {
        int blocks = (n + block - 1) / block;
        int parts = Math.min(threads, blocks);
        if (parts <= 1 || closed || busy.isHeldByCurrentThread() || !busy.tryLock()) {
            if (n > 0) body.run(0, n);
            return;
        }
        try {
            AtomicInteger next = new AtomicInteger();
            AtomicInteger pending = new AtomicInteger(parts - 1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread caller = Thread.currentThread();
            IntSupplier blocksLoop = () -> {
                int ran = 0;
                try {
                    for (int b; (b = next.getAndIncrement()) < blocks; ran++) body.run(b * block, Math.min(n, (b + 1) * block));
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    next.set(blocks);
                }
                return ran;
            };
            for (int p = 0; p < parts - 1; p++) {
                workers[p].give(() -> {
                    blocksLoop.getAsInt();
                    if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
                });
            }
            callerBlocks += blocksLoop.getAsInt();
            sharedRanges++;
            blocksRun += blocks;
            await(pending);
            rethrow(failure.get());
        } finally {
            busy.unlock();
        }
    }

    /**
     * Runs {@code body} over [0, n) split into one contiguous part per thread, part 0 on the calling
     * thread and part p on worker p, each part a multiple of {@code align} long but the last (or
     * the whole range at once when there is nothing to share or this pool is busy). Unlike
     * {@link #forRange} nothing is handed out on demand: successive calls with the same n give each
     * thread the same part, so rows one step wrote are still in that core's cache when the next
     * step reads them (on this project's machine a core read another core's freshly written lines
     * at a few GB/s, and a transformer layer's steps lost a third of their two-thread speed-up to
     * it). A descheduled worker is waited for.
     */
    public void forEachPart(int n, int align, RangeBody body) {
        int per = ((n + threads - 1) / threads + align - 1) / align * align;
        int parts = per == 0 ? 0 : (n + per - 1) / per;
        if (parts <= 1 || closed || busy.isHeldByCurrentThread() || !busy.tryLock()) {
            if (n > 0) body.run(0, n);
            return;
        }
        try {
            AtomicInteger pending = new AtomicInteger(parts - 1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread caller = Thread.currentThread();
            for (int p = 1; p < parts; p++) {
                int from = p * per, to = Math.min(n, from + per);
                workers[p - 1].give(() -> {
                    try {
                        body.run(from, to);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                    if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
                });
            }
            try {
                body.run(0, Math.min(n, per));
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
            sharedRanges++;
            blocksRun += parts;
            callerBlocks++;
            await(pending);
            rethrow(failure.get());
        } finally {
            busy.unlock();
        }
    }

    private void await(AtomicInteger pending) {
        long since = System.nanoTime();
        while (pending.get() > 0) {
            if (System.nanoTime() - since < SPIN_NANOS) Thread.onSpinWait();
            else LockSupport.parkNanos(this, 100_000);
        }
    }

    private static void rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
    }

    /**
     * Gets parked workers spinning again, without work and without waiting: a graph run calls it
     * first, so workers that parked since the last run are awake by its first shared step (on this
     * project's VM a parked worker took from tens of microseconds to a millisecond to start).
     */
    public void wake() {
        for (Worker w : workers) w.wake();
    }

    /** The counters so far; read them between calls (a call in progress may be partly counted). */
    public Stats stats() {
        busy.lock();
        try {
            long tasks = 0, parked = 0, delay = 0;
            for (Worker w : workers) {
                tasks += w.tasks;
                parked += w.parkedStarts;
                delay += w.startDelayNanos;
            }
            return new Stats(sharedRanges, blocksRun, callerBlocks, tasks, parked, delay);
        } finally {
            busy.unlock();
        }
    }

    @Override
    public void close() {
        if (this == SERIAL) return;
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w.thread);
    }

    private final class Worker implements Runnable {
        volatile Runnable task;
        /** When the caller handed over the current task (System.nanoTime). */
        volatile long givenAt;
        Thread thread;
        /** Written by the worker before it counts its task done, so the caller sees them after the join. */
        long tasks, parkedStarts, startDelayNanos;

        /** When the worker last finished a task or was woken (System.nanoTime): it spins until {@link #SPIN_NANOS} later. */
        volatile long idleSince = System.nanoTime();

        void give(Runnable r) {
            givenAt = System.nanoTime();
            task = r;
            LockSupport.unpark(thread);
        }

        void wake() {
            idleSince = System.nanoTime();
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            boolean parked = false;
            while (!closed) {
                Runnable t = task;
                if (t != null) {
                    task = null;
                    tasks++;
                    if (parked) parkedStarts++;
                    startDelayNanos += System.nanoTime() - givenAt;
                    parked = false;
                    t.run();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                    parked = task != null; // woken to run a task, or by wake() (then spinning again) or spuriously
                }
            }
        }
    }
}
