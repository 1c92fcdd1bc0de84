package org.ternary4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.ExactSupport;
import org.ternary4j.core.projection.GroupPasses;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.core.projection.Scales;

/**
 * Throughput of the exact TNT projection (elements per second) on the three shapes the issue
 * names, at 1 and 2 threads, beside the plain sort-then-scan formulation of the same optimum
 * (what the authors' code does) so the ratio comes from one run on one machine.
 */
public final class ProjectionBenchmark {

    /**
     * One measured configuration. {@code elementsPerCpuSecond}: elements per second of process CPU
     * time over the timed runs (per core busy, whatever else shares the machine; NaN where not measured).
     */
    public record Result(String shape, String grouping, String method, int threads, double medianMs, double elementsPerSecond, double speedupVsSortedScan,
                         double elementsPerCpuSecond) {}

    private record Case(String label, int[] shape, String grouping) {}

    private static final List<Case> CASES = List.of(
            new Case("rows of 4096 (1024x4096)", new int[] {1024, 4096}, "row"),
            new Case("3x3 kernel slices (256x256x3x3)", new int[] {256, 256, 3, 3}, "kernel"),
            new Case("one 16M-element tensor (4096x4096)", new int[] {4096, 4096}, "tensor"));

    /** The same optimum through a full sort of every group: the reference formulation. */
    private record SortedScanTnt() implements Projection {
        public String spec() { return "tnt (sorted scan)"; }

        public Scales project(float[] w, int n, byte[] codes) {
            float[] mags = new float[n];
            for (int i = 0; i < n; i++) mags[i] = Math.abs(w[i]);
            ExactSupport.Cut cut = ExactSupport.sortedScan(mags, n).cut();
            double s = 0;
            int k = 0;
            for (int i = 0; i < n; i++) {
                boolean keep = cut.keep(mags[i]);
                codes[i] = keep ? (byte) (w[i] > 0 ? 1 : -1) : 0;
                if (keep) { s += mags[i]; k++; }
            }
            return k == 0 ? Scales.ZERO : Scales.of(s / k);
        }
    }

    public static List<Result> run(int[] threadCounts, double warmupSeconds, int runs, java.io.PrintStream progress) {
        List<Result> results = new ArrayList<>();
        primeVectorPasses(progress);
        for (Case c : CASES) {
            int n = 1;
            for (int d : c.shape()) n *= d;
            float[] w = gaussian(n, 42);
            Grouping g = Grouping.parse(c.grouping());
            for (int threads : threadCounts) {
                double ref = time(new Ternarizer(new SortedScanTnt(), g, threads), c.shape(), w, warmupSeconds, runs);
                Ternarizer tnt = new Ternarizer(Projections.parse("tnt"), g, threads);
                double fast = time(tnt, c.shape(), w, warmupSeconds, runs);
                double cpu = cpuNanos(tnt, c.shape(), w, runs);
                results.add(new Result(c.label(), c.grouping(), "tnt (sorted scan)", threads, ref / 1e6, n / (ref / 1e9), 1.0, Double.NaN));
                results.add(new Result(c.label(), c.grouping(), "tnt", threads, fast / 1e6, n / (fast / 1e9), ref / fast, n / (cpu / 1e9)));
                if (progress != null) progress.printf("  %-36s threads=%d done%n", c.label(), threads);
            }
        }
        return results;
    }

    /**
     * The steady state of a long job: the projection's vector passes take over only after
     * {@link GroupPasses#VECTOR_AFTER} weights (a short job never pays their compilation), so
     * project that many first; without the Vector API module this measures the scalar passes.
     */
    private static void primeVectorPasses(java.io.PrintStream progress) {
        int[] shape = {1024, 4096};
        float[] w = gaussian(shape[0] * shape[1], 7);
        Ternarizer t = new Ternarizer(Projections.parse("tnt"), Grouping.parse("row"), 1);
        for (long done = 0; !GroupPasses.vectorsInUse() && done <= GroupPasses.VECTOR_AFTER; done += w.length) t.apply(shape, w);
        if (progress != null) progress.printf("  projection passes: %s%n", GroupPasses.vectorsInUse() ? "vector" : "scalar (no Vector API module)");
    }

    /** Process CPU nanoseconds per call over {@code runs} further (warm) calls. */
    private static double cpuNanos(Ternarizer t, int[] shape, float[] w, int runs) {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long c0 = os.getProcessCpuTime();
        for (int i = 0; i < runs; i++) t.apply(shape, w);
        return (os.getProcessCpuTime() - c0) / (double) runs;
    }

    private static double time(Ternarizer t, int[] shape, float[] w, double warmupSeconds, int runs) {
        return Measure.medianNanos(() -> t.apply(shape, w), (long) (warmupSeconds * 1e9), runs);
    }

    static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble(), v = r.nextDouble();
            w[i] = (float) (0.02 * Math.sqrt(-2 * Math.log1p(-u)) * Math.cos(2 * Math.PI * v));
        }
        return w;
    }
}
