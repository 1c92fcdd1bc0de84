package org.ternary4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.ternary4j.formats.Appender;
import org.ternary4j.formats.AtomicOutput;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * Quantizes a synthetic safetensors file larger than a child process's heap, to show that memory
 * stays bounded by one tensor. Prints wall time, throughput, peak RSS, and two copies of the same
 * input forced to disk as the baseline ratios (a plain one, and one that writes as quantize does). The quantizer is whatever command line the caller gives.
 */
public final class StreamingBench {

    /** The child process under test, given its input and the two files it is to write. */
    @FunctionalInterface
    public interface ChildCommand {
        List<String> of(Path input, Path output, Path packed);
    }

    /**
     * Full {@code rows × cols} tensors of {@code dtype} (plus a bias each) until {@code bytes} is
     * reached, in one file or, with {@code shards} &gt; 1, as a Hugging Face sharded checkpoint
     * (a folder of {@code model-0000k-of-0000N.safetensors} and {@code model.safetensors.index.json}).
     */
    public record Input(long bytes, int rows, int cols, DType dtype, int shards) {
        public Input {
            if (bytes < 1 || rows < 1 || cols < 1 || shards < 1) throw new IllegalArgumentException("input size, tensor shape and shards must be positive");
            if (!dtype.isFloat()) throw new IllegalArgumentException("dtype " + dtype + " is not a float type");
        }

        public Input(long bytes, int rows, int cols) {
            this(bytes, rows, cols, DType.F32, 1);
        }
    }

    /**
     * {@code label} says what the child runs, for the report; temporary files go under {@code dir};
     * {@code rounds} of a copy then the child (then the reference) give the medians reported.
     */
    public record Job(Input input, Path dir, String label, ChildCommand command, Reference reference, int rounds) {
        public Job {
            if (rounds < 1) throw new IllegalArgumentException("rounds must be ≥ 1, got " + rounds);
        }

        public Job(Input input, Path dir, String label, ChildCommand command) {
            this(input, dir, label, command, null, 1);
        }
    }

    /**
     * A second program run on the same input after the quantizer, for a whole-process ratio from
     * one run (the numpy formulation of TNT, say); {@code command} gets the input and its output.
     */
    public record Reference(String label, java.util.function.BiFunction<Path, Path, List<String>> command) {}

    private record Child(int exit, double seconds, double cpuSeconds, long hwmKb, long anonKb) {}

    private StreamingBench() {}

    /** Runs the job, prints its report and returns the child's exit code; the temporary files are deleted. */
    public static int run(Job job, PrintStream out) throws IOException, InterruptedException {
        Input input = job.input();
        long free = Files.getFileStore(job.dir()).getUsableSpace();
        long needed = input.bytes() * 21 / 10 + (256L << 20); // input, output, packed, slack
        if (free < needed) throw new IOException(job.dir() + ": needs " + needed / (1 << 20) + " MB free, has " + free / (1 << 20) + " MB");
        Path work = Files.createTempDirectory(job.dir(), "t4j-streaming-");
        try {
            boolean sharded = input.shards() > 1;
            Path in = work.resolve(sharded ? "in" : "in.safetensors");
            long t0 = System.nanoTime();
            int tensors = generate(in, input);
            double genS = (System.nanoTime() - t0) / 1e9;
            long inBytes = size(in);
            out.printf(Locale.ROOT, "input: %s, %.0f MB%s, %d %s tensors of %dx%d + a bias each (generated in %.1f s)%n", in, inBytes / 1e6,
                    sharded ? " in " + input.shards() + " shards" : "", tensors, input.dtype(), input.rows(), input.cols(), genS);
            out.flush();

            // Rounds alternate the baseline and the child, so a slow spell of the shared machine
            // falls on both sides; the medians are what is compared.
            Path outPath = work.resolve(sharded ? "out" : "out.safetensors"), packed = work.resolve("packed.safetensors"), refOut = work.resolve("reference.safetensors");
            List<String> cmd = job.command().of(in, outPath, packed);
            long weights = inBytes / (input.dtype() == DType.F32 ? 4 : 2);
            List<Double> copies = new ArrayList<>(), directCopies = new ArrayList<>(), walls = new ArrayList<>(), cpus = new ArrayList<>(), refWalls = new ArrayList<>(), refCpus = new ArrayList<>();
            long hwm = 0, anon = 0;
            int exit = 0;
            for (int round = 1; round <= job.rounds() && exit == 0; round++) {
                copies.add(copy(in, work.resolve("copy")));
                directCopies.add(directCopy(in, work.resolve("copy")));
                Child child = runChild(cmd, work.resolve("stdout.txt"));
                exit = child.exit;
                walls.add(child.seconds);
                cpus.add(child.cpuSeconds);
                hwm = Math.max(hwm, child.hwmKb);
                anon = Math.max(anon, child.anonKb);
                out.printf(Locale.ROOT, "round %d: copy %.1f s, direct-I/O copy %.1f s, %s: exit %d, wall %.1f s, CPU %.1f s%n", round, copies.getLast(),
                        directCopies.getLast(), job.label(), exit, child.seconds, child.cpuSeconds);
                if (exit != 0) {
                    out.println("child output:");
                    Files.readAllLines(work.resolve("stdout.txt")).stream().limit(20).forEach(out::println);
                } else if (job.reference() != null) {
                    Child ref = runChild(job.reference().command().apply(in, refOut), work.resolve("reference.txt"));
                    out.printf(Locale.ROOT, "         %s: exit %d, wall %.1f s, CPU %.1f s%n", job.reference().label(), ref.exit, ref.seconds, ref.cpuSeconds);
                    if (ref.exit != 0) {
                        Files.readAllLines(work.resolve("reference.txt")).stream().limit(20).forEach(out::println);
                        exit = ref.exit;
                    }
                    refWalls.add(ref.seconds);
                    refCpus.add(ref.cpuSeconds);
                }
                for (Path p : List.of(outPath, packed, refOut)) if (Files.exists(p)) delete(p);
            }
            double wall = median(walls), cpu = median(cpus), copyS = median(copies), directS = median(directCopies);
            String of = walls.size() == 1 ? "" : "median of " + walls.size() + " rounds: ";
            out.printf(Locale.ROOT, "%s (%s%s)%n", job.label(), of, exit == 0 ? "exit 0" : "failed");
            out.printf(Locale.ROOT, "  wall %.1f s, %.0f MB/s of input, %.1f M weights/s, CPU %.1f s (sampled every 20 ms)%n", wall, inBytes / 1e6 / wall,
                    weights / 1e6 / wall, cpu);
            out.printf(Locale.ROOT, "  peak RSS (VmHWM) %d MB, peak anonymous RSS %d MB (sampled every 20 ms)%n", hwm / 1024, anon / 1024);
            out.printf(Locale.ROOT, "baseline: file copy forced to disk %.1f s (%.0f MB/s); quantize / copy = %.2f%n", copyS, inBytes / 1e6 / copyS, wall / copyS);
            out.printf(Locale.ROOT, "baseline: copy writing with direct I/O %.1f s (%.0f MB/s); quantize / direct-I/O copy = %.2f%n", directS,
                    inBytes / 1e6 / directS, wall / directS);
            if (!refWalls.isEmpty() && exit == 0) {
                double refWall = median(refWalls), refCpu = median(refCpus);
                out.printf(Locale.ROOT, "%s: wall %.1f s, %.1f M weights/s, CPU %.1f s; quantize is %.2f× faster (wall), %.2f× (CPU)%n", job.reference().label(), refWall,
                        weights / 1e6 / refWall, refCpu, refWall / wall, refCpu / cpu);
            }
            out.flush();
            return exit;
        } finally {
            delete(work);
        }
    }

    /**
     * Seconds to copy the input file by file into {@code copy} and force each copy to the disk, as
     * quantize forces its output (without it the time is that of filling the page cache, from 3 to
     * 18 s for the same 8.5 GB here, depending on what was still being written back); the copy is
     * deleted again. The page cache holds what fits of the input, for both sides alike.
     */
    private static double copy(Path in, Path copy) throws IOException {
        Files.createDirectory(copy);
        long c0 = System.nanoTime();
        for (Path f : files(in)) {
            Path to = copy.resolve(f.getFileName());
            Files.copy(f, to, StandardCopyOption.COPY_ATTRIBUTES);
            try (FileChannel ch = FileChannel.open(to, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        }
        double seconds = (System.nanoTime() - c0) / 1e9;
        delete(copy);
        return seconds;
    }

    /**
     * Seconds to copy the input file by file as quantize writes its output, forced to disk: read
     * a few megabytes at a time through the page cache and written by an {@link Appender} that
     * writes directly whatever the size (where the folder's file system offers direct I/O; through
     * the page cache otherwise). Deleted again.
     */
    private static double directCopy(Path in, Path copy) throws IOException {
        Files.createDirectory(copy);
        long c0 = System.nanoTime();
        ByteBuffer buf = ByteBuffer.allocateDirect(4 << 20);
        for (Path f : files(in)) {
            try (FileChannel src = FileChannel.open(f, StandardOpenOption.READ); AtomicOutput out = AtomicOutput.open(copy.resolve(f.getFileName()))) {
                Appender to = Appender.open(out, src.size(), 0);
                try {
                    for (long at = 0, size = src.size(); at < size; at += buf.limit()) {
                        buf.clear();
                        while (buf.hasRemaining() && at + buf.position() < size) {
                            if (src.read(buf, at + buf.position()) < 0) throw new java.io.EOFException(f + ": shorter than its size");
                        }
                        to.write(buf.flip());
                    }
                    to.finish();
                } finally {
                    to.close();
                }
                out.commit();
            }
        }
        double seconds = (System.nanoTime() - c0) / 1e9;
        delete(copy);
        return seconds;
    }

    private static double median(List<Double> xs) {
        return Timing.median(xs.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static void delete(Path tree) throws IOException {
        try (Stream<Path> s = Files.walk(tree)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** The file itself, or a folder's files in name order. */
    private static List<Path> files(Path in) throws IOException {
        if (!Files.isDirectory(in)) return List.of(in);
        try (Stream<Path> s = Files.list(in)) {
            return s.sorted().toList();
        }
    }

    private static long size(Path in) throws IOException {
        long total = 0;
        for (Path f : files(in)) total += Files.size(f);
        return total;
    }

    /** The command line that starts this JVM's java with its class path, for a child that runs {@code mainClass}. */
    public static List<String> java(String xmx, String mainClass) {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return List.of(java, "-Xmx" + xmx, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), mainClass);
    }

    /** Runs the child, sampling /proc/PID/status for the peak resident set while it runs. */
    private static Child runChild(List<String> cmd, Path stdout) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Path status = Path.of("/proc", Long.toString(p.pid()), "status");
        long hwm = 0, anon = 0, cpuTicks = 0;
        while (p.isAlive()) {
            cpuTicks = Math.max(cpuTicks, cpuTicks(status.resolveSibling("stat")));
            Map<String, Long> s = readStatus(status);
            hwm = Math.max(hwm, s.getOrDefault("VmHWM", 0L));
            anon = Math.max(anon, s.getOrDefault("RssAnon", 0L));
            Thread.sleep(20);
        }
        int exit = p.waitFor();
        return new Child(exit, (System.nanoTime() - start) / 1e9, cpuTicks / 100.0, hwm, anon);
    }

    /** User + system CPU time in clock ticks (USER_HZ, 100 on Linux) from /proc/PID/stat; 0 once the process is gone. */
    private static long cpuTicks(Path stat) {
        try {
            String line = Files.readString(stat);
            String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of the whole line
        } catch (IOException | RuntimeException e) {
            return 0; // the process ended between isAlive and the read: keep what was sampled
        }
    }

    private static Map<String, Long> readStatus(Path status) {
        Map<String, Long> out = new HashMap<>();
        try {
            for (String line : Files.readAllLines(status)) {
                int colon = line.indexOf(':');
                if (colon < 0 || !line.endsWith("kB")) continue;
                out.put(line.substring(0, colon), Long.parseLong(line.substring(colon + 1, line.length() - 2).trim()));
            }
        } catch (IOException | NumberFormatException e) {
            // the process ended between isAlive and the read: keep what was sampled
        }
        return out;
    }

    /** Writes the input (a file, or a sharded checkpoint's folder); returns the number of weight tensors. */
    private static int generate(Path target, Input input) throws IOException {
        int rows = input.rows(), cols = input.cols(), width = input.dtype() == DType.F32 ? 4 : 2;
        long perTensor = ((long) rows * cols + rows) * width;
        int count = (int) Math.max(1, input.bytes() / perTensor);
        int shards = Math.min(input.shards(), count);
        SplittableRandom rnd = new SplittableRandom(42);
        float[] w = new float[rows * cols];
        float[] b = new float[rows];
        if (input.shards() == 1) {
            writeShard(target, input, 0, count, rnd, w, b);
            return count;
        }
        Files.createDirectory(target);
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (int k = 0; k < shards; k++) {
            String name = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", k + 1, shards);
            int from = (int) ((long) count * k / shards), to = (int) ((long) count * (k + 1) / shards);
            writeShard(target.resolve(name), input, from, to, rnd, w, b);
            for (int i = from; i < to; i++) {
                weightMap.put("layers." + i + ".weight", name);
                weightMap.put("layers." + i + ".bias", name);
            }
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", Map.of("total_size", perTensor * count));
        index.put("weight_map", weightMap);
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(target.resolve("model.safetensors.index.json").toFile(), index);
        return count;
    }

    private static void writeShard(Path file, Input input, int from, int to, SplittableRandom rnd, float[] w, float[] b) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = from; i < to; i++) {
            specs.add(TensorSpec.of("layers." + i + ".weight", input.dtype(), input.rows(), input.cols()));
            specs.add(TensorSpec.of("layers." + i + ".bias", input.dtype(), input.rows()));
        }
        try (SafetensorsWriter out = SafetensorsWriter.open(file, specs, Map.of("generator", "ternary4j bench streaming"))) {
            for (int i = from; i < to; i++) {
                fill(rnd, w);
                out.writeFloats("layers." + i + ".weight", w);
                fill(rnd, b);
                out.writeFloats("layers." + i + ".bias", b);
            }
            out.commit();
        }
    }

    /** Roughly Gaussian weights (sum of four uniforms), cheap enough to make gigabytes quickly. */
    private static void fill(SplittableRandom rnd, float[] a) {
        for (int i = 0; i < a.length; i++) {
            long r = rnd.nextLong();
            int s = (int) (r & 0xffff) + (int) ((r >>> 16) & 0xffff) + (int) ((r >>> 32) & 0xffff) + (int) (r >>> 48);
            a[i] = (s - 131070) * (0.02f / 37837f);
        }
    }

    /** A size such as {@code 512M} or {@code 4G} (binary units), or plain bytes. */
    public static long parseSize(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long unit = switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> 1;
        };
        try {
            return Long.parseLong(unit == 1 ? t : t.substring(0, t.length() - 1)) * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + s + "': expected a number with K, M or G");
        }
    }
}
