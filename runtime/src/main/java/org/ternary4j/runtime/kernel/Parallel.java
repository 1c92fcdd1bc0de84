package org.ternary4j.runtime.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed set of worker threads that share a range of output rows in blocks handed out on demand
 * (a thread that is descheduled on a busy machine simply takes fewer blocks). Each output is
 * computed by exactly one thread with the same arithmetic whichever thread it is, so results are
 * bit-identical for every thread count (nothing is reduced across threads).
 */
public final class Parallel implements AutoCloseable {

    /** Work on the half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final Parallel SERIAL = new Parallel(1);

    private final int threads;
    private final ExecutorService pool;

    private Parallel(int threads) {
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "ternary4j-kernel");
            t.setDaemon(true);
            return t;
        });
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
     * Runs {@code body} over [0, n) in blocks [i·block, min(n, (i+1)·block)), each block on one
     * thread; the calling thread works too.
     */
    public void forRange(int n, int block, RangeBody body) {
        int blocks = (n + block - 1) / block;
        int parts = Math.min(threads, blocks);
        if (parts <= 1) {
            if (n > 0) body.run(0, n);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int b; (b = next.getAndIncrement()) < blocks; ) body.run(b * block, Math.min(n, (b + 1) * block));
        };
        List<Future<?>> pending = new ArrayList<>(parts - 1);
        for (int p = 1; p < parts; p++) pending.add(pool.submit(worker));
        RuntimeException failure = null;
        try {
            worker.run();
        } catch (RuntimeException e) {
            failure = e;
            next.set(blocks);
        }
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = new IllegalStateException("interrupted", e);
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
        if (failure != null) throw failure;
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
