package org.ternary4j.bench;

/**
 * The round trip of one cache line between two threads: the calling thread writes a counter, a
 * second thread echoes it, the caller waits for the echo. What a hand-over between kernel threads
 * costs at the least, and a sign of how far apart the machine's cores are (on one die tens of
 * nanoseconds, across dies hundreds).
 */
final class CoreToCore {
    private static volatile long ping, pong;

    private CoreToCore() {}

    /** The median round trip in nanoseconds over a few batches of echoes. */
    static double roundTripNanos() throws InterruptedException {
        Thread echo = new Thread(() -> {
            long seen = 0;
            while (seen >= 0) {
                long p = ping;
                if (p != seen) pong = seen = p;
                else Thread.onSpinWait();
            }
        }, "ternary4j-bench-echo");
        echo.setDaemon(true);
        echo.start();
        int n = 100_000;
        double[] batches = new double[7];
        long next = 0;
        for (int b = 0; b < batches.length; b++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                ping = ++next;
                while (pong != next) Thread.onSpinWait();
            }
            batches[b] = (System.nanoTime() - t0) / (double) n;
        }
        ping = -1;
        echo.join(1000);
        java.util.Arrays.sort(batches);
        return batches[batches.length / 2];
    }
}
