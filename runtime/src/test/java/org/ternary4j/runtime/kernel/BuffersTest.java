package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class BuffersTest {
    @Test
    void outsideARunEveryArrayIsNew() {
        float[] a = Buffers.floats(8);
        a[0] = 1;
        assertNotSame(a, Buffers.floats(8));
    }

    /** An array comes back once the last value holding it is dropped, to a request of its size only. */
    @Test
    void reusesAnArrayOnceNoValueHoldsIt() {
        try (Buffers.Run run = Buffers.open()) {
            float[] a = Buffers.floats(16);
            run.held(a);
            run.held(a); // a Reshape's output sharing the array
            run.dropped(a);
            assertNotSame(a, Buffers.floats(16), "still held by one value");
            run.dropped(a);
            assertNotSame(a, Buffers.floats(15), "another size");
            assertSame(a, Buffers.floats(16));
        }
    }

    /** Scratch a kernel lent itself is reused at once, unless a value holds it; arrays not lent by the run are never taken. */
    @Test
    void recyclesOnlyUnheldArraysItLent() {
        try (Buffers.Run run = Buffers.open()) {
            float[] scratch = Buffers.floats(32), held = Buffers.floats(32), foreign = new float[32];
            run.held(held);
            Buffers.recycle(held);
            Buffers.recycle(foreign);
            run.held(foreign);
            run.dropped(foreign);
            Buffers.recycle(scratch);
            assertSame(scratch, Buffers.floats(32));
            float[] next = Buffers.floats(32);
            assertNotSame(held, next);
            assertNotSame(foreign, next);
        }
    }

    /** A nested run gets no handle (its arrays are the outer run's business); after close, held arrays are the caller's for good. */
    /** release drops what the thread keeps, but not while a run is open (its arrays are in use). */
    @Test
    void releaseDropsTheKeptArraysOutsideARun() {
        Buffers.release();
        float[] a;
        try (Buffers.Run run = Buffers.open()) {
            a = Buffers.floats(64);
            run.held(a);
            run.dropped(a);
            Buffers.release();
            assertEquals(64, Buffers.keptFloats(), "not during a run");
        }
        Buffers.release();
        assertEquals(0, Buffers.keptFloats());
        try (Buffers.Run run = Buffers.open()) {
            assertNotSame(a, Buffers.floats(64));
        }
    }

    @Test
    void nestedRunsAndClosedRunsKeepTheirArrays() {
        float[] out;
        try (Buffers.Run run = Buffers.open()) {
            assertNull(Buffers.open());
            out = Buffers.floats(4);
            run.held(out);
        }
        try (Buffers.Run run = Buffers.open()) {
            run.dropped(out);
            assertNotSame(out, Buffers.floats(4), "an array of an earlier run is not this run's to reuse");
        }
    }
    /** Beyond its bound the pool drops the lengths asked for least recently, not the array just given back. */
    @Test
    void beyondItsBoundThePoolDropsTheLengthsAskedForLeastRecently() {
        Buffers.bound(100);
        try (Buffers.Run run = Buffers.open()) {
            float[] a = Buffers.floats(40), c = Buffers.floats(30), d = Buffers.floats(60);
            for (float[] x : new float[][] {a, c, d}) run.held(x);
            run.dropped(a);
            run.dropped(c);
            run.dropped(d); // 130 floats free: the 40, given back and asked for least recently, go
            assertSame(d, Buffers.floats(60));
            assertSame(c, Buffers.floats(30));
            assertNotSame(a, Buffers.floats(40));
        } finally {
            Buffers.bound(Buffers.KEEP);
        }
    }
}
