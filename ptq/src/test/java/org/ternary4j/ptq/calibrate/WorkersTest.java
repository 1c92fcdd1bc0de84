package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Tasks' results come back in submission order whatever the thread count; failures come back as thrown. */
class WorkersTest {
    @Test
    void resultsComeBackPerTaskInOrder() throws IOException {
        List<Future<Long>> fs = new ArrayList<>();
        for (int t = 0; t < 4 * Workers.threads() + 3; t++) {
            long n = 1000L * (t + 1);
            fs.add(Workers.submit(() -> n * (n + 1) / 2 == sum(n) ? n : -1)); // the brute-force sum against the closed form
        }
        for (int t = 0; t < fs.size(); t++) assertEquals(1000L * (t + 1), Workers.join(fs.get(t)));
    }

    @Test
    void joinRethrowsTheTasksOwnException() {
        IOException io = new IOException("f.onnx: broken");
        IOException got = assertThrows(IOException.class, () -> Workers.join(Workers.submit(() -> {
            throw io;
        })));
        assertSame(io, got);
        IllegalStateException ise = new IllegalStateException("no value 'x' at this cut");
        assertSame(ise, assertThrows(IllegalStateException.class, () -> Workers.join(Workers.submit(() -> {
            throw ise;
        }))));
    }

    @Test
    void settleWaitsAndSwallowsAFailure() {
        assertNull(Workers.settle(Workers.submit(() -> {
            throw new IOException("abandoned");
        })));
        assertEquals("done", Workers.settle(Workers.submit(() -> "done")));
        assertNull(Workers.settle(null));
    }

    @Test
    void nowRunsOnThisThreadAndKeepsTheFailure() {
        Thread me = Thread.currentThread();
        assertEquals(Boolean.TRUE, Workers.settle(Workers.now(() -> Thread.currentThread() == me)));
        IOException io = new IOException("f.onnx: broken");
        assertSame(io, assertThrows(IOException.class, () -> Workers.join(Workers.now(() -> {
            throw io;
        }))));
    }

    private static long sum(long n) {
        long s = 0;
        for (long i = 1; i <= n; i++) s += i;
        return s;
    }
}
