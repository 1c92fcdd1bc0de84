package org.ternary4j.ptq.calibrate;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Threads for calibration work that does not depend on the work beside it: one layer's
 * statistics while ONNX Runtime computes the next cut, one layer's sensitivity run while the next
 * cut is computed, the full-precision model's next cut beside the partly ternary one's. Every
 * task computes what it would alone, in the same order (ONNX Runtime stays on one thread per
 * session), so results are the same bit for bit for any number of threads; only the wall time
 * changes. The threads are daemons: an idle pool never keeps the JVM alive.
 */
final class Workers {
    private static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());
    private static final ExecutorService POOL = Executors.newFixedThreadPool(THREADS, r -> {
        Thread t = new Thread(r, "t4j-calibration");
        t.setDaemon(true);
        return t;
    });

    private Workers() {}

    /** Work that may fail with an IOException. */
    interface Task<T> {
        T call() throws IOException;
    }

    /** How many tasks run at once. */
    static int threads() {
        return THREADS;
    }

    static <T> Future<T> submit(Task<T> task) {
        return POOL.submit(task::call);
    }

    /**
     * Parts of at most this many bytes may be in memory twice at once: for large models (the
     * recogniser's parts are hundreds of MB) a second part in memory would raise the peak more
     * than the overlap saves, so their work stays one piece after the other.
     */
    static final long BESIDE_BYTES = 64L << 20;

    /** {@link #submit} when {@code cut}'s parts are small enough to be worked on beside another; otherwise runs the task now. */
    static <T> Future<T> submitBeside(Cut cut, Task<T> task) {
        return cut.largestPart() <= BESIDE_BYTES ? submit(task) : now(task);
    }

    /** Runs the task on this thread; its result or failure as a future, like {@link #submit}'s. */
    static <T> Future<T> now(Task<T> task) {
        java.util.concurrent.CompletableFuture<T> done = new java.util.concurrent.CompletableFuture<>();
        try {
            done.complete(task.call());
        } catch (IOException | RuntimeException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    /** The task's result; its IOException or RuntimeException as thrown. */
    static <T> T join(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("calibration was interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        }
    }

    /**
     * Waits for a task that is being abandoned because something else failed, so that what it
     * reads is not released under it; its own result or failure no longer matters.
     */
    static <T> T settle(Future<T> f) {
        if (f == null) return null;
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    return null;
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
