package org.ternary4j.runtime.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A fixed set of worker threads that split a range of output rows into one contiguous slice per
 * thread. Each output is computed by exactly one thread with the same arithmetic whatever the
 * split, so results are bit-identical for every thread count (nothing is reduced across threads).
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
     * Runs {@code body} over [0, n) cut into at most {@link #threads()} slices whose inner
     * boundaries are multiples of {@code align}; the calling thread takes the first slice.
     */
    public void forRange(int n, int align, RangeBody body) {
        int units = (n + align - 1) / align;
        int parts = Math.min(threads, units);
        if (parts <= 1) {
            if (n > 0) body.run(0, n);
            return;
        }
        List<Future<?>> pending = new ArrayList<>(parts - 1);
        for (int p = 1; p < parts; p++) {
            int from = bound(p, parts, units, align, n), to = bound(p + 1, parts, units, align, n);
            pending.add(pool.submit(() -> body.run(from, to)));
        }
        RuntimeException failure = null;
        try {
            body.run(0, bound(1, parts, units, align, n));
        } catch (RuntimeException e) {
            failure = e;
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

    private static int bound(int p, int parts, int units, int align, int n) {
        return (int) Math.min(n, (long) units * p / parts * align);
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
