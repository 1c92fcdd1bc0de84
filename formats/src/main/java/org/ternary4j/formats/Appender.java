package org.ternary4j.formats;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where a writer puts a new file's bytes, in order from its start: around the page cache for a
 * large file ({@link DirectSink}), through it otherwise ({@link PageCacheAppender}). The writer
 * calls {@link #finish} once every byte is given, before the output's commit, and {@link #close}
 * when it abandons the output.
 */
public sealed interface Appender permits DirectSink, PageCacheAppender {
    /**
     * Files at least this large are written directly where the file system allows; smaller ones
     * fit the page cache without cost (an 800 MB quantize took the same time either way, 2.8-3.3 s,
     * alternating runs).
     */
    long DIRECT_FROM = 1L << 30;

    /** An appender for a file of {@code bytes} in all, written directly from {@link #DIRECT_FROM} bytes. */
    static Appender open(AtomicOutput out, long bytes) {
        return open(out, bytes, DIRECT_FROM);
    }

    /** An appender for a file of {@code bytes} in all, written directly from {@code directFrom} bytes where the file system allows. */
    static Appender open(AtomicOutput out, long bytes, long directFrom) {
        DirectSink direct = bytes >= directFrom ? DirectSink.open(out) : null;
        return direct != null ? direct : new PageCacheAppender(out);
    }

    /** Appends src's remaining bytes. */
    void write(ByteBuffer src) throws IOException;

    /** Makes sure the file holds every byte given and releases what the appender holds; again, it does nothing. */
    void finish() throws IOException;

    /** Stops without writing what is left; waits for a write under way. */
    void close() throws IOException;
}
