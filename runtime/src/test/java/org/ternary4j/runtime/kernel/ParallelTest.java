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
    void partsAreContiguousAlignedAndTheSameThreadsFromCallToCall() {
        try (Parallel par = Parallel.of(3)) {
            for (int n : new int[] {0, 1, 5, 64, 128, 1000}) {
                for (int align : new int[] {1, 4, 8}) {
                    Thread[] first = null;
                    for (int call = 0; call < 3; call++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                        Thread[] byPart = new Thread[3];
                        java.util.List<int[]> parts = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
                        par.forEachPart(n, align, (from, to) -> {
                            parts.add(new int[] {from, to});
                            for (int i = from; i < to; i++) hits.incrementAndGet(i);
                        });
                        for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n " + n + " align " + align + " index " + i);
                        assertTrue(parts.size() <= 3, "one part per thread at most");
                        for (int[] part : parts) {
                            assertEquals(0, part[0] % align, "parts start at a multiple of the alignment");
                            assertTrue(part[1] == n || (part[1] - part[0]) % align == 0, "only the last part is shorter");
                        }
                        if (n >= 3 * align * 2) {
                            // record which thread ran the part holding index 0, the middle and the end
                            par.forEachPart(n, align, (from, to) -> {
                                for (int q = 0; q < 3; q++) if (from <= q * (n - 1) / 2 && q * (n - 1) / 2 < to) byPart[q] = Thread.currentThread();
                            });
                            assertEquals(Thread.currentThread(), byPart[0], "part 0 runs on the calling thread");
                            if (first == null) first = byPart;
                            else assertTrue(java.util.Arrays.equals(first, byPart), "the same parts on the same threads");
                        }
                    }
                }
            }
        }
    }

    @Test
    void aFailureInAnyPartReachesTheCaller() {
        try (Parallel par = Parallel.of(2)) {
            for (int attempt = 0; attempt < 20; attempt++) {
                var e = assertThrows(IllegalStateException.class, () -> par.forEachPart(100, 1, (from, to) -> {
                    if (from > 0) throw new IllegalStateException("the worker's part");
                }));
                assertEquals("the worker's part", e.getMessage());
            }
            par.wake();
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            par.forEachPart(10, 1, (from, to) -> {
                for (int i = from; i < to; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < 10; i++) assertEquals(1, hits.get(i), "still usable after a failure and a wake");
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
