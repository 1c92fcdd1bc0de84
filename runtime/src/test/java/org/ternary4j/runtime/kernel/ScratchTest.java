package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ScratchTest {
    @Test
    void aSlotIsClaimedOncePerCallAndThread() throws Exception {
        Object first = new Object(), second = new Object();
        assertTrue(Scratch.claim(Scratch.Slot.ROW_TABLES, first), "first use in this call: fill it");
        assertFalse(Scratch.claim(Scratch.Slot.ROW_TABLES, first), "already filled for this call");
        assertTrue(Scratch.claim(Scratch.Slot.ROW_TABLES, second), "another call: fill it again");
        AtomicBoolean other = new AtomicBoolean();
        Thread t = new Thread(() -> other.set(Scratch.claim(Scratch.Slot.ROW_TABLES, second)));
        t.start();
        t.join();
        assertTrue(other.get(), "another thread has its own scratch, filled for nothing yet");
        assertFalse(Scratch.claim(Scratch.Slot.ROW_TABLES, second), "this thread's claim stands");
    }

    @Test
    void arraysAreReusedWhileLargeEnough() {
        short[] a = Scratch.shorts(Scratch.Slot.ROW_TABLES, 100);
        assertSame(a, Scratch.shorts(Scratch.Slot.ROW_TABLES, 50));
        short[] b = Scratch.shorts(Scratch.Slot.ROW_TABLES, a.length + 1);
        assertTrue(b.length > a.length);
    }
}
