package org.ternary4j.formats;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;

/**
 * Starts writing a large output to disk while the rest of it is still being produced. The
 * commit's fsync otherwise waits for every dirty page at once: for a multi-gigabyte checkpoint,
 * gigabytes (the kernel lets a fifth of memory stay dirty), seconds of wall time after the last
 * byte. Every {@link #EVERY} bytes one fdatasync runs on a thread of its own (none starts while
 * one is running), so the writer never waits for it.
 */
final class EarlyFlush {
    static final long EVERY = 256L << 20;

    private final FileChannel channel;
    private long since;
    private Thread running;
    /** What a flush met; Linux reports a write-back error to one fsync only, so the commit must rethrow it. */
    private volatile IOException failure;

    EarlyFlush(FileChannel channel) {
        this.channel = channel;
    }

    /** Counts bytes just written; may start a flush. */
    void wrote(long bytes) {
        since += bytes;
        if (since < EVERY || (running != null && running.isAlive())) return;
        since = 0;
        running = Thread.ofPlatform().daemon().name("t4j-flush").start(this::flush);
    }

    private void flush() {
        try {
            channel.force(false);
        } catch (IOException e) {
            failure = e; // (a channel closed without a commit fails here too: no commit then asks)
        }
    }

    /** Waits for the flush in progress and rethrows what any flush met; before the commit's own fsync. */
    void finish() throws IOException {
        if (running != null) {
            try {
                running.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing to disk");
            }
        }
        if (failure != null) throw failure;
    }
}
