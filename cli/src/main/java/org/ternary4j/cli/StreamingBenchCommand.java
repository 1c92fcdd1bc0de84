package org.ternary4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.ternary4j.bench.StreamingBench;
import org.ternary4j.formats.safetensors.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ternary4j bench streaming}: {@code quantize} in a child JVM on an input larger than its heap. */
@Command(name = "streaming", mixinStandardHelpOptions = true,
        description = "Quantize a synthetic safetensors file (default 4 GB) in a child JVM with a small heap; report time, throughput and peak RSS.")
final class StreamingBenchCommand implements Callable<Integer> {

    @Option(names = "--size", defaultValue = "4G", description = "Input size, e.g. 512M, 4G (default ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--dir", description = "Folder for the temporary files (default: java.io.tmpdir); deleted afterwards.")
    Path dir;

    @Option(names = "--method", defaultValue = "tnt", description = "Ternarization method quantize runs (default ${DEFAULT-VALUE}).") String method;
    @Option(names = "--grouping", defaultValue = "row", description = "Grouping quantize runs (default ${DEFAULT-VALUE}).") String grouping;
    @Mixin ThreadsOption threads = ThreadsOption.allProcessors();
    @Option(names = "--xmx", defaultValue = "1g", description = "Child JVM heap limit (default ${DEFAULT-VALUE}).") String xmx;
    @Option(names = "--rows", defaultValue = "4096", converter = Positive.class, description = "Rows of each synthetic weight tensor (default ${DEFAULT-VALUE}).") int rows;
    @Option(names = "--cols", defaultValue = "4096", converter = Positive.class, description = "Columns of each synthetic weight tensor (default ${DEFAULT-VALUE}).") int cols;
    @Option(names = "--dtype", defaultValue = "F32", description = "Weight type of the synthetic input: F32, BF16 or F16 (default ${DEFAULT-VALUE}).")
    DType dtype;
    @Option(names = "--shards", defaultValue = "1", converter = Positive.class,
            description = "Write the input as a sharded Hugging Face checkpoint of this many files, quantized folder to folder (default ${DEFAULT-VALUE}: one file).")
    int shards;
    @Option(names = "--reference", description = "Also run the TNT authors' sort + cumsum + argmax formulation (numpy, bench/reference/tnt_numpy.py) "
            + "on the same file and print the whole-process ratio; needs python3 with numpy, --method tnt --grouping row and one file.")
    boolean reference;
    @Option(names = "--rounds", defaultValue = "3", converter = Positive.class,
            description = "Rounds of a plain copy then quantize (then the reference), alternating; medians reported (default ${DEFAULT-VALUE}).")
    int rounds;

    @Override
    public Integer call() throws Exception {
        if (!dtype.isFloat()) throw new IllegalArgumentException("--dtype " + dtype + ": expected F32, BF16 or F16");
        StreamingBench.Input input = new StreamingBench.Input(StreamingBench.parseSize(size), rows, cols, dtype, shards);
        String label = String.format(Locale.ROOT, "quantize --method %s --grouping %s --threads %d, child JVM -Xmx%s", method, grouping, threads.count, xmx);
        StreamingBench.Reference ref = null;
        if (reference) {
            if (!method.equals("tnt") || !grouping.equals("row") || shards != 1) throw new IllegalArgumentException("--reference compares --method tnt --grouping row on one file");
            Path script = Path.of(System.getProperty("t4j.root", "."), "bench", "reference", "tnt_numpy.py");
            if (!Files.isRegularFile(script)) throw new IllegalArgumentException(script + ": not found");
            ref = new StreamingBench.Reference("numpy TNT formulation (" + script.getFileName() + ")",
                    (in, out) -> List.of("python3", script.toString(), in.toString(), out.toString()));
        }
        StreamingBench.Job job = new StreamingBench.Job(input, dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir")), label, this::quantize, ref, rounds);
        return StreamingBench.run(job, System.out) == 0 ? 0 : Errors.INTERNAL;
    }

    /**
     * The child: the {@code ternary4j} launcher when this runs from a checkout (what a user
     * starts, start-up cache included), with the heap limit given through T4J_JAVA_OPTS; else a
     * plain JVM on this class path.
     */
    private List<String> quantize(Path in, Path out, Path packed) {
        Path launcher = Path.of(System.getProperty("t4j.root", "."), "ternary4j");
        List<String> cmd = new ArrayList<>(Files.isExecutable(launcher)
                ? List.of("env", "T4J_JAVA_OPTS=-Xmx" + xmx, launcher.toString())
                : StreamingBench.java(xmx, Main.class.getName()));
        cmd.addAll(List.of("quantize", in.toString(), "-o", out.toString(), "--packed", packed.toString(),
                "--method", method, "--grouping", grouping, "--threads", Integer.toString(threads.count)));
        return cmd;
    }
}
