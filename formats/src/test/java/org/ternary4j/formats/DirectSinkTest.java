package org.ternary4j.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectSinkTest {
    @TempDir Path dir;

    /** Pieces of 1 byte to 3 MB, about five buffers' worth and a tail of no whole block: what the sink must write, in order. */
    private static byte[] writeRandomPieces(DirectSink sink, int seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        long total = 5L * DirectSink.BUFFER + 1234;
        while (expected.size() < total) {
            int n = (int) Math.min(total - expected.size(), rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(100) : 1 + rnd.nextInt(3 << 20));
            byte[] piece = new byte[n];
            rnd.nextBytes(piece);
            expected.write(piece);
            // heap buffers and a direct one, with a position that is not 0
            ByteBuffer b = rnd.nextBoolean() ? ByteBuffer.wrap(piece) : ByteBuffer.allocateDirect(n + 3).position(3).put(piece).position(3);
            sink.write(b);
            assertFalse(b.hasRemaining());
        }
        return expected.toByteArray();
    }

    /** A sink on out's file (null to skip the test: no direct I/O here). */
    private interface SinkOf {
        DirectSink on(AtomicOutput out) throws IOException;
    }

    /** Random pieces through the sink, then finished and committed: the file must hold exactly them. */
    private void roundTrip(SinkOf sinks, int seed) throws IOException {
        Path target = dir.resolve("out.bin");
        byte[] expected;
        try (AtomicOutput out = AtomicOutput.open(target)) {
            DirectSink sink = sinks.on(out);
            assumeTrue(sink != null, "the temporary folder's file system offers no direct I/O");
            expected = writeRandomPieces(sink, seed);
            sink.finish();
            out.commit();
        }
        assertArrayEquals(expected, Files.readAllBytes(target));
    }

    @Test
    void writesEveryByteInOrderAcrossItsBuffers() throws IOException {
        roundTrip(DirectSink::open, 1);
    }

    @Test
    void aFailingDirectWriteGoesThroughThePageCacheInstead() throws IOException {
        FileChannel refusing = FileChannel.open(dir.resolve("other"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        refusing.close(); // every write fails
        roundTrip(out -> DirectSink.over(out, refusing, 4096), 2);
        Files.delete(dir.resolve("other"));
    }

    @Test
    void anAbandonedOutputLeavesNoFile() throws IOException {
        Path target = dir.resolve("out.bin");
        try (AtomicOutput out = AtomicOutput.open(target)) {
            DirectSink sink = DirectSink.open(out);
            if (sink == null) sink = DirectSink.over(out, out.channel(), 4096);
            writeRandomPieces(sink, 3);
            sink.close(); // no finish, no commit
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count());
        }
    }
}
