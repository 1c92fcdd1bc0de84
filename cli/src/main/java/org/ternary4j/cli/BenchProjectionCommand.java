package org.ternary4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.concurrent.Callable;
import org.ternary4j.bench.ProjectionBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "projection", mixinStandardHelpOptions = true,
        description = "Elements/s of exact TNT (bucketed search) vs the full sort-and-scan formulation, 1 and 2 threads.")
final class BenchProjectionCommand implements Callable<Integer> {
    @Mixin JsonOption json;

    @Option(names = "--runs", defaultValue = "9", description = "Timed runs per configuration (median reported). Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--warmup", defaultValue = "2", description = "Warm-up seconds per configuration. Default: ${DEFAULT-VALUE}.")
    double warmup;

    @Override
    public Integer call() throws Exception {
        List<ProjectionBenchmark.Result> results = ProjectionBenchmark.run(new int[] {1, 2}, warmup, runs, json.on ? null : System.err);
        if (json.on) {
            ObjectMapper mapper = new ObjectMapper();
            for (var r : results) System.out.println(mapper.writeValueAsString(r));
            return 0;
        }
        System.out.printf("%-36s %-20s %7s %11s %12s %9s %11s %14s%n", "shape", "method", "threads", "median ms", "M elem/s", "vs sort", "vs 1 thread",
                "M/s per core");
        for (var r : results) {
            // The same shape and method at one thread, so the scaling with threads reads off one row.
            double one = results.stream().filter(o -> o.threads() == 1 && o.shape().equals(r.shape()) && o.method().equals(r.method()))
                    .mapToDouble(ProjectionBenchmark.Result::medianMs).findFirst().orElse(Double.NaN);
            // Per core: elements per CPU-second of the process, which other jobs on the machine do not inflate.
            System.out.printf("%-36s %-20s %7d %11.2f %12.1f %8.1fx %10.2fx %14s%n", r.shape(), r.method(), r.threads(), r.medianMs(),
                    r.elementsPerSecond() / 1e6, r.speedupVsSortedScan(), one / r.medianMs(),
                    Double.isNaN(r.elementsPerCpuSecond()) ? "" : String.format(java.util.Locale.ROOT, "%.1f", r.elementsPerCpuSecond() / 1e6));
        }
        return 0;
    }
}
