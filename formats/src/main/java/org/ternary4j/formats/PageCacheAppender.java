package org.ternary4j.formats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Appends through the output's own channel, starting an fdatasync every {@link EarlyFlush#EVERY} bytes ({@link EarlyFlush}). */
final class PageCacheAppender implements Appender {
    private final FileChannel channel;
    private final EarlyFlush early;

    PageCacheAppender(AtomicOutput out) {
        this.channel = out.channel();
        this.early = new EarlyFlush(channel);
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) early.wrote(channel.write(src));
    }

    @Override
    public void finish() throws IOException {
        early.finish();
    }

    @Override
    public void close() {
        // nothing held beyond the output's channel, which the output closes
    }
}
