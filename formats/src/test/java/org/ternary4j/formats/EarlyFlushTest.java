package org.ternary4j.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EarlyFlushTest {

    @Test
    void flushesOnlyPastTheThresholdAndCommitsCleanly(@TempDir Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve("f"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            EarlyFlush early = new EarlyFlush(ch);
            early.wrote(ch.write(ByteBuffer.allocate(1000)));
            early.wrote(EarlyFlush.EVERY);
            early.finish();
            assertEquals(1000, ch.size());
        }
    }

    /** A flush that fails (here: on a channel already closed) is reported by finish, not lost. */
    @Test
    void aFailedFlushIsRethrownByFinish(@TempDir Path dir) throws IOException {
        FileChannel ch = FileChannel.open(dir.resolve("f"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        ch.close();
        EarlyFlush early = new EarlyFlush(ch);
        early.wrote(EarlyFlush.EVERY - 1);
        early.finish(); // below the threshold: no flush, nothing to report
        early.wrote(1);
        IOException e = assertThrows(IOException.class, early::finish);
        assertTrue(e instanceof java.nio.channels.ClosedChannelException, e.toString());
    }
}
