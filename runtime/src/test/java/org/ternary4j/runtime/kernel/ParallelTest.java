package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void everyIndexRunsExactlyOnceWhateverTheBlockSize() {
        try (Parallel par = Parallel.of(3)) {
            for (int n : new int[] {0, 1, 5, 64, 1000}) {
                for (int block : new int[] {1, 4, 7, 64, 5000}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                    par.forRange(n, block, (from, to) -> {
                        for (int i = from; i < to; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n " + n + " block " + block + " index " + i);
                }
            }
        }
    }

    @Test
    void aFailureInAnyBlockReachesTheCaller() {
        try (Parallel par = Parallel.of(2)) {
            for (int attempt = 0; attempt < 20; attempt++) {
                var e = assertThrows(IllegalArgumentException.class, () -> par.forRange(100, 1, (from, to) -> {
                    if (from == 57) throw new IllegalArgumentException("block 57");
                }));
                assertEquals("block 57", e.getMessage());
            }
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            par.forRange(10, 1, (from, to) -> hits.incrementAndGet(from));
            for (int i = 0; i < 10; i++) assertEquals(1, hits.get(i), "still usable after a failure");
        }
    }

    @Test
    void nestedRangesRunInline() {
        try (Parallel par = Parallel.of(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(16);
            par.forRange(4, 1, (from, to) -> par.forRange(4, 1, (a, b) -> {
                for (int i = a; i < b; i++) hits.incrementAndGet(from * 4 + i);
            }));
            for (int i = 0; i < 16; i++) assertEquals(1, hits.get(i));
        }
    }

    @Test
    void statsCountSharedCallsTheCallersBlocksAndWorkersWokenFromPark() throws InterruptedException {
        try (Parallel par = Parallel.of(2)) {
            Parallel.Stats start = par.stats();
            Thread caller = Thread.currentThread();
            AtomicInteger byCaller = new AtomicInteger();
            for (int call = 0; call < 5; call++) {
                par.forRange(10, 1, (from, to) -> {
                    if (Thread.currentThread() == caller) byCaller.incrementAndGet();
                });
            }
            par.forRange(3, 5, (from, to) -> {}); // one block: runs inline, shares nothing
            Parallel.Stats busy = par.stats().since(start);
            assertEquals(5, busy.sharedRanges());
            assertEquals(50, busy.blocks());
            assertEquals(byCaller.get(), busy.callerBlocks());
            assertEquals(5, busy.workerTasks());

            Thread.sleep(20); // far past the spin: the worker parks
            par.forRange(2, 1, (from, to) -> {});
            Parallel.Stats afterSleep = par.stats().since(start);
            assertEquals(6, afterSleep.workerTasks());
            assertEquals(busy.parkedStarts() + 1, afterSleep.parkedStarts());
            assertTrue(afterSleep.startDelayNanos() > 0);
        }
    }
}
